"""The contest pages as members use them: the form (window in the workspace's zone, guardrails,
bad input), the contest's page, "Collect now", the entry list's filters and pages, manual
exclusion, telling winners with an error per winner, and the exports."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from participation.models import Contest, ContestEntry
from participation.services import contest_entries, contests
from participation.tests.test_contests import AFTER, RULES, install_network, opened, published_target, reply
from smm.networks.base import NetworkError
from tests.fake_inbox import FakeInbox, FakeInboxAdapter
from tests.fixtures import Personas


@pytest.fixture
def box(monkeypatch) -> FakeInbox:
    return install_network(monkeypatch)


def member(personas: Personas, name: str = "editor") -> Client:
    client = Client()
    client.force_login(getattr(personas, name))
    return client


def form_data(target_id: int, **values: str) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Spring giveaway",
        "prize": "Flowers",
        "targets": [str(target_id)],
        "mechanic": "reply",
        "opens_at": "2030-04-01T10:00",
        "closes_at": "2030-04-08T20:00",
        "one_entry_per_person": "on",
        "exclude_staff": "on",
        "exclude_blocked": "on",
        "winners_count": "1",
        "rules_text": RULES,
        "notify_by": "reply",
        "winner_template": "Congratulations {name}!",
    }
    data.update(values)
    return data


def test_the_window_is_entered_in_the_workspaces_zone(personas: Personas, box: FakeInbox) -> None:
    target = published_target(personas)
    response = member(personas).post(reverse("contests:new", args=[personas.workspace.slug]), form_data(target.pk))
    assert response.status_code == 302
    contest = Contest.objects.get()
    # Helsinki is UTC+3 in summer time (April), UTC+2 in winter.
    assert contest.opens_at == datetime(2030, 4, 1, 7, 0, tzinfo=UTC)
    assert contest.closes_at == datetime(2030, 4, 8, 17, 0, tzinfo=UTC)
    assert contest.timezone == "Europe/Helsinki" and contest.created_by == personas.editor
    assert list(contest.targets.all()) == [target]
    edit = member(personas).get(reverse("contests:edit", args=[personas.workspace.slug, contest.pk]))
    assert 'value="2030-04-01T10:00"' in edit.content.decode()


def test_bad_input_is_explained_with_the_guardrails(personas: Personas, box: FakeInbox) -> None:
    target = published_target(personas, text="Share this post to enter!")
    url = reverse("contests:new", args=[personas.workspace.slug])
    response = member(personas).post(
        url, form_data(target.pk, rules_text="", closes_at="2030-03-01T10:00", mechanic="answer", opens_at="nonsense")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page  # the rules
    assert "Enter a valid date/time." in page
    response = member(personas).post(url, form_data(target.pk, closes_at="2030-03-01T10:00", mechanic="answer"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "The window must close after it opens." in page
    response = member(personas).post(url, form_data(target.pk, mechanic="answer"))
    page = response.content.decode()
    assert "Write at least one accepted answer" in page
    assert 'data-warning="share"' in page and 'data-warning="community_norms"' in page
    assert not Contest.objects.exists()


def test_the_form_says_when_there_is_no_post_to_enter_on(personas: Personas, box: FakeInbox) -> None:
    page = member(personas).get(reverse("contests:new", args=[personas.workspace.slug])).content.decode()
    assert 'id="no-targets"' in page


def test_the_contest_page_shows_warnings_and_what_each_member_may_do(
    personas: Personas, box: FakeInbox, time_machine
) -> None:
    contest = opened(personas, time_machine, min_account_age_days=30)
    url = reverse("contests:detail", args=[personas.workspace.slug, contest.pk])
    page = member(personas).get(url).content.decode()
    assert 'data-warning="account_age"' in page
    assert contest.seed_hash in page and 'id="collect-button"' in page and "Post the hash" in page
    viewer = member(personas, "viewer").get(url).content.decode()
    assert contest.seed_hash in viewer
    assert 'id="collect-button"' not in viewer and "Post the hash" not in viewer and "Cancel the contest" not in viewer


def test_collect_now_runs_and_shows_what_it_found(
    personas: Personas, box: FakeInbox, time_machine, django_capture_on_commit_callbacks
) -> None:
    contest = opened(personas, time_machine)
    reply(box, "Me please", author="anna")
    url = reverse("contests:collect", args=[personas.workspace.slug, contest.pk])
    status_url = reverse("contests:collect-status", args=[personas.workspace.slug, contest.pk])
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = member(personas, "contributor").post(url, headers={"HX-Request": "true"})
        # Queued for a worker: the status polls itself until the collection is done.
        fragment = response.content.decode()
        assert response.status_code == 200 and 'hx-trigger="every 2s"' in fragment
        assert "Collecting entries" in fragment
    assert len(queued) == 1
    assert contest.entries.count() == 1
    done = member(personas, "viewer").get(status_url).content.decode()
    assert "1 new entries" in done and "hx-trigger" not in done


def test_the_entry_list_filters_pages_and_excludes(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = opened(personas, time_machine, required_keyword="talvi")
    for number in range(55):
        reply(box, "talvi" if number % 5 else "no keyword", author=f"fan{number}")
    contest_entries.entries_collect(contest=contest)
    url = reverse("contests:entries", args=[personas.workspace.slug, contest.pk])
    client = member(personas, "contributor")
    first = client.get(url).content.decode()
    assert first.count('class="list-group-item entry-row"') == 50 and "Page 1 of 2" in first
    excluded = client.get(url, {"status": "excluded", "reason": "keyword_missing"}).content.decode()
    assert excluded.count('class="list-group-item entry-row"') == 11
    assert "“talvi” is not in the entry." in excluded
    assert client.get(url, {"reason": "nonsense"}).status_code == 200  # a bad filter is ignored

    entry = contest.entries.filter(eligible=True).first()
    assert entry is not None
    exclude = reverse("contests:entry-exclude", args=[personas.workspace.slug, contest.pk, entry.pk])
    response = client.post(exclude, {"reason": "", "query": "status=eligible"})
    assert response.status_code == 302 and response["Location"].endswith("?status=eligible")
    entry.refresh_from_db()
    assert entry.eligible
    client.post(exclude, {"reason": "Same person, second account"})
    entry.refresh_from_db()
    assert (entry.exclusion, entry.exclusion_detail) == (ContestEntry.Exclusion.MANUAL, "Same person, second account")


def test_winners_errors_are_shown_per_winner_with_a_retry(
    personas: Personas, box: FakeInbox, time_machine, monkeypatch
) -> None:
    contest = opened(personas, time_machine, winners_count=2)
    reply(box, "Me", author="anna")
    reply(box, "Me too", author="bert")
    contest_entries.entries_collect(contest=contest)
    time_machine.move_to(AFTER, tick=False)
    contests.contest_draw(contest=contest, user=personas.editor)

    def refuse_anna(self, draft):
        if "anna" in draft.text:
            raise NetworkError("Anna blocked us.", status=403)
        return box.post(text=draft.text, author="acme")

    monkeypatch.setattr(FakeInboxAdapter, "publish", refuse_anna)
    client = member(personas)
    response = client.post(reverse("contests:notify", args=[personas.workspace.slug, contest.pk]), follow=True)
    page = response.content.decode()
    assert "Told 1 winners." in page and "@anna@fake.example: The network refused: Anna blocked us." in page
    assert page.count('class="small text-danger-emphasis notify-error"') == 1 and ">Retry<" in page
    assert (
        member(personas, "contributor")
        .post(reverse("contests:notify", args=[personas.workspace.slug, contest.pk]))
        .status_code
        == 403
    )


def test_the_exports_download(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = opened(personas, time_machine)
    reply(box, "Me", author="anna")
    contest_entries.entries_collect(contest=contest)
    client = member(personas, "viewer")
    response = client.get(reverse("contests:export-json", args=[personas.workspace.slug, contest.pk]))
    assert response["Content-Disposition"].startswith('attachment; filename="contest-acme-oy-')
    data = json.loads(response.content)
    assert data["contest"]["seed"] is None and data["contest"]["seed_hash"] == contest.seed_hash
    assert [entry["author_handle"] for entry in data["entries"]] == ["@anna@fake.example"]
    csv_response = client.get(reverse("contests:export-csv", args=[personas.workspace.slug, contest.pk]))
    assert csv_response["Content-Type"].startswith("text/csv") and b"'@anna@fake.example" in csv_response.content


def test_the_list_shows_contests_with_their_counts(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = opened(personas, time_machine)
    reply(box, "Me", author="anna")
    contest_entries.entries_collect(contest=contest)
    page = member(personas, "viewer").get(reverse("contests:list", args=[personas.workspace.slug])).content.decode()
    assert contest.title in page and "New contest" not in page
    assert "<td>1</td>" in page  # one entry, eligible


def test_an_open_contest_changes_only_how_winners_are_told(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = opened(personas, time_machine)
    url = reverse("contests:edit", args=[personas.workspace.slug, contest.pk])
    page = member(personas).get(url).content.decode()
    assert 'name="prize"' in page and "disabled" in page
    target = published_target(personas, remote_id="another")
    data = form_data(target.pk, prize="Nothing", winner_template="Well done {name}!", notify_by="direct")
    response = member(personas).post(url, data)
    assert response.status_code == 302
    contest.refresh_from_db()
    assert (contest.prize, contest.winner_template, contest.notify_by) == (
        "A winter coat",
        "Well done {name}!",
        "direct",
    )
    assert [t.remote_id for t in contest.targets.all()] == ["our-1"]
