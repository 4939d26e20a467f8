"""Measure the sentiment analysers (and language detection) on the labelled sets in ``data/``.

    python -m smm.lib.textanalysis.evaluate [--backend lexicon] [--speed]

For each language, on the test split (two thirds, never looked at while tuning) and on the dev
split (the third the Finnish lexicon and rules were tuned on): accuracy, per-class precision,
recall and F1, and the confusion matrix (rows: the person's label, columns: the analyser's).
Then how often ``detect_language`` names each set's language, and with --speed the time to
analyse 10,000 short texts per language.
"""

from __future__ import annotations

import argparse
import csv
import io
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final

from smm.lib.textanalysis.backends import DEFAULT_BACKEND, analysers
from smm.lib.textanalysis.language import detect_language
from smm.lib.textanalysis.sentiment import LABELS, Label

LANGUAGES: Final = ("fi", "en")
SPLITS: Final = ("test", "dev")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: Label
    split: str


@dataclass(frozen=True, slots=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Report:
    language: str
    split: str
    total: int
    accuracy: float
    classes: dict[Label, ClassScores]
    confusion: dict[tuple[Label, Label], int]  # (person's label, analyser's label) → count


def load_examples(language: str) -> list[Example]:
    """The rows of ``data/<language>_labelled.csv`` (columns text, label, split)."""
    text = resources.files(__package__).joinpath("data", f"{language}_labelled.csv").read_text(encoding="utf-8")
    labels: dict[str, Label] = {label: label for label in LABELS}
    examples = []
    for row in csv.DictReader(io.StringIO(text, newline="")):
        if row["label"] not in labels or row["split"] not in SPLITS:
            raise ValueError(f"{language}_labelled.csv: bad row {row!r}")
        examples.append(Example(row["text"], labels[row["label"]], row["split"]))
    return examples


def measure(language: str, split: str, *, backend: str = DEFAULT_BACKEND) -> Report:
    analyser = analysers(backend)[language]
    examples = [example for example in load_examples(language) if example.split == split]
    confusion: Counter[tuple[Label, Label]] = Counter(
        (example.label, analyser(example.text).label) for example in examples
    )
    classes = {}
    for label in LABELS:
        true_positive = confusion[(label, label)]
        predicted = sum(confusion[(other, label)] for other in LABELS)
        support = sum(confusion[(label, other)] for other in LABELS)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        classes[label] = ClassScores(precision, recall, f1, support)
    correct = sum(confusion[(label, label)] for label in LABELS)
    return Report(
        language=language,
        split=split,
        total=len(examples),
        accuracy=correct / len(examples) if examples else 0.0,
        classes=classes,
        confusion={(gold, guess): confusion[(gold, guess)] for gold in LABELS for guess in LABELS},
    )


def format_report(report: Report) -> str:
    lines = [
        f"{report.language} {report.split}: accuracy {report.accuracy:.1%} on {report.total} texts",
        f"  {'class':<10}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>5}",
    ]
    for label, scores in report.classes.items():
        lines.append(f"  {label:<10}{scores.precision:>10.2f}{scores.recall:>8.2f}{scores.f1:>7.2f}{scores.support:>5}")
    macro_f1 = sum(scores.f1 for scores in report.classes.values()) / len(report.classes)
    lines.append(f"  macro F1 {macro_f1:.2f}")
    lines.append(f"  confusion (rows: label, columns: analyser)  {''.join(f'{label[:3]:>5}' for label in LABELS)}")
    for gold in LABELS:
        counts = "".join(f"{report.confusion[(gold, guess)]:>5}" for guess in LABELS)
        lines.append(f"  {gold:<44}{counts}")
    return "\n".join(lines)


def language_detection_summary(language: str, *, candidates: Sequence[str] | None = None) -> str:
    examples = load_examples(language)
    found = Counter(detect_language(example.text, candidates=candidates) for example in examples)
    right, unsure = found[language], found[""]
    wrong = len(examples) - right - unsure
    others = ", ".join(f"{code} {count}" for code, count in found.most_common() if code not in (language, ""))
    among = f"among {'/'.join(candidates)}" if candidates else "among all languages"
    return (
        f"detect_language on {language} texts ({among}): right {right / len(examples):.1%}, "
        f'unsure ("") {unsure / len(examples):.1%}, wrong {wrong / len(examples):.1%}'
        + (f" ({others})" if others else "")
    )


def speed(language: str, *, backend: str = DEFAULT_BACKEND, count: int = 10_000) -> float:
    """Seconds to analyse `count` texts cycled from the labelled set, each made unique."""
    analyser = analysers(backend)[language]
    texts = [example.text for example in load_examples(language)]
    batch = [f"{texts[i % len(texts)]} #{i}" for i in range(count)]
    started = time.perf_counter()
    for text in batch:
        analyser(text)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", default=DEFAULT_BACKEND)
    parser.add_argument("--speed", action="store_true", help="also time 10,000 texts per language")
    arguments = parser.parse_args(argv)
    loading: dict[str, float] = {}
    for language in LANGUAGES:
        # The first call loads the lexicons (and simplemma's Finnish dictionary): timed apart.
        started = time.perf_counter()
        analysers(arguments.backend)[language]("lämmitys")
        loading[language] = time.perf_counter() - started
    for language in LANGUAGES:
        for split in SPLITS:
            print(format_report(measure(language, split, backend=arguments.backend)))
            print()
    for language in LANGUAGES:
        print(language_detection_summary(language))
        print(language_detection_summary(language, candidates=("fi", "sv", "en")))
    if arguments.speed:
        print()
        for language in LANGUAGES:
            seconds = speed(language, backend=arguments.backend)
            print(f"{language}: 10,000 texts in {seconds:.2f} s, after {loading[language]:.2f} s loading on first call")


if __name__ == "__main__":
    main()
