"""64-bit SimHash of a text's word shingles, for near-duplicate mentions.

Two texts whose SimHashes differ in at most ``MAX_DISTANCE`` bits are near-duplicates (the same
post copied with another link, a changed emoji or a word more). The hash is stored signed, to fit a
PostgreSQL ``bigint``. Finding candidates uses banding: the 64 bits are cut into four 16-bit bands,
and two hashes within distance 3 agree on at least one whole band (pigeonhole: 3 differing bits
touch at most 3 bands), so an exact lookup on the four bands (expression indexes, migration 0002)
finds every candidate, and the Hamming distance then decides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import regex

MAX_DISTANCE = 3
BANDS = 4
BAND_BITS = 16
BAND_MASK = (1 << BAND_BITS) - 1
SHINGLE = 3  # words per shingle

_WORD_RE = regex.compile(r"[\p{L}\p{N}_]+")
_URL_RE = regex.compile(r"(?i)(?:\bhttps?://|\bwww\.)\S+")
_SHIFTS = np.arange(64, dtype=np.uint64)


def words(text: str) -> list[str]:
    """The casefolded words of a text, URLs left out (a tracking link does not make a new text)."""
    return _WORD_RE.findall(_URL_RE.sub(" ", text).casefold())


def shingles(tokens: list[str]) -> list[str]:
    if len(tokens) <= SHINGLE:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)]


def _hash64(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "little")


def simhash(text: str) -> int:
    """The unsigned 64-bit SimHash of the text's 3-word shingles (0 for a text without words)."""
    parts = shingles(words(text))
    if not parts:
        return 0
    hashes = np.fromiter((_hash64(part) for part in parts), dtype=np.uint64, count=len(parts))
    ones = ((hashes[:, None] >> _SHIFTS) & np.uint64(1)).sum(axis=0)
    bits = (ones * 2 > len(parts)).astype(np.uint64)
    return int((bits << _SHIFTS).sum(dtype=np.uint64))


def to_signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def distance(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def bands(value: int) -> tuple[int, ...]:
    """The four 16-bit bands of a hash (signed or unsigned), lowest first."""
    unsigned = to_unsigned(value)
    return tuple((unsigned >> (BAND_BITS * band)) & BAND_MASK for band in range(BANDS))


class BandIndex:
    """Hashes seen so far, looked up by band: ``near(h)`` is a known hash within MAX_DISTANCE, or None."""

    def __init__(self, hashes: Iterable[int] = ()) -> None:
        self._tables: list[dict[int, list[int]]] = [{} for _ in range(BANDS)]
        for value in hashes:
            self.add(value)

    def add(self, value: int) -> None:
        for table, key in zip(self._tables, bands(value), strict=True):
            table.setdefault(key, []).append(to_unsigned(value))

    def near(self, value: int) -> int | None:
        unsigned = to_unsigned(value)
        for table, key in zip(self._tables, bands(unsigned), strict=True):
            for other in table.get(key, ()):
                if distance(unsigned, other) <= MAX_DISTANCE:
                    return other
        return None
