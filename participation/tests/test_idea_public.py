"""The public idea page: submissions wait for moderation and are never shown before it; the spam
guards (honeypot, minimum fill time, per-address rate limit, link spam); votes once per browser and
limited per address; hostile text stays text. Time is moved with time-machine, never waited for."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from participation.models import Idea, IdeaVote
from participation.models.ideas import IdeaBoardSettings
from participation.services import ideas
from smm.accounts.models import AuditEvent
from tests.access import client_for
from tests.fixtures import Personas

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def page_on(personas: Personas) -> IdeaBoardSettings:
    return IdeaBoardSettings.objects.create(workspace=personas.workspace, public_page=True, intro="Tell us!")


def _board(personas: Personas) -> str:
    return reverse("public-ideas:board", args=[personas.workspace.slug])


def _token(client: Client, personas: Personas) -> str:
    """The signed start time of the form, as the page hands it out."""
    body = client.get(_board(personas)).content.decode()
    match = re.search(r'name="started" value="([^"]+)"', body)
    assert match, "the form carries its start time"
    return match.group(1)


def _submit(client: Client, personas: Personas, token: str, **fields: str) -> Any:
    data = {"title": "Oat milk, please", "text": "For my coffee.", "started": token, "website": "", **fields}
    return client.post(reverse("public-ideas:submit", args=[personas.workspace.slug]), data, REMOTE_ADDR="203.0.113.7")


def test_a_submission_waits_for_moderation_and_is_shown_only_once_approved(personas: Personas, page_on, clock) -> None:
    visitor = Client()
    token = _token(visitor, personas)
    clock.shift(timedelta(seconds=30))
    response = _submit(
        visitor, personas, token, name="Maija", email="maija@example.com", consent="on", title="<b>Oat</b> milk"
    )
    assert response.status_code == 302
    idea = Idea.objects.get()
    assert idea.moderation == Idea.Moderation.PENDING and idea.status == Idea.Status.NEW
    assert (idea.contributor_name, idea.contributor_email, idea.contact_consent) == ("Maija", "maija@example.com", True)
    assert idea.contributor_language == "en" and len(idea.ip_hash) == 64 and "203.0.113.7" not in idea.ip_hash
    assert idea.created_by is None and idea.contact is None
    event = AuditEvent.objects.get(action=AuditEvent.Action.IDEA_SUBMITTED)
    assert event.actor is None and event.ip_address is None  # the visitor's address is not kept

    # Never shown before approval: not to the visitor, not to anyone else.
    page = visitor.get(_board(personas)).content.decode()
    assert "Thank you! Your idea is shown here once we have read it." in page
    assert "Oat" not in page and "No ideas shown yet" in page
    ideas.idea_moderate(idea=idea, actor=personas.editor, decision="approve")
    shown = Client().get(_board(personas)).content.decode()
    # Shown as text: the visitor's markup is escaped, and their name and e-mail address are not shown.
    assert "&lt;b&gt;Oat&lt;/b&gt; milk" in shown and "<b>Oat</b>" not in shown
    assert "maija@example.com" not in shown and "Maija" not in shown
    assert "Tell us!" in shown and personas.workspace.name in shown


def test_a_rejected_submission_is_never_shown(personas: Personas, page_on, clock) -> None:
    visitor = Client()
    token = _token(visitor, personas)
    clock.shift(timedelta(seconds=10))
    _submit(visitor, personas, token, title="Buy followers cheap")
    idea = Idea.objects.get()
    ideas.idea_moderate(idea=idea, actor=personas.editor, decision="reject")
    assert "Buy followers" not in Client().get(_board(personas)).content.decode()
    with pytest.raises(ValidationError):
        ideas.idea_moderate(idea=idea, actor=personas.editor, decision="reject")


def test_the_honeypot_pretends_to_accept_and_saves_nothing(personas: Personas, page_on, clock) -> None:
    bot = Client()
    token = _token(bot, personas)
    clock.shift(timedelta(seconds=30))
    response = _submit(bot, personas, token, website="https://spam.example")
    assert response.status_code == 302  # what a person would see
    assert "Thank you!" in bot.get(_board(personas)).content.decode()
    assert not Idea.objects.exists()


def test_a_form_sent_too_fast_is_refused(personas: Personas, page_on, clock) -> None:
    bot = Client()
    token = _token(bot, personas)
    clock.shift(timedelta(seconds=ideas.MIN_FILL_SECONDS - 1))
    response = _submit(bot, personas, token)
    assert response.status_code == 400 and "That was quick!" in response.content.decode()
    assert not Idea.objects.exists()
    # The answer carries a fresh start time and keeps what was written; a person sends it again.
    fresh = re.search(r'name="started" value="([^"]+)"', response.content.decode())
    assert fresh and fresh.group(1) != token and 'value="Oat milk, please"' in response.content.decode()
    clock.shift(timedelta(seconds=ideas.MIN_FILL_SECONDS))
    assert _submit(bot, personas, fresh.group(1)).status_code == 302
    assert Idea.objects.count() == 1


@pytest.mark.parametrize("token", ["", "forged", "MTIzNDU2Nzg5MA:1u2v3w:not-a-signature"])
def test_a_missing_or_forged_start_time_is_refused(personas: Personas, page_on, clock, token: str) -> None:
    clock.shift(timedelta(minutes=1))
    response = _submit(Client(), personas, token)
    assert response.status_code == 400 and not Idea.objects.exists()


def test_a_stale_form_is_refused(personas: Personas, page_on, clock) -> None:
    visitor = Client()
    token = _token(visitor, personas)
    clock.shift(timedelta(seconds=ideas.MAX_FILL_SECONDS + 1))
    response = _submit(visitor, personas, token)
    assert response.status_code == 400 and "open too long" in response.content.decode()
    assert not Idea.objects.exists()


def test_one_address_sends_a_few_ideas_an_hour(personas: Personas, page_on, clock) -> None:
    visitor = Client()
    token = _token(visitor, personas)
    clock.shift(timedelta(seconds=30))
    for number in range(ideas.SUBMISSIONS_PER_ADDRESS_PER_HOUR):
        assert _submit(visitor, personas, token, title=f"Idea {number}").status_code == 302
    refused = _submit(visitor, personas, token, title="One more")
    assert refused.status_code == 429 and "Try again in an hour" in refused.content.decode()
    assert Idea.objects.count() == ideas.SUBMISSIONS_PER_ADDRESS_PER_HOUR
    # Another address is not held back, and an hour later this one may send again.
    url = reverse("public-ideas:submit", args=[personas.workspace.slug])
    elsewhere = Client().post(url, {"title": "From elsewhere", "started": token}, REMOTE_ADDR="198.51.100.2")
    assert elsewhere.status_code == 302
    clock.shift(timedelta(hours=1))
    later = _token(visitor, personas)
    clock.shift(timedelta(seconds=30))
    assert _submit(visitor, personas, later, title="Later").status_code == 302
    assert Idea.objects.count() == ideas.SUBMISSIONS_PER_ADDRESS_PER_HOUR + 2


def test_link_spam_and_bad_input_get_a_clear_answer(personas: Personas, page_on, clock) -> None:
    visitor = Client()
    token = _token(visitor, personas)
    clock.shift(timedelta(seconds=30))
    links = " ".join(f"https://spam{number}.example" for number in range(ideas.MAX_LINKS + 1))
    assert "fewer links" in _submit(visitor, personas, token, text=links).content.decode()
    missing = _submit(visitor, personas, token, title="")
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()
    consent = _submit(visitor, personas, token, consent="on")
    assert consent.status_code == 400 and "Give your e-mail address" in consent.content.decode()
    bad_email = _submit(visitor, personas, token, email="not-an-address")
    assert bad_email.status_code == 400
    assert not Idea.objects.exists()


def test_the_queue_has_a_ceiling(personas: Personas, page_on, clock, monkeypatch) -> None:
    monkeypatch.setattr(ideas, "MAX_PENDING", 1)
    Idea.objects.create(workspace=personas.workspace, title="Waiting", moderation=Idea.Moderation.PENDING)
    visitor = Client()
    token = _token(visitor, personas)
    clock.shift(timedelta(seconds=30))
    assert _submit(visitor, personas, token).status_code == 429
    assert Idea.objects.count() == 1


def test_a_visitor_votes_once_per_browser(personas: Personas, page_on) -> None:
    idea = Idea.objects.create(workspace=personas.workspace, title="Oat milk", moderation="approved")
    visitor = Client()
    url = reverse("public-ideas:vote", args=[personas.workspace.slug, idea.pk])
    first = visitor.post(url, REMOTE_ADDR="203.0.113.7")
    assert first.status_code == 302 and first["Location"].endswith(f"#idea-{idea.pk}")
    visitor.post(url, REMOTE_ADDR="203.0.113.7")
    idea.refresh_from_db()
    assert idea.votes_count == 1
    vote = IdeaVote.objects.get()
    cookie = visitor.cookies[ideas.VOTER_COOKIE].value
    assert vote.user is None and len(vote.voter_key) == 64 and vote.voter_key not in cookie
    page = visitor.get(_board(personas)).content.decode()
    assert "You voted for this idea" in page and "You have already voted for this idea." in page
    # A member's vote counts on the same idea too.
    ideas.idea_vote(idea=idea, user=personas.editor, vote=True)
    idea.refresh_from_db()
    assert idea.votes_count == 2


def test_clearing_cookies_to_vote_again_is_limited_per_address(personas: Personas, page_on) -> None:
    idea = Idea.objects.create(workspace=personas.workspace, title="Oat milk", moderation="approved")
    url = reverse("public-ideas:vote", args=[personas.workspace.slug, idea.pk])
    for _number in range(ideas.VOTES_PER_ADDRESS_PER_IDEA + 2):
        Client().post(url, REMOTE_ADDR="203.0.113.7")  # a fresh browser (no cookie) each time
    idea.refresh_from_db()
    assert idea.votes_count == ideas.VOTES_PER_ADDRESS_PER_IDEA
    Client().post(url, REMOTE_ADDR="198.51.100.2")
    idea.refresh_from_db()
    assert idea.votes_count == ideas.VOTES_PER_ADDRESS_PER_IDEA + 1


def test_a_forged_voter_cookie_counts_as_no_cookie(personas: Personas, page_on) -> None:
    idea = Idea.objects.create(workspace=personas.workspace, title="Oat milk", moderation="approved")
    visitor = Client()
    visitor.cookies[ideas.VOTER_COOKIE] = "someone-elses-key"
    visitor.post(reverse("public-ideas:vote", args=[personas.workspace.slug, idea.pk]))
    assert IdeaVote.objects.get().voter_key != ideas.voter_key("someone-elses-key")


def test_the_page_is_minimal_csp_safe_and_speaks_finnish(personas: Personas, page_on) -> None:
    Idea.objects.create(workspace=personas.workspace, title="Kauramaito", moderation="approved", status="planned")
    client = Client()
    client.cookies["django_language"] = "fi"
    response = client.get(_board(personas))
    body = response.content.decode()
    assert response.status_code == 200 and '<html lang="fi">' in body
    assert "<script" not in body and " style=" not in body and not re.search(r"<[^>]+\son[a-z]+=", body)
    assert "navbar" not in body and "Kauramaito" in body
    assert "language-switcher" in body
    # A member's signed-in view of the same page is just as public: no app navigation.
    assert "navbar" not in client_for(personas, "owner").get(_board(personas)).content.decode()
