"""Rich-text facets for Bluesky posts: links, mentions and hashtags with UTF-8 byte offsets.

Bluesky does not parse post text: a link, mention or hashtag is only one if the record carries
an `app.bsky.richtext.facet` for it, and facet ranges count UTF-8 *bytes* (an "ä" is 2, most
emoji 4, a flag 8), not characters.

Detection is the official algorithm (`detectFacets` of @atproto/api, as ported by the atproto
SDK) so posts look the way the Bluesky app would make them: http(s) URLs and bare domains with
a known top-level domain (trailing punctuation dropped), `#tags` (not all digits, at most 64
graphemes), `@handle.domain` mentions. Mentions are resolved to DIDs by the caller's resolver;
one that does not resolve stays plain text. `$cashtags` are left out: smm does not offer them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from atproto_client import models
from atproto_client.utils import facet_detection

HandleResolver = Callable[[str], str | None]


def detect_facets(text: str, resolve_handle: HandleResolver | None = None) -> list[Any]:
    """Facets (`models.AppBskyRichtextFacet.Main`) for `text`, sorted by their start byte.

    `resolve_handle(handle)` returns the DID or None; each handle is looked up once. Without a
    resolver, mentions are left out.
    """
    facets = [facet for facet in facet_detection.detect_facets(text) if not _is_cashtag(facet)]
    if resolve_handle is not None:
        dids: dict[str, str | None] = {}
        for mention in facet_detection.detect_mentions(text):
            handle = mention.handle.lower()
            if handle not in dids:
                dids[handle] = resolve_handle(handle)
            did = dids[handle]
            if did:
                facets.append(
                    models.AppBskyRichtextFacet.Main(
                        features=[models.AppBskyRichtextFacet.Mention(did=did)],
                        index=models.AppBskyRichtextFacet.ByteSlice(
                            byte_start=mention.byte_start, byte_end=mention.byte_end
                        ),
                    )
                )
    facets.sort(key=lambda facet: (facet.index.byte_start, facet.index.byte_end))
    # Facets must not overlap (the app drops such records' facets); keep the earlier one.
    kept: list[Any] = []
    for facet in facets:
        if not kept or facet.index.byte_start >= kept[-1].index.byte_end:
            kept.append(facet)
    return kept


def first_link(facets: list[Any]) -> str | None:
    """The URI of the first link facet (the one a link card is made for)."""
    for facet in facets:
        for feature in facet.features:
            if isinstance(feature, models.AppBskyRichtextFacet.Link):
                return str(feature.uri)
    return None


def as_tuples(facets: list[Any]) -> list[tuple[int, int, str, str]]:
    """(byteStart, byteEnd, kind, value) per facet: a compact view for logs and tests."""
    result = []
    for facet in facets:
        for feature in facet.features:
            if isinstance(feature, models.AppBskyRichtextFacet.Link):
                kind, value = "link", feature.uri
            elif isinstance(feature, models.AppBskyRichtextFacet.Mention):
                kind, value = "mention", feature.did
            else:
                kind, value = "tag", feature.tag
            result.append((facet.index.byte_start, facet.index.byte_end, kind, str(value)))
    return result


def _is_cashtag(facet: Any) -> bool:
    return any(
        isinstance(feature, models.AppBskyRichtextFacet.Tag) and str(feature.tag).startswith("$")
        for feature in facet.features
    )
