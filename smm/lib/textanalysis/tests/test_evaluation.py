"""The labelled sets and the accuracy the analysers reach on them."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from smm.lib.textanalysis import analyse
from smm.lib.textanalysis.evaluate import format_report, load_examples, main, measure

# Measured (python -m smm.lib.textanalysis.evaluate): Finnish test 91.3 %, English test 77.4 %.
# The thresholds are the 70 % asked for, with room for lexicon edits; a drop below them is a bug.
MIN_ACCURACY = {"fi": 0.70, "en": 0.70}


@pytest.mark.parametrize("language", ["fi", "en"])
def test_the_labelled_set_is_large_balanced_and_split(language: str) -> None:
    examples = load_examples(language)
    assert len(examples) >= 300
    labels = Counter(example.label for example in examples)
    assert min(labels.values()) >= 100
    assert max(labels.values()) - min(labels.values()) <= 10
    texts = [example.text for example in examples]
    assert len(set(texts)) == len(texts)
    for label in labels:
        dev = sum(example.split == "dev" and example.label == label for example in examples)
        assert dev == pytest.approx(labels[label] / 3, abs=1)


@pytest.mark.parametrize("language", ["fi", "en"])
def test_accuracy_on_the_test_split(language: str) -> None:
    report = measure(language, "test")
    assert report.accuracy >= MIN_ACCURACY[language], format_report(report)


def test_the_report_counts_add_up() -> None:
    report = measure("fi", "dev")
    assert sum(report.confusion.values()) == report.total
    assert sum(scores.support for scores in report.classes.values()) == report.total


def test_the_evaluate_command_prints_every_language_and_split(capsys: pytest.CaptureFixture[str]) -> None:
    main([])
    output = capsys.readouterr().out
    for heading in ["fi test", "fi dev", "en test", "en dev", "detect_language on fi"]:
        assert heading in output


@pytest.mark.parametrize("language", ["fi", "en"])
def test_ten_thousand_short_texts_take_well_under_ten_seconds(language: str) -> None:
    texts = [f"{example.text} {i}" for i, example in enumerate(load_examples(language) * 30)][:10_000]
    analyse(texts[0], language)  # loads the lexicons
    started = time.perf_counter()
    for text in texts:
        analyse(text, language)
    assert time.perf_counter() - started < 5.0
