"""The analyser registry and the shared Sentiment type."""

from __future__ import annotations

import math

import pytest

from smm.lib.textanalysis import BACKENDS, DEFAULT_BACKEND, Sentiment, analyse, supported_languages


def test_the_default_backend_has_english_and_finnish() -> None:
    assert DEFAULT_BACKEND in BACKENDS
    assert supported_languages() == {"en", "fi"}


def test_an_unknown_backend_name_fails_loudly() -> None:
    with pytest.raises(ValueError, match="unknown sentiment backend 'magic'"):
        analyse("hyvä", "fi", backend="magic")


def test_region_and_case_in_the_language_code_are_ignored() -> None:
    assert analyse("Tosi hyvä palvelu", "fi-FI").label == "positive"
    assert analyse("Really great service", "EN_gb").label == "positive"


def test_a_language_without_an_analyser_is_read_for_its_emoji_only() -> None:
    assert analyse("Jag är så arg 😡😡", "sv").label == "negative"
    assert analyse("Bästa kaffet 😍", "sv").label == "positive"
    assert analyse("Bästa kaffet i stan", "sv") == Sentiment("neutral", 0.0)
    assert analyse("👍👍", "").label == "positive"


@pytest.mark.parametrize(
    ("score", "label"),
    [(0.05, "positive"), (0.049, "neutral"), (0.0, "neutral"), (-0.049, "neutral"), (-0.05, "negative")],
)
def test_labels_follow_the_standard_thresholds(score: float, label: str) -> None:
    assert Sentiment.from_score(score).label == label


def test_scores_are_clamped_to_minus_one_to_one() -> None:
    assert Sentiment.from_score(3.0).score == 1.0
    assert Sentiment.from_score(-math.inf).score == -1.0


@pytest.mark.parametrize("language", ["fi", "en", "sv", ""])
def test_every_score_is_within_minus_one_and_one(language: str) -> None:
    for text in ["", "!!!", "HYVÄ HYVÄ HYVÄ!!!!!!", "surkea " * 50, "😍" * 40, "😡" * 40, "great " * 50]:
        assert -1.0 <= analyse(text, language).score <= 1.0
