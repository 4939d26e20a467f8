"""Guidelines (sanitised rich text) and word rules (whole-word, case-insensitive, stem matching)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from collaboration.models import Guidelines, WordRule
from collaboration.services.rules import find_words, sanitize_policy, word_hits, word_rule_create
from tests.fixtures import Personas


def _rule(phrase: str, level: str = WordRule.Level.WARNED, pk: int = 1) -> WordRule:
    """An unsaved rule: find_words needs no database."""
    return WordRule(pk=pk, phrase=phrase, level=level)


def _found(phrase: str, text: str) -> list[str]:
    return [hit.found for hit in find_words(text, [_rule(phrase)])]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Matching ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["Kilpailijan tarjous", "Kilpailijat ovat hereillä", "KILPAILIJA"])
def test_it_matches_finnish_inflected_forms_in_any_case(text: str) -> None:
    assert _found("kilpailija", text) == [text.split()[0]]


def test_it_matches_english_inflected_forms() -> None:
    assert _found("guarantee", "Results guaranteed.") == ["guaranteed"]
    assert _found("guarantee", "Our Guarantees") == ["Guarantees"]
    assert _found("win", "Winning is fun") == ["Winning"]


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("free", "Freedom of speech"),  # Snowball leaves "freedom" whole: its stem is not "free"
        ("free", "A carefree summer"),
        ("win", "Wine in the window"),
        ("art", "A party for artists"),
        ("kilpailija", "Kilpailu alkaa"),  # a related word with another stem is another word
    ],
)
def test_it_matches_whole_words_only(phrase: str, text: str) -> None:
    assert _found(phrase, text) == []


def test_it_finds_the_word_between_punctuation() -> None:
    assert _found("free", "It's FREE! (Really.)") == ["FREE"]


def test_it_matches_a_two_word_phrase_only_as_adjacent_words() -> None:
    assert _found("free shipping", "Free shipping on all orders") == ["Free shipping"]
    assert _found("kilpailijan tuote", "Vertaa kilpailijan tuotteet") == ["kilpailijan tuotteet"]
    assert _found("free shipping", "Free and fast shipping") == []
    assert _found("free shipping", "Shipping free") == []
    assert _found("free shipping", "Free") == []


def test_it_misses_a_finnish_form_whose_stem_changes_until_that_form_is_a_rule() -> None:
    # Consonant gradation: "halvin" does not stem like "halpa". The word rules page tells people to
    # add such a form as its own rule, which then catches it.
    assert _found("halpa", "Halvin hinta") == []
    assert _found("halpa", "Ei mitään halpaa") == ["halpaa"]
    hits = find_words("Halvin hinta", [_rule("halpa"), _rule("halvin", pk=2)])
    assert [hit.rule.phrase for hit in hits] == ["halvin"]


def test_it_reports_each_rule_once_with_its_first_match() -> None:
    hits = find_words("Kilpailijan ja kilpailijoiden", [_rule("kilpailija")])
    assert [hit.found for hit in hits] == ["Kilpailijan"]


def test_word_hits_removes_duplicates_across_texts_and_lists_banned_first(personas: Personas) -> None:
    word_rule_create(workspace=personas.workspace, phrase="halpa", level=WordRule.Level.WARNED)
    word_rule_create(workspace=personas.workspace, phrase="kilpailija", level=WordRule.Level.BANNED, note="Ei nimiä.")
    word_rule_create(workspace=personas.other_workspace, phrase="tarjous", level=WordRule.Level.BANNED)
    texts = ["Kilpailijan halpaa tarjous", "Kilpailijat, taas", "Halpa!"]

    hits = word_hits(workspace_id=personas.workspace.pk, texts=texts)

    assert [(hit.rule.phrase, hit.found, hit.banned) for hit in hits] == [
        ("kilpailija", "Kilpailijan", True),
        ("halpa", "halpaa", False),
    ]
    assert "Ei nimiä." in hits[0].message
    assert word_hits(workspace_id=personas.other_workspace.pk, texts=["Ei mitään"]) == []


def test_word_rule_create_tidies_the_phrase_and_refuses_duplicates(personas: Personas) -> None:
    rule = word_rule_create(workspace=personas.workspace, phrase="  free   shipping ", level="warned")
    assert rule.phrase == "free shipping"
    with pytest.raises(ValidationError, match="already on the list"):
        word_rule_create(workspace=personas.workspace, phrase="free shipping", level="banned")
    with pytest.raises(ValidationError):
        word_rule_create(workspace=personas.workspace, phrase=" !? ", level="warned")
    # Another workspace has its own list.
    word_rule_create(workspace=personas.other_workspace, phrase="free shipping", level="warned")


# The word rules page -----------------------------------------------------------------------------
def test_a_publisher_adds_and_removes_a_rule(personas: Personas) -> None:
    client = _client(personas.editor)
    url = reverse("collaboration:word-rules", args=[personas.workspace.slug])

    response = client.post(url, {"phrase": "kilpailija", "level": "banned", "note": "Emme nimeä kilpailijoita."})

    assert response.status_code == 302
    rule = WordRule.objects.get(workspace=personas.workspace)
    assert (rule.phrase, rule.level, rule.note) == ("kilpailija", "banned", "Emme nimeä kilpailijoita.")
    page = client.get(url).content.decode()
    assert "kilpailija" in page
    assert "Emme nimeä kilpailijoita." in page

    response = client.post(reverse("collaboration:word-rule-delete", args=[personas.workspace.slug, rule.pk]))

    assert response.status_code == 302
    assert not WordRule.objects.filter(pk=rule.pk).exists()


def test_it_shows_a_duplicate_next_to_the_form(personas: Personas) -> None:
    word_rule_create(workspace=personas.workspace, phrase="halpa", level="warned")
    url = reverse("collaboration:word-rules", args=[personas.workspace.slug])

    response = _client(personas.editor).post(url, {"phrase": "halpa", "level": "banned"})

    assert response.status_code == 400
    assert "“halpa” is already on the list." in response.content.decode()
    assert WordRule.objects.get(workspace=personas.workspace).level == "warned"


def test_a_reader_sees_the_rules_but_no_form_to_change_them(personas: Personas) -> None:
    rule = word_rule_create(workspace=personas.workspace, phrase="halpa", level="warned")
    page = _client(personas.contributor).get(reverse("collaboration:word-rules", args=[personas.workspace.slug]))
    content = page.content.decode()
    assert "halpa" in content
    assert 'name="phrase"' not in content
    assert reverse("collaboration:word-rule-delete", args=[personas.workspace.slug, rule.pk]) not in content
    # The page explains how matching works.
    assert "whole words" in content


def test_it_gives_404_for_a_rule_of_another_workspace(personas: Personas) -> None:
    rule = word_rule_create(workspace=personas.other_workspace, phrase="halpa", level="warned")
    response = _client(personas.owner).post(
        reverse("collaboration:word-rule-delete", args=[personas.workspace.slug, rule.pk])
    )
    assert response.status_code == 404
    assert WordRule.objects.filter(pk=rule.pk).exists()


def test_try_a_text_answers_htmx_with_just_the_hits(personas: Personas) -> None:
    word_rule_create(workspace=personas.workspace, phrase="kilpailija", level="banned")
    word_rule_create(workspace=personas.workspace, phrase="guarantee", level="warned")
    url = reverse("collaboration:word-rules", args=[personas.workspace.slug])
    client = _client(personas.viewer)

    response = client.get(url, {"text": "Kilpailijat eivät tarjoa tätä."}, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert "“Kilpailijat” matches the rule “kilpailija”." in content
    assert "guarantee" not in content

    response = client.get(url, {"text": "Nothing to see"}, headers={"HX-Request": "true"})
    assert "No rule matches this text." in response.content.decode()


def test_try_a_text_works_without_javascript(personas: Personas) -> None:
    word_rule_create(workspace=personas.workspace, phrase="guarantee", level="warned")
    url = reverse("collaboration:word-rules", args=[personas.workspace.slug])
    response = _client(personas.viewer).get(url, {"text": "Satisfaction guaranteed"})
    content = response.content.decode()
    assert "<html" in content
    assert "“guaranteed” matches the rule “guarantee”." in content


def test_try_a_text_refuses_a_very_long_text(personas: Personas) -> None:
    url = reverse("collaboration:word-rules", args=[personas.workspace.slug])
    response = _client(personas.viewer).get(url, {"text": "a " * 3000}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "at most 5000 characters" in response.content.decode()


# Guidelines --------------------------------------------------------------------------------------
HOSTILE_POLICY = (
    "<h2>Our policy</h2>"
    "<div>Be <strong>kind</strong>.<script>alert('x')</script></div>"
    '<p><img src="x" onerror="alert(1)">Photo</p>'
    '<p onclick="alert(2)"><a href="javascript:alert(3)">Click</a> '
    '<a href="https://example.com/ohje" onmouseover="alert(4)">Ohje</a></p>'
    '<iframe src="https://evil.example/"></iframe>'
)


def _assert_harmless(html: str) -> None:
    lowered = html.lower()
    for bad in ("<script", "alert(", "onerror", "onclick", "onmouseover", "javascript:", "<iframe", "<img"):
        assert bad not in lowered, bad


def test_sanitize_policy_keeps_formatting_and_removes_everything_active() -> None:
    html = sanitize_policy(HOSTILE_POLICY)
    _assert_harmless(html)
    assert "<h2>Our policy</h2>" in html
    assert "<strong>kind</strong>" in html
    assert '<a href="https://example.com/ohje" rel="noopener noreferrer nofollow">Ohje</a>' in html
    assert "Click" in html  # the text of the bad link stays; its href does not


def test_an_admin_saves_the_guidelines_sanitised(personas: Personas) -> None:
    client = _client(personas.admin)
    response = client.post(
        reverse("collaboration:guidelines-edit", args=[personas.workspace.slug]),
        {"policy_html": HOSTILE_POLICY, "voice": "Warm and plain.", "disclosures": "#mainos"},
    )

    assert response.status_code == 302
    guidelines = Guidelines.objects.get(workspace=personas.workspace)
    _assert_harmless(guidelines.policy_html)
    assert "<strong>kind</strong>" in guidelines.policy_html
    assert guidelines.voice == "Warm and plain."
    assert guidelines.disclosures == "#mainos"
    assert guidelines.updated_by == personas.admin

    page = _client(personas.viewer).get(reverse("collaboration:guidelines", args=[personas.workspace.slug]))
    content = page.content.decode()
    assert "<strong>kind</strong>" in content  # rendered as HTML, not escaped
    assert "#mainos" in content
    _assert_harmless(content.split('id="policy"', 1)[1].split("</section>", 1)[0])


def test_the_page_sanitises_a_policy_that_was_stored_some_other_way(personas: Personas) -> None:
    Guidelines.objects.create(workspace=personas.workspace, policy_html=HOSTILE_POLICY)
    page = _client(personas.viewer).get(reverse("collaboration:guidelines", args=[personas.workspace.slug]))
    policy = page.content.decode().split('id="policy"', 1)[1].split("</section>", 1)[0]
    _assert_harmless(policy)
    assert "<strong>kind</strong>" in policy


def test_the_edit_page_offers_the_rich_text_editor_over_a_plain_text_area(personas: Personas) -> None:
    Guidelines.objects.create(workspace=personas.workspace, policy_html="<div>Be <em>kind</em></div>")
    response = _client(personas.owner).get(reverse("collaboration:guidelines-edit", args=[personas.workspace.slug]))
    content = response.content.decode()
    assert 'data-rich-text="policy-toolbar"' in content
    assert "&lt;div&gt;Be &lt;em&gt;kind&lt;/em&gt;&lt;/div&gt;</textarea>" in content  # escaped inside the field
    assert "vendor/trix/trix.umd.min.js" in content
    assert '<template id="policy-toolbar">' in content


def test_a_member_reads_empty_guidelines(personas: Personas) -> None:
    response = _client(personas.viewer).get(reverse("collaboration:guidelines", args=[personas.workspace.slug]))
    content = response.content.decode()
    assert "No policy has been written yet." in content
    assert reverse("collaboration:guidelines-edit", args=[personas.workspace.slug]) not in content
