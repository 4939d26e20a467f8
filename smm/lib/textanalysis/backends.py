"""The registry of sentiment analysers, and ``analyse``, the one entry point the app calls.

A backend is an explicit dict from ISO 639-1 language code to analyser, and ``BACKENDS`` names
the backends. The app keeps the chosen name in a setting (``SENTIMENT_BACKEND``, default
``"lexicon"``) and passes it to ``analyse``. To plug in another analyser (a fine-tuned model, a
hosted API), write a function with the ``Analyser`` signature and add a backend here that uses
it, for one language or all; nothing is discovered or registered at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from smm.lib.textanalysis import english, finnish, symbols
from smm.lib.textanalysis.sentiment import Analyser, Sentiment

BACKENDS: Final[Mapping[str, Mapping[str, Analyser]]] = MappingProxyType(
    {
        "lexicon": MappingProxyType({"en": english.analyse, "fi": finnish.analyse}),
    }
)
DEFAULT_BACKEND: Final = "lexicon"


def language_code(language: str) -> str:
    """The bare ISO 639-1 code: "fi-FI" → "fi", "EN_gb" → "en"."""
    return language.strip().lower().replace("_", "-").partition("-")[0]


def analysers(backend: str = DEFAULT_BACKEND) -> Mapping[str, Analyser]:
    """The language → analyser dict of a backend; raises ValueError for an unknown name."""
    try:
        return BACKENDS[backend]
    except KeyError:
        raise ValueError(f"unknown sentiment backend {backend!r}; known: {', '.join(BACKENDS)}") from None


def supported_languages(backend: str = DEFAULT_BACKEND) -> frozenset[str]:
    return frozenset(analysers(backend))


def analyse(text: str, language: str, *, backend: str = DEFAULT_BACKEND) -> Sentiment:
    """The sentiment of `text` written in `language` (an ISO 639-1 code such as "fi").

    A language the backend has no analyser for (including "" from an unsure ``detect_language``)
    is read for its emoji and emoticons only, the one signal that does not depend on the
    language: "😡😡" is negative in any language, and plain text is neutral. The app looks up
    people's corrections (keyed by ``normalise_for_correction``) before calling this.
    """
    analyser = analysers(backend).get(language_code(language), symbols.analyse)
    return analyser(text)
