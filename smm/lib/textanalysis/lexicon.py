"""Loading the polarity lexicons that ship in ``data/``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType


@cache
def load_lexicon(filename: str) -> Mapping[str, float]:
    """The entries of a ``data/`` TSV file (term, tab, valence; '#' starts a comment line).

    Raises ValueError on a malformed line or a term listed twice, so a bad edit fails loudly.
    """
    text = resources.files(__package__).joinpath("data", filename).read_text(encoding="utf-8")
    entries: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        term, separator, valence = line.partition("\t")
        if not separator or not term:
            raise ValueError(f"{filename}:{number}: expected 'term<TAB>valence'")
        if term in entries:
            raise ValueError(f"{filename}:{number}: {term!r} is listed twice")
        entries[term] = float(valence)
    return MappingProxyType(entries)
