"""Cleaning social media markup, and the key corrections are stored under."""

from __future__ import annotations

from smm.lib.textanalysis import normalise_for_correction
from smm.lib.textanalysis.text import strip_social_markup


def test_the_correction_key_is_casefolded_with_whitespace_collapsed_and_urls_removed() -> None:
    key = normalise_for_correction("  Huono   PALVELU\n\ttaas https://example.com/a?b=1 ")
    assert key == "huono palvelu taas"


def test_the_same_message_with_another_link_or_spacing_has_the_same_key() -> None:
    first = normalise_for_correction("Paketti myöhässä! www.example.com/track/1")
    second = normalise_for_correction("paketti  myöhässä!   https://example.com/track/2")
    assert first == second


def test_the_correction_key_keeps_mentions_and_hashtags() -> None:
    assert normalise_for_correction("@Brand kiitos #Paras") == "@brand kiitos #paras"


def test_the_correction_key_folds_compatibility_forms() -> None:
    # A full-width letter and the "ﬁ" ligature read the same to a person.
    assert normalise_for_correction("ＯＫ ﬁne") == normalise_for_correction("ok fine")


def test_strip_social_markup_removes_urls_and_mentions_and_keeps_hashtag_words() -> None:
    text = "@brand thanks #great service https://example.com @user@example.social mail me@example.com"
    assert strip_social_markup(text).split() == ["thanks", "great", "service", "mail", "me@example.com"]
