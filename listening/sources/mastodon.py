"""Mastodon sources: a hashtag timeline, the public (federated or local) timeline, or a status search.

Timelines are read forward from the newest status id seen (`min_id`); the search has no "newer
than" and is filtered by id, the pipeline deduplicating the rest. Reads go through the connected
account's adapter (smm/networks/mastodon/adapter.py, Adapter.listen) and so through the SSRF guard.
About 5 requests per run at most, well inside Mastodon's 300 requests per 5 minutes per account.
"""

from __future__ import annotations

from listening.models import Source
from listening.sources import ReadResult, read_network

PUBLIC_LOCAL = "local"
PUBLIC_FEDERATED = "federated"


def read(source: Source) -> ReadResult:
    if source.kind == Source.Kind.MASTODON_HASHTAG:
        mode, query = "hashtag", source.value.strip().lstrip("#")
    elif source.kind == Source.Kind.MASTODON_PUBLIC:
        mode, query = ("local" if source.value == PUBLIC_LOCAL else "public"), ""
    else:
        mode, query = "search", source.value.strip()
    return read_network(source, network="mastodon", mode=mode, query=query)
