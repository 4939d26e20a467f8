"""Text analysis shared by every area: language detection and sentiment (English and Finnish).

No Django models and no database: everything here works on plain strings, offline, with the
models and lexicons that ship in the installed packages and in ``data/``.

    detect_language("Kiitos nopeasta toimituksesta!")      → "fi"
    analyse("Ei ole huono, suosittelen", "fi")              → Sentiment("positive", 0.52...)
    normalise_for_correction("Huono  palvelu https://x.y")  → "huono palvelu"

The app keeps people's corrections keyed by ``normalise_for_correction(text)`` and looks them
up before calling ``analyse``; ``python -m smm.lib.textanalysis.evaluate`` measures the
analysers on the labelled sets in ``data/``.
"""

from smm.lib.textanalysis.backends import BACKENDS, DEFAULT_BACKEND, analyse, supported_languages
from smm.lib.textanalysis.language import detect_language
from smm.lib.textanalysis.sentiment import LABELS, Analyser, Label, Sentiment
from smm.lib.textanalysis.text import normalise_for_correction

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "LABELS",
    "Analyser",
    "Label",
    "Sentiment",
    "analyse",
    "detect_language",
    "normalise_for_correction",
    "supported_languages",
]
