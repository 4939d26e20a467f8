"""Bluesky source: app.bsky.feed.searchPosts through the connected account (Adapter.listen), newest
first since the newest post seen (`since`), following the result cursor back until it reaches
what was read before. At most 5 requests per run."""

from __future__ import annotations

from listening.models import Source
from listening.sources import ReadResult, read_network


def read(source: Source) -> ReadResult:
    return read_network(source, network="bluesky", mode="search", query=source.value.strip())
