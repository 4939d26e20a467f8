"""Counting post length the way each network does.

Both Mastodon and Bluesky count grapheme clusters (what a person sees as one character: an
emoji with skin tone or a flag is one). Mastodon also counts every URL as `url_length`
characters (23 by default) and a mention `@user@domain` as just `@user`.
"""

from __future__ import annotations

import regex

# Mastodon's extractor only shortens links that start with a scheme.
URL = regex.compile(r"https?://[^\s<>\"]+[^\s<>\"'.,;:!?)\]}]", regex.IGNORECASE)
# @user or @user@domain.tld, not preceded by a word character (so emails are left alone).
MENTION = regex.compile(
    r"(?<![\w/])@(?P<user>[\w]+(?:[.-]+[\w]+)*)(?:@(?P<domain>[\w-]+(?:\.[\w-]+)+))?", regex.UNICODE
)


def count_graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


def count_mastodon(text: str, *, url_length: int = 23) -> int:
    """Mastodon's StatusLengthValidator: graphemes, URLs as url_length, remote mentions shortened."""
    countable = URL.sub("x" * url_length, text)
    countable = MENTION.sub(lambda match: "@" + match.group("user"), countable)
    return count_graphemes(countable)
