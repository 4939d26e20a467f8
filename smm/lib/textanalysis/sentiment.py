"""The sentiment result and the analyser signature that every language's analyser follows."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

Label = Literal["positive", "negative", "neutral"]
LABELS: Final[tuple[Label, ...]] = ("positive", "negative", "neutral")

# VADER's published thresholds on its compound score; every analyser here uses the same.
POSITIVE_THRESHOLD: Final = 0.05
NEGATIVE_THRESHOLD: Final = -0.05


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: Label
    score: float  # from -1 (most negative) to 1 (most positive)

    @classmethod
    def from_score(cls, score: float) -> Sentiment:
        """The sentiment for a compound score, clamped to [-1, 1], labelled with the ±0.05 thresholds."""
        score = max(-1.0, min(1.0, score))
        if score >= POSITIVE_THRESHOLD:
            return cls("positive", score)
        if score <= NEGATIVE_THRESHOLD:
            return cls("negative", score)
        return cls("neutral", score)


# An analyser reads one text in its language. It must be safe to call from several threads.
Analyser = Callable[[str], Sentiment]


def normalise_sum(total: float, alpha: float = 15.0) -> float:
    """VADER's squashing of a sum of valences into (-1, 1): total / sqrt(total² + alpha)."""
    return total / math.sqrt(total * total + alpha)
