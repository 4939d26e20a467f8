"""English sentiment through VADER."""

from __future__ import annotations

import pytest

from smm.lib.textanalysis import analyse


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for the super quick delivery, love it!",
        "@brand best customer service ever 😍",
        "Not bad at all, would buy again",
        "Pricey, but the quality is outstanding",
    ],
)
def test_it_reads_praise_as_positive(text: str) -> None:
    assert analyse(text, "en").label == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "Worst service ever, the staff were rude 😡",
        "Really disappointed, my order arrived broken",
        "The app is not good at all",
        "Nice idea but the execution is terrible",
        "Support is USELESS!!!",
    ],
)
def test_it_reads_complaints_as_negative(text: str) -> None:
    assert analyse(text, "en").label == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "Are you open on Christmas Eve?",
        "The parcel will ship on Monday.",
        # (not "order number": VADER gives "number" +0.3, one of its quirks)
        "Order 458221 ships tomorrow, tracking at https://example.com/orders/458221",
    ],
)
def test_it_reads_information_as_neutral(text: str) -> None:
    assert analyse(text, "en").label == "neutral"


def test_urls_and_mentions_do_not_carry_sentiment() -> None:
    plain = analyse("Great service", "en")
    assert analyse("@terrible_brand Great service https://example.com/awful-hate-worst", "en") == plain
