"""The Finnish and emoji lexicons that ship in data/."""

from __future__ import annotations

import pytest

from smm.lib.textanalysis import finnish, symbols
from smm.lib.textanalysis.finnish import lemma

# Entries kept as written because they are fixed forms, or because their simplemma lemma would
# mean something else ("pidän" is "pitää", also "must"; "pielessä" is "pieli", a door post).
FIXED_FORMS = {
    "pidän",
    "pidämme",
    "avuksi",
    "syvältä",
    "hyväksymätön",
    "pielessä",
    "retuperällä",
    "hukkaan",
    "piilomaksu",
}


def test_the_finnish_lexicon_is_large_and_has_both_polarities() -> None:
    entries = finnish.lexicon()
    assert len(entries) >= 400
    assert sum(valence > 0 for valence in entries.values()) >= 150
    assert sum(valence < 0 for valence in entries.values()) >= 150
    assert all(-4 <= valence <= 4 and valence != 0 for valence in entries.values())


@pytest.mark.parametrize(
    ("word", "sign"),
    [
        *((word, 1) for word in ["kiitos", "ihana", "loistava", "paras", "suositella", "hyvä", "mahtava"]),
        *(
            (word, -1)
            for word in ["huono", "surkea", "pettynyt", "valitus", "reklamaatio", "rikki", "myöhässä", "hidas"]
        ),
        ("töykeä", -1),
    ],
)
def test_the_customer_service_words_are_there(word: str, sign: int) -> None:
    assert finnish.lexicon()[word] * sign > 0


def test_lexicon_entries_are_reachable_from_their_inflected_forms() -> None:
    # An entry that simplemma lemmatizes to something else would only match as written.
    entries = finnish.lexicon()
    unreachable = [
        entry for entry in entries if entry not in FIXED_FORMS and lemma(entry) != entry and lemma(entry) not in entries
    ]
    assert unreachable == []


def test_the_emoji_lexicon_has_the_usual_signals() -> None:
    entries = symbols.symbol_lexicon()
    for emoji in ["😍", "👍", "❤", "😊"]:
        assert entries[emoji] > 0
    for emoji in ["😡", "👎", "🙄", "😢"]:
        assert entries[emoji] < 0
    assert not any("\ufe0f" in term for term in entries)
