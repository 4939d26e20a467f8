"""The Finnish lexicon analyser: lemmas, negation, intensifiers, "mutta", emoji, compounds."""

from __future__ import annotations

import pytest

from smm.lib.textanalysis import analyse
from smm.lib.textanalysis.finnish import lemma, tokenize, word_valence


def score(text: str) -> float:
    return analyse(text, "fi").score


def label(text: str) -> str:
    return analyse(text, "fi").label


# --- negation


def test_it_reads_a_negated_negative_as_not_negative() -> None:
    assert label("ei ole huono") != "negative"
    assert label("Palvelu ei ollut yhtään huono.") != "negative"


def test_a_negated_negative_is_mildly_positive() -> None:
    assert 0 < score("ei huono") < score("hyvä")


def test_it_reads_a_negated_positive_as_negative() -> None:
    assert label("ei ole hyvä") == "negative"
    assert label("Tämä ei ole hyväksyttävää.") == "negative"
    assert label("Emme olleet tyytyväisiä ruokaan.") == "negative"


@pytest.mark.parametrize("negator", ["en", "et", "emme", "ette", "eivät", "eikä"])
def test_every_person_of_the_negation_verb_negates(negator: str) -> None:
    assert label(f"{negator} tykkää") == "negative"


def test_negation_reaches_over_auxiliaries_and_adverbs() -> None:
    assert label("Ei ole kyllä kovin hyvä tämä päivitys.") == "negative"


def test_negation_stops_at_the_clause_boundary() -> None:
    assert label("Ei mitään ongelmia, mutta palvelu oli loistava") == "positive"
    assert label("En tiedä, mutta hyvä palvelu") == "positive"


def test_ilman_negates_like_ei() -> None:
    assert label("Saimme siirtää varausta ilman lisämaksua.") == "positive"


def test_some_verbs_are_negative_only_when_negated() -> None:
    assert label("Sovellus toimii myös tabletilla.") == "neutral"
    assert label("Sovellus ei toimi.") == "negative"
    assert label("Kukaan ei vastannut.") == "negative"
    assert label("En suosittele.") == "negative"
    assert label("Ei kannata.") == "negative"


def test_lakata_negates_the_verb_after_it() -> None:
    assert label("Laturi lakkasi toimimasta viikossa.") == "negative"


# --- lemmatization


@pytest.mark.parametrize(
    ("form", "expected_lemma"),
    [
        ("hyvää", "hyvä"),
        ("hyvän", "hyvä"),
        ("hyviä", "hyvä"),
        ("surkeaa", "surkea"),
        ("pettyneitä", "pettynyt"),
        ("kiitoksia", "kiitos"),
        ("suosittelen", "suositella"),
        ("töykeää", "töykeä"),
        ("reklamaatiota", "reklamaatio"),
        ("valituksen", "valitus"),
        ("parhaita", "paras"),
    ],
)
def test_lemmatization_reaches_inflected_forms(form: str, expected_lemma: str) -> None:
    assert lemma(form) == expected_lemma
    assert word_valence(form) is not None


def test_inflected_forms_score_like_the_lemma() -> None:
    for form in ["hyvä", "hyvää", "hyvän", "hyvästä", "hyviä", "hyvin"]:
        assert label(form) == "positive", form
    for form in ["huono", "huonoa", "huonon", "huonosti", "huonompi", "huonoin"]:
        assert label(form) == "negative", form


def test_colloquial_long_vowel_endings_reach_the_lemma() -> None:
    assert label("huonoo palveluu") == "negative"
    assert label("tosi surkee meininki") == "negative"
    assert label("ihan hirvee jono") == "negative"


def test_participles_simplemma_leaves_alone_reach_the_verb() -> None:
    assert word_valence("heikentynyt") == word_valence("heikentyä")


# --- intensifiers, "mutta", emphasis


def test_intensifiers_strengthen() -> None:
    for intensifier in ["todella", "tosi", "erittäin", "aivan"]:
        assert score(f"{intensifier} hyvä") > score("hyvä"), intensifier
        assert score(f"{intensifier} huono") < score("huono"), intensifier


def test_dampeners_weaken() -> None:
    assert 0 < score("aika hyvä") < score("hyvä")
    assert score("huono") < score("vähän huono") < 0


def test_a_word_that_is_both_is_an_intensifier_before_a_sentiment_word() -> None:
    assert label("hyvin hidas") == "negative"
    assert label("Toimii hyvin.") == "positive"
    assert label("kamalan hyvä") == "positive"


def test_ihan_softens_praise_and_sharpens_blame() -> None:
    assert 0 < score("ihan ok") < score("ok")
    assert score("ihan kamala") < score("kamala")


def test_the_clause_after_mutta_weighs_more() -> None:
    assert label("Hyvä idea, mutta toteutus on surkea.") == "negative"
    assert label("Hinta oli vähän korkea, mutta laatu on erinomainen.") == "positive"
    # the same two words, in the other order, change the label
    assert label("hyvä mutta huono") == "negative"
    assert label("huono mutta hyvä") == "positive"


def test_a_vaikka_clause_weighs_less() -> None:
    assert label("Vaikka jono oli pitkä ja hidas, henkilökunta oli ihana.") == "positive"


def test_exclamation_marks_and_capitals_boost() -> None:
    assert score("Hyvä palvelu!!!") > score("Hyvä palvelu")
    assert score("Surkea palvelu!!") < score("Surkea palvelu")
    assert score("SURKEA palvelu") < score("surkea palvelu")


def test_an_all_capitals_text_gets_no_capitals_boost() -> None:
    assert score("SURKEA PALVELU") == score("surkea palvelu")


# --- emoji, compounds, neutral text


def test_emoji_and_emoticons_carry_sentiment() -> None:
    assert label("😍") == "positive"
    assert label("👍👍") == "positive"
    assert label("Palvelu 😡") == "negative"
    assert label("paketti tuli 👎") == "negative"
    assert label("kiitos:)") == "positive"
    assert label("no niin :(") == "negative"


def test_skin_tones_and_variation_selectors_do_not_hide_an_emoji() -> None:
    assert label("👍🏽") == "positive"
    assert label("❤️") == "positive"
    assert label("🤦‍♀️") == "negative"


def test_a_compound_with_a_sentiment_head_or_modifier_counts_mildly() -> None:
    assert label("#asiakaspalvelusurkea") == "negative"
    assert label("Huippupalvelua taas!") == "positive"
    assert abs(score("#asiakaspalvelusurkea")) < abs(score("surkea"))


def test_a_known_word_is_not_split_into_a_compound() -> None:
    # "palauttaa" ends with "auttaa" (to help); "asiakaspalvelu" has nothing to split.
    assert label("Haluan palauttaa tuotteen.") == "neutral"
    assert label("Asiakaspalvelu on auki arkisin.") == "neutral"


def test_epa_turns_praise_into_blame() -> None:
    assert label("Tosi epäselkeä lasku.") == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "Myymälämme on avoinna arkisin klo 9–18.",
        "Milloin uusi mallisto tulee myyntiin?",
        "Tilausnumeroni on 458221, voisitteko tarkistaa tilan?",
        "Huoltokatko huomenna klo 2–4, sovellus ei ole silloin käytössä.",
        "Hyvää päivää, kysyisin laskusta.",
        "Parasta ennen 12.3.2026",
        "Mikä on paras tapa ottaa teihin yhteyttä?",
    ],
)
def test_it_reads_information_and_set_phrases_as_neutral(text: str) -> None:
    assert label(text) == "neutral"


def test_urls_and_mentions_are_ignored_and_hashtags_are_read() -> None:
    assert label("@surkea_firma tilaus tuli https://example.com/huono") == "neutral"
    assert label("Kiitos #loistava") == "positive"


def test_the_tokenizer_keeps_words_emoji_and_boundaries() -> None:
    kinds = [(token.kind, token.text) for token in tokenize("Ei, #hyvä 👍🏽 :) !")]
    assert kinds == [
        ("word", "Ei"),
        ("clause", ","),
        ("word", "hyvä"),
        ("symbol", "👍🏽"),
        ("symbol", ":)"),
        ("sentence", "!"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kiitos nopeasta toimituksesta!", "positive"),
        ("Suosittelen lämpimästi", "positive"),
        ("Paras pizza ikinä 😍", "positive"),
        ("Loistava palvelu, kiitos", "positive"),
        ("Paketti on taas myöhässä", "negative"),
        ("Tuote tuli rikki", "negative"),
        ("Olen todella pettynyt", "negative"),
        ("Myyjä oli töykeä", "negative"),
        ("Tein reklamaation eilen", "negative"),
        ("Tosi hidas toimitus", "negative"),
    ],
)
def test_common_customer_service_words(text: str, expected: str) -> None:
    assert label(text) == expected
