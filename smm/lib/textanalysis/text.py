"""Cleaning social media text before analysis, and the stable key for people's corrections."""

from __future__ import annotations

import unicodedata

import regex

# A URL with a scheme or starting with "www."; bare domains stay (they are often brand names).
URL_RE = regex.compile(r"(?i)(?:\bhttps?://|\bwww\.)\S+")
# @user, @user.bsky.social and Mastodon's @user@instance.org, but not the middle of an e-mail address.
MENTION_RE = regex.compile(r"(?<![\w@])@[\w.-]*\w(?:@[\w.-]*\w)?")
HASHTAG_RE = regex.compile(r"(?<![\w#])#(?=\w)")
# An emoji with what may follow it: variation selectors, skin tones and zero-width-joined parts.
EMOJI_RE = regex.compile(
    r"\p{Extended_Pictographic}(?:[\uFE0E\uFE0F\U0001F3FB-\U0001F3FF]|\u200D\p{Extended_Pictographic})*"
)
_WHITESPACE_RE = regex.compile(r"\s+")


def remove_urls_and_mentions(text: str) -> str:
    """The text with URLs and @mentions replaced by a space; hashtags are left as they are."""
    return MENTION_RE.sub(" ", URL_RE.sub(" ", text))


def strip_social_markup(text: str) -> str:
    """The text without URLs and @mentions, and with the '#' of hashtags dropped (the word stays)."""
    return HASHTAG_RE.sub("", remove_urls_and_mentions(text))


def base_emoji(sequence: str) -> str:
    """The first pictograph of an emoji sequence: 👍🏽 → 👍, 🤦‍♀️ → 🤦, ❤️ → ❤."""
    return sequence[0]


def normalise_for_correction(text: str) -> str:
    """A stable key for a text, under which the app stores and looks up people's corrections.

    This is how corrections are kept and used: when someone changes the sentiment the analyser gave
    a message, the app stores their label keyed by ``normalise_for_correction(message_text)`` (with
    the language), and before calling ``analyse`` it looks that key up first; a stored correction
    wins. The key ignores what does not change the meaning for a reader, so the same complaint
    posted twice, or with another tracking link, finds the same correction: Unicode compatibility
    forms (NFKC), case (casefold), URLs, and runs of whitespace. Mentions and hashtags stay, since
    "@brand thanks" and "@rival thanks" are different messages to a brand.
    """
    text = unicodedata.normalize("NFKC", text)
    text = URL_RE.sub(" ", text)
    return _WHITESPACE_RE.sub(" ", text).strip().casefold()
