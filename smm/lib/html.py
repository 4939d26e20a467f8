"""Untrusted HTML from the networks (Mastodon statuses, feed summaries) made safe to show.

Only a few harmless tags survive; links get rel="nofollow noopener ugc" and open nowhere special;
images are dropped (never load a remote picture without a proxy or consent); everything else is
text. Callers mark the result safe only after it went through here.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = {"p", "br", "a", "span", "strong", "b", "em", "i", "ul", "ol", "li", "blockquote", "code", "pre"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def sanitize(html: str) -> str:
    """Network HTML reduced to harmless formatting and links (rel="nofollow noopener ugc")."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
        strip_comments=True,
    )
