"""English sentiment: VADER, which is built for social media text (emoji, caps, "!!!", slang)."""

from __future__ import annotations

from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from smm.lib.textanalysis.sentiment import Sentiment
from smm.lib.textanalysis.text import strip_social_markup


@cache
def _vader() -> SentimentIntensityAnalyzer:
    # Reads VADER's lexicon files from its package on first use (about 0.1 s), not at import time.
    return SentimentIntensityAnalyzer()


def analyse(text: str) -> Sentiment:
    """VADER's compound score, labelled with its standard ±0.05 thresholds."""
    compound = _vader().polarity_scores(strip_social_markup(text))["compound"]
    return Sentiment.from_score(float(compound))
