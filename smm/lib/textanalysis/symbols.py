"""Emoji and emoticons: their lexicon, and the analyser for languages without a text analyser."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Final

import regex

from smm.lib.textanalysis.lexicon import load_lexicon
from smm.lib.textanalysis.sentiment import Sentiment, normalise_sum
from smm.lib.textanalysis.text import EMOJI_RE, base_emoji, remove_urls_and_mentions

LEXICON_FILE: Final = "emoji_lexicon.tsv"


def symbol_lexicon() -> Mapping[str, float]:
    return load_lexicon(LEXICON_FILE)


@cache
def emoticon_pattern() -> str:
    """A regex alternative matching the lexicon's emoticons, longest first, not inside a word."""
    emoticons = sorted((term for term in symbol_lexicon() if not EMOJI_RE.fullmatch(term)), key=len, reverse=True)
    # "xD" must not match inside "maxD", and ":D" not inside ":Dd"; ":)" may follow a word ("kiitos:)").
    return r"(?<![\w:;=<>'])(?:" + "|".join(regex.escape(emoticon) for emoticon in emoticons) + r")(?!\w)"


@cache
def _symbol_re() -> regex.Pattern[str]:
    return regex.compile(emoticon_pattern() + "|" + EMOJI_RE.pattern)


def symbol_valence(symbol: str) -> float:
    """The valence of an emoji sequence or emoticon, 0.0 for one not in the lexicon."""
    lexicon = symbol_lexicon()
    if symbol in lexicon:
        return lexicon[symbol]
    return lexicon.get(base_emoji(symbol), 0.0)


def analyse(text: str) -> Sentiment:
    """The sentiment carried by the emoji and emoticons of a text in any language."""
    total = sum(symbol_valence(match.group()) for match in _symbol_re().finditer(remove_urls_and_mentions(text)))
    return Sentiment.from_score(normalise_sum(total))
