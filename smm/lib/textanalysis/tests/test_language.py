"""Language detection on social media style text."""

from __future__ import annotations

import pytest

from smm.lib.textanalysis import detect_language
from smm.lib.textanalysis.language import text_for_detection


@pytest.mark.parametrize(
    "text",
    [
        "Kiitos nopeasta toimituksesta, paketti tuli jo seuraavana päivänä!",
        "@kahvila_aurora onko teillä auki juhannuksena? #kesä",
        "Tilaus on ollut myöhässä jo viikon eikä kukaan vastaa 😡 https://example.com/tilaus/123",
        "Tosi hyvä palvelu taas tänään, suosittelen",
        "Mikä ihmeen jono tämä on",
    ],
)
def test_it_detects_finnish(text: str) -> None:
    assert detect_language(text) == "fi"


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for the quick reply, problem solved!",
        "@support my order still hasn't arrived, any news? https://example.com/orders/42",
        "omg the new menu is amazing 🔥🔥 #foodie",
        "Where is my order??",
    ],
)
def test_it_detects_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "Tack för snabb leverans, paketet kom redan dagen efter!",
        "Jag är besviken på kundtjänsten, ingen svarar 😤",
        "@butiken har ni öppet på midsommarafton?",
        "Bästa kaffet i stan, rekommenderas varmt #fika",
    ],
)
def test_it_detects_swedish(text: str) -> None:
    assert detect_language(text) == "sv"


@pytest.mark.parametrize("text", ["", "ok", "moi", "lol", "thx", "👍", "😍😍😍", "🙄 👎", "!!!", "12.3.2026"])
def test_it_is_unsure_of_very_short_or_emoji_only_text(text: str) -> None:
    assert detect_language(text) == ""


def test_it_is_unsure_of_text_that_is_only_urls_mentions_and_hashtags() -> None:
    assert detect_language("@brand @other https://example.com/a/b/c #") == ""
    assert detect_language("https://example.com/kiitos-paljon-hyvasta-palvelusta") == ""


def test_it_strips_urls_mentions_hashtag_marks_and_emoji_before_detecting() -> None:
    cleaned = text_for_detection("@brand Kiitos! 😍 #paras https://example.com/x?y=1 @user@mastodon.social")
    assert cleaned == "Kiitos paras"


def test_candidates_restrict_the_answer_and_help_short_text() -> None:
    assert detect_language("Kiitos paljon", candidates=["fi", "sv", "en"]) == "fi"
    assert detect_language("Tack så mycket", candidates=["fi", "sv", "en"]) == "sv"
    assert detect_language("Thank you so much", candidates=["fi", "en"]) == "en"


def test_it_returns_a_two_letter_code() -> None:
    assert len(detect_language("Das Essen war sehr lecker, vielen Dank!")) == 2
