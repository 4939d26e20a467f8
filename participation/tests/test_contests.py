"""Contests through their services: saving with its checks and guardrails, opening with the seed's
commitment, collecting entries from the in-memory network, every eligibility rule with its reason,
manual exclusion, the draw, the reveal, redraws, telling the winners, export and audit.

The network is tests/fake_inbox.py's; time is moved with time-machine around its START."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from participation.models import (
    Contact,
    Contest,
    ContestEntry,
    ContestWinner,
    LedgerEntry,
    RewardAction,
    RewardProgramme,
    RewardRule,
)
from participation.services import contest_entries, contests, draw
from participation.tasks import contests_collect_all_task
from publishing.models import Post, Target
from smm.accounts.models import AuditEvent
from smm.lib import crypto
from smm.networks.base import NetworkError, PostDraft, PublishedPost, TransientError
from smm.networks.models import ConnectedAccount
from tests.factories import make_connected_account
from tests.fake_inbox import START, FakeInbox, FakeInboxAdapter, install
from tests.fixtures import Personas

OPENS = START - timedelta(hours=1)
CLOSES = START + timedelta(days=1)
AFTER = CLOSES + timedelta(hours=1)
RULES = "Reply to the post by 2 June. One winner, drawn at random. Organised by Acme Oy."


# Helpers shared by the contest tests ---------------------------------------------------------------
def install_network(monkeypatch: pytest.MonkeyPatch) -> FakeInbox:
    """tests/fake_inbox.py's network, for the contest services too."""
    box = install(monkeypatch)
    make = lambda account: FakeInboxAdapter(credentials={}, config={})  # noqa: E731
    monkeypatch.setattr("participation.services.contest_entries.adapter_for", make)
    monkeypatch.setattr("participation.services.contests.adapter_for", make)
    return box


def published_target(p: Personas, *, remote_id: str = "our-1", account: Any = None, text: str = "") -> Target:
    post = Post.objects.create(
        workspace=p.workspace, author=p.editor, text=text or "Win a winter coat! Reply to enter."
    )
    return Target.objects.create(
        post=post,
        account=account or p.account,
        status=Target.Status.PUBLISHED,
        remote_id=remote_id,
        remote_url=f"https://fake.example/@acme/{remote_id}",
        published_at=OPENS - timedelta(hours=1),
    )


def make_contest(p: Personas, *, targets: list[Target] | None = None, **values: Any) -> Contest:
    defaults: dict[str, Any] = {
        "title": "Winter coat giveaway",
        "prize": "A winter coat",
        "rules_text": RULES,
        "mechanic": Contest.Mechanic.REPLY,
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "timezone": "Europe/Helsinki",
        "winners_count": 1,
        "exclude_staff": True,
        "exclude_blocked": True,
        "one_entry_per_person": True,
    }
    defaults.update(values)
    return contests.contest_save(
        workspace_id=p.workspace.pk,
        values=defaults,
        targets=targets if targets is not None else [published_target(p)],
        user=p.editor,
    )


def opened(p: Personas, time_machine: Any, **values: Any) -> Contest:
    time_machine.move_to(OPENS + timedelta(minutes=10), tick=False)
    contest = make_contest(p, **values)
    return contests.contest_open(contest=contest, user=p.editor)


def reply(box: FakeInbox, text: str, *, author: str, to: str = "our-1") -> Any:
    return box.post(text=text, author=author, author_id=f"id-{author}", reply_to=to)


@pytest.fixture
def box(monkeypatch: pytest.MonkeyPatch) -> FakeInbox:
    return install_network(monkeypatch)


def entry_of(contest: Contest, author: str) -> ContestEntry:
    return contest.entries.get(author_remote_id=f"id-{author}")


# Saving and the guardrails -----------------------------------------------------------------------
def test_it_saves_a_draft_and_audits_it(personas: Personas, box: FakeInbox) -> None:
    contest = make_contest(personas)
    assert contest.state == Contest.State.DRAFT and contest.seed_hash == ""
    assert contest.targets.count() == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONTEST_SAVED)
    assert event.data["contest"] == contest.pk and event.data["created"] is True
    contests.contest_save(
        workspace_id=personas.workspace.pk,
        values={"prize": "Two winter coats"},
        targets=list(contest.targets.all()),
        user=personas.owner,
        contest=contest,
    )
    changed = AuditEvent.objects.filter(action=AuditEvent.Action.CONTEST_SAVED).first()
    assert changed is not None and changed.data["changes"]["prize"] == {
        "from": "A winter coat",
        "to": "Two winter coats",
    }


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"rules_text": "   "}, "rules_text"),
        ({"mechanic": Contest.Mechanic.ANSWER, "answers": ""}, "answers"),
        ({"mechanic": Contest.Mechanic.HASHTAG, "hashtag": "two words"}, "hashtag"),
        ({"winner_template": "Hi {name}, {secret.__class__}"}, "winner_template"),
        ({"closes_at": OPENS}, "closes_at"),
    ],
)
def test_it_refuses_what_cannot_work(personas: Personas, box: FakeInbox, values: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_contest(personas, **values)
    assert field in caught.value.message_dict


def test_it_needs_a_published_post_of_this_workspace(personas: Personas, box: FakeInbox) -> None:
    with pytest.raises(ValidationError) as caught:
        make_contest(personas, targets=[])
    assert "targets" in caught.value.message_dict
    draft = published_target(personas, remote_id="draft-1")
    Target.objects.filter(pk=draft.pk).update(status=Target.Status.DRAFT)
    draft.refresh_from_db()
    with pytest.raises(ValidationError):
        make_contest(personas, targets=[draft])
    theirs = published_target(personas, remote_id="theirs-1", account=personas.other_account)
    Post.objects.filter(pk=theirs.post_id).update(workspace=personas.other_workspace)
    theirs.refresh_from_db()
    with pytest.raises(ValidationError):
        make_contest(personas, targets=[theirs])
    assert theirs not in contests.available_targets(personas.workspace.pk)
    assert draft not in contests.available_targets(personas.workspace.pk)


def test_the_guardrails_warn_about_networks_rules(personas: Personas, box: FakeInbox) -> None:
    contest = make_contest(personas, rules_text="Share this post and tag a friend to enter! Buy a coat to win.")
    codes = {warning.code for warning in contests.mechanics_warnings(contest)}
    assert {"share", "purchase", "community_norms"} <= codes
    assert "instagram" not in codes

    # Unsaved: what the warning reads; smm has no Instagram adapter.
    instagram = Target(post=Post(text="Win!"), account=ConnectedAccount(network="instagram", handle="@acme"))
    warnings = contests.mechanics_warnings(contest, targets=[instagram])
    assert "instagram" in {warning.code for warning in warnings}
    assert any(warning.code == "capability" and warning.blocking for warning in warnings)

    calm = make_contest(personas, notify_by=Contest.Notify.DIRECT, min_account_age_days=30)
    codes = {warning.code for warning in contests.mechanics_warnings(calm)}
    assert "share" not in codes and "account_age" in codes
    assert "direct" not in codes  # Mastodon has direct messages

    # Bluesky answers DMs through its chat, which cannot start a conversation from a post.
    bluesky = make_connected_account(personas.workspace, "acme.bsky.example", network="bluesky")
    on_bluesky = make_contest(
        personas, notify_by=Contest.Notify.DIRECT, targets=[published_target(personas, remote_id="b1", account=bluesky)]
    )
    assert "direct" in {warning.code for warning in contests.mechanics_warnings(on_bluesky)}


def test_it_opens_with_a_secret_seed_and_publishes_its_hash(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = opened(personas, time_machine)
    assert contest.state == Contest.State.OPEN and contest.opened_at is not None
    seed = crypto.decrypt_json(contest.seed_encrypted)["seed"]
    assert draw.is_seed(seed)
    assert seed not in contest.seed_encrypted
    assert contest.seed_hash == hashlib.sha256(seed.encode()).hexdigest()
    assert contest.seed_revealed == ""
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONTEST_OPENED)
    assert event.data["seed_hash"] == contest.seed_hash and seed not in json.dumps(event.data)
    with pytest.raises(ValidationError):
        contests.contest_open(contest=contest, user=personas.editor)  # only once


def test_it_refuses_to_open_without_rules_or_after_the_window(personas: Personas, box: FakeInbox, time_machine) -> None:
    time_machine.move_to(OPENS, tick=False)
    contest = make_contest(personas)
    Contest.objects.filter(pk=contest.pk).update(rules_text="  ")
    contest.refresh_from_db()
    with pytest.raises(ValidationError, match="rules"):
        contests.contest_open(contest=contest, user=personas.editor)
    Contest.objects.filter(pk=contest.pk).update(rules_text=RULES)
    contest.refresh_from_db()
    time_machine.move_to(CLOSES + timedelta(seconds=1), tick=False)
    with pytest.raises(ValidationError, match="closed"):
        contests.contest_open(contest=contest, user=personas.editor)
    contest.refresh_from_db()
    assert contest.state == Contest.State.DRAFT and contest.seed_hash == ""


def test_an_open_contest_keeps_its_rules(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = opened(personas, time_machine)
    targets = list(contest.targets.all())
    with pytest.raises(ValidationError):
        contests.contest_save(
            workspace_id=personas.workspace.pk, values={"prize": "Less"}, targets=targets, user=None, contest=contest
        )
    contests.contest_save(
        workspace_id=personas.workspace.pk,
        values={"winner_template": "Well done {name}!", "notify_by": Contest.Notify.DIRECT},
        targets=targets,
        user=None,
        contest=contest,
    )
    contest.refresh_from_db()
    assert contest.winner_template == "Well done {name}!" and contest.prize == "A winter coat"


def test_the_seeds_hash_can_be_posted_in_the_contest_thread(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = opened(personas, time_machine)
    url = contests.contest_commitment_post(contest=contest, membership=personas.membership(personas.editor))
    [sent] = box.sent
    assert sent.reply_to == "our-1" and contest.seed_hash in sent.text
    assert f"/p/{personas.workspace.slug}/contests/{contest.pk}/" in sent.text
    contest.refresh_from_db()
    assert contest.commitment_url == url
    with pytest.raises(ValidationError):
        contests.contest_commitment_post(contest=contest, membership=personas.membership(personas.editor))
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONTEST_COMMITMENT_POSTED).count() == 1


# Collecting and eligibility ----------------------------------------------------------------------
def test_it_collects_replies_as_entries_of_contacts(personas: Personas, box: FakeInbox, time_machine) -> None:
    personas.account.remote_id = "id-acme"
    personas.account.save(update_fields=["remote_id"])
    contest = opened(personas, time_machine)
    first = reply(box, "Me please!", author="anna")
    reply(box, "I'd love one", author="bert")
    box.post(text="Good luck everyone", author="acme", author_id="id-acme", reply_to="our-1")  # our own
    box.post(text="Elsewhere", author="carl", author_id="id-carl", reply_to="other-post")

    result = contest_entries.entries_collect(contest=contest)

    assert (result.read, result.new, result.errors) == (3, 2, [])
    entry = entry_of(contest, "anna")
    assert entry.ticket == hashlib.sha256(f"mastodon:{first.remote_id}".encode()).hexdigest()
    assert (entry.text, entry.author_handle, entry.url, entry.eligible) == (
        "Me please!",
        "@anna@fake.example",
        first.url,
        True,
    )
    assert entry.contact is not None and entry.contact.identities.get().remote_id == "id-anna"
    contest.refresh_from_db()
    assert contest.collected_at is not None and contest.collect_started_at is None
    assert contest.collect_summary == {"read": 3, "new": 2, "errors": [], "entries": 2, "eligible": 2, "excluded": 0}
    # Again: nothing new, nothing twice.
    assert contest_entries.entries_collect(contest=contest).new == 0
    assert contest.entries.count() == 2


def test_a_network_error_is_shown_and_the_rest_still_collected(
    personas: Personas, box: FakeInbox, time_machine, monkeypatch
) -> None:
    second = published_target(personas, remote_id="our-2")
    contest = opened(personas, time_machine, targets=[published_target(personas), second])
    reply(box, "Me!", author="anna", to="our-2")

    def replies(self, remote_id: str, *, limit: int = 500):
        if remote_id == "our-1":
            raise NetworkError("The server did not answer.", status=503)
        return box.replies_below(remote_id)

    monkeypatch.setattr(FakeInboxAdapter, "replies", replies)
    result = contest_entries.entries_collect(contest=contest)
    assert result.new == 1 and result.errors == [f"{personas.account}: The server did not answer."]
    contest.refresh_from_db()
    assert "did not answer" in contest.collect_error


def test_every_rule_excludes_with_its_reason(personas: Personas, box: FakeInbox, time_machine) -> None:
    from tests.fake_inbox import OLD_ACCOUNT

    contest = opened(
        personas,
        time_machine,
        mechanic=Contest.Mechanic.ANSWER,
        answers="Helsinki\nTurku",
        required_keyword="#talvi",
        min_account_age_days=30,
        staff_handles="@maija@fake.example",
    )
    time_machine.move_to(START + timedelta(hours=1), tick=False)
    reply(box, "Helsinki #talvi", author="anna")  # eligible
    reply(box, "helsingfors? no: HELSINKI! #Talvi", author="bert")  # eligible: any case
    reply(box, "Turku #talvi", author="anna")  # second entry
    reply(box, "Tampere #talvi", author="carl")  # wrong answer
    reply(box, "Helsinki", author="dana")  # no keyword
    reply(box, "Helsinkiläinen #talvi", author="erik")  # not a whole word: wrong answer
    reply(box, "Helsinki #talvi", author="maija")  # staff
    reply(box, "Helsinki #talvi", author="fiona")  # account too new
    reply(box, "Helsinki #talvi", author="gus")  # age unknown
    reply(box, "Helsinki #talvi", author="hans")  # blocked
    box.created_at["id-fiona"] = OPENS - timedelta(days=3)
    box.created_at["id-gus"] = None  # type: ignore[assignment]
    late = box.post(text="Helsinki #talvi", author="ida", author_id="id-ida", reply_to="our-1")
    box.posts[late.remote_id] = type(late)(**{**late.__dict__, "created_at": CLOSES + timedelta(minutes=1)})
    contest_entries.entries_collect(contest=contest)
    hans = entry_of(contest, "hans").contact
    assert hans is not None
    Contact.objects.filter(pk=hans.pk).update(blocked=True)
    contest_entries.eligibility(contest=contest)

    def reason(author: str, text: str = "") -> tuple[str, str]:
        entries = contest.entries.filter(author_remote_id=f"id-{author}")
        entry = entries.get(text=text) if text else entries.get()
        return entry.exclusion, entry.exclusion_detail

    assert reason("anna", "Helsinki #talvi") == ("", "")
    assert reason("bert") == ("", "")
    assert reason("anna", "Turku #talvi")[0] == ContestEntry.Exclusion.DUPLICATE
    assert "first entry" in reason("anna", "Turku #talvi")[1]
    assert reason("carl")[0] == ContestEntry.Exclusion.WRONG_ANSWER
    assert reason("erik")[0] == ContestEntry.Exclusion.WRONG_ANSWER
    assert reason("dana") == (ContestEntry.Exclusion.KEYWORD_MISSING, "“#talvi” is not in the entry.")
    assert reason("maija") == (ContestEntry.Exclusion.STAFF, "@maija@fake.example is on the contest's staff list.")
    assert reason("fiona")[0] == ContestEntry.Exclusion.ACCOUNT_TOO_NEW
    assert "3 days before the contest opened; at least 30 needed" in reason("fiona")[1]
    assert reason("gus")[0] == ContestEntry.Exclusion.ACCOUNT_AGE_UNKNOWN
    assert reason("hans")[0] == ContestEntry.Exclusion.BLOCKED
    assert reason("ida")[0] == ContestEntry.Exclusion.OUTSIDE_WINDOW
    assert "the window was" in reason("ida")[1]
    assert entry_of(contest, "bert").author_created_at == OLD_ACCOUNT
    # Every excluded entry says why.
    assert not contest.entries.filter(eligible=False, exclusion_detail="").exists()
    assert set(contest.entries.filter(eligible=True).values_list("author_remote_id", flat=True)) == {
        "id-anna",
        "id-bert",
    }


def test_our_own_accounts_are_staff(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = opened(personas, time_machine)
    personas.account.handle = "@shop@fake.example"  # another of our accounts, not the one posting
    personas.account.save(update_fields=["handle"])
    from tests.factories import make_account

    make_account(personas.workspace, "@ceo@fake.example")
    reply(box, "Me!", author="ceo")
    contest_entries.entries_collect(contest=contest)
    assert entry_of(contest, "ceo").exclusion == ContestEntry.Exclusion.STAFF
    Contest.objects.filter(pk=contest.pk).update(exclude_staff=False)
    contest.refresh_from_db()
    contest_entries.eligibility(contest=contest)
    assert entry_of(contest, "ceo").eligible


def test_the_account_age_is_asked_once_per_author(
    personas: Personas, box: FakeInbox, time_machine, monkeypatch
) -> None:
    contest = opened(personas, time_machine, min_account_age_days=10)
    asked: list[str] = []
    original = FakeInboxAdapter.author_created_at

    def counting(self, author_id: str):
        asked.append(author_id)
        return original(self, author_id)

    monkeypatch.setattr(FakeInboxAdapter, "author_created_at", counting)
    reply(box, "Me", author="anna")
    contest_entries.entries_collect(contest=contest)
    contest_entries.entries_collect(contest=contest)
    contest_entries.eligibility(contest=contest)
    assert asked == ["id-anna"]


def test_a_transient_error_asking_the_age_is_retried(
    personas: Personas, box: FakeInbox, time_machine, monkeypatch
) -> None:
    contest = opened(personas, time_machine, min_account_age_days=10)
    reply(box, "Me", author="anna")

    def busy(self, author_id: str):
        raise TransientError("Try later.")

    monkeypatch.setattr(FakeInboxAdapter, "author_created_at", busy)
    contest_entries.entries_collect(contest=contest)
    entry = entry_of(contest, "anna")
    assert (entry.exclusion, entry.age_checked) == (ContestEntry.Exclusion.ACCOUNT_AGE_UNKNOWN, False)
    monkeypatch.undo()
    install_network(monkeypatch).posts.update(box.posts)
    contest_entries.eligibility(contest=contest)
    entry.refresh_from_db()
    assert entry.eligible and entry.age_checked


def test_a_member_excludes_and_includes_again(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = opened(personas, time_machine)
    reply(box, "Me", author="anna")
    contest_entries.entries_collect(contest=contest)
    entry = entry_of(contest, "anna")
    with pytest.raises(ValidationError):
        contest_entries.entry_exclude(entry=entry, reason="  ", user=personas.editor)
    contest_entries.entry_exclude(entry=entry, reason="Bought followers", user=personas.editor)
    entry.refresh_from_db()
    assert (entry.eligible, entry.exclusion, entry.exclusion_detail) == (False, "manual", "Bought followers")
    contest_entries.entries_collect(contest=contest, force=True)  # collection keeps a manual exclusion
    entry.refresh_from_db()
    assert entry.exclusion == "manual"
    contest_entries.entry_include(entry=entry, user=personas.editor)
    entry.refresh_from_db()
    assert entry.eligible and entry.exclusion == ""
    actions = list(AuditEvent.objects.filter(action__startswith="contest_entry_").values_list("action", flat=True))
    assert sorted(actions) == ["contest_entry_excluded", "contest_entry_included"]


def test_hashtag_entries_come_from_search(personas: Personas, box: FakeInbox, time_machine, monkeypatch) -> None:
    contest = opened(personas, time_machine, mechanic=Contest.Mechanic.HASHTAG, hashtag="#TalviKisa")
    assert contest.hashtag == "TalviKisa"
    searched: list[str] = []
    tagged = box.post(text="My winter photo #talvikisa", author="anna", author_id="id-anna")
    box.post(text="Something else", author="bert", author_id="id-bert")

    def search(self, query: str, *, limit: int = 20):
        searched.append(query)
        return list(box.posts.values())

    monkeypatch.setattr(FakeInboxAdapter, "search", search, raising=False)
    contest_entries.entries_collect(contest=contest)
    assert searched == ["#TalviKisa"]
    assert list(contest.entries.values_list("remote_id", flat=True)) == [tagged.remote_id]


def test_the_periodic_task_collects_open_contests_in_their_window(
    personas: Personas, box: FakeInbox, time_machine
) -> None:
    contest = opened(personas, time_machine)
    make_contest(personas, title="A draft")  # never collected
    reply(box, "Me", author="anna")
    assert contests_collect_all_task() == 1
    assert contest.entries.count() == 1
    time_machine.move_to(CLOSES + contest_entries.COLLECT_AFTER_CLOSE + timedelta(minutes=1), tick=False)
    assert contests_collect_all_task() == 0


# The draw ----------------------------------------------------------------------------------------
def three_entries(personas: Personas, box: FakeInbox, time_machine, **values: Any) -> Contest:
    contest = opened(personas, time_machine, **values)
    for author in ("anna", "bert", "carl"):
        reply(box, f"Me, {author}!", author=author)
    contest_entries.entries_collect(contest=contest)
    return contest


def test_it_draws_only_after_the_window_closes(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = three_entries(personas, box, time_machine)
    with pytest.raises(ValidationError, match="still open"):
        contests.contest_draw(contest=contest, user=personas.editor)
    contest.refresh_from_db()
    assert contest.state == Contest.State.OPEN and not contest.winners.exists()


def test_the_draw_fixes_the_list_picks_by_the_procedure_and_awards(
    personas: Personas, box: FakeInbox, time_machine
) -> None:
    programme = RewardProgramme.objects.create(workspace=personas.workspace, name="Fans")
    RewardRule.objects.create(programme=programme, action=RewardAction.CONTEST_ENTRY, points=2)
    contest = three_entries(personas, box, time_machine, winners_count=2)
    contest_entries.entry_exclude(entry=entry_of(contest, "carl"), reason="Spam", user=personas.editor)
    time_machine.move_to(AFTER, tick=False)

    winners = contests.contest_draw(contest=contest, user=personas.editor)

    contest.refresh_from_db()
    tickets = sorted(contest.entries.filter(eligible=True).values_list("ticket", flat=True))
    assert len(tickets) == 2
    assert contest.list_hash == hashlib.sha256("\n".join(tickets).encode()).hexdigest()
    seed = crypto.decrypt_json(contest.seed_encrypted)["seed"]
    expected = draw.pick(seed_hex=seed, list_hash=contest.list_hash, tickets=tickets, count=2)
    assert [winner.entry.ticket for winner in winners] == expected
    assert [(winner.round, winner.position) for winner in winners] == [(1, 1), (1, 2)]
    assert contest.state == Contest.State.DRAWN and contest.drawn_at is not None
    # The list is fixed now.
    with pytest.raises(ValidationError):
        contest_entries.entry_include(entry=entry_of(contest, "carl"), user=personas.editor)
    assert contest_entries.entries_collect(contest=contest).skipped
    # Points for taking part, once per person; none for the excluded one.
    assert LedgerEntry.objects.filter(source=f"contest:{contest.pk}").count() == 2
    assert not LedgerEntry.objects.filter(contact=entry_of(contest, "carl").contact).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONTEST_DRAWN)
    assert event.data["list_hash"] == contest.list_hash and event.data["entries"] == 2


def test_nothing_to_draw_from(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = opened(personas, time_machine)
    time_machine.move_to(AFTER, tick=False)
    with pytest.raises(ValidationError, match="no eligible entries"):
        contests.contest_draw(contest=contest, user=personas.editor)


def test_reveal_redraw_and_the_script_agree(personas: Personas, box: FakeInbox, time_machine, tmp_path) -> None:
    from participation.tests.test_draw import run_script, winners_printed

    contest = three_entries(personas, box, time_machine)
    time_machine.move_to(AFTER, tick=False)
    [first] = contests.contest_draw(contest=contest, user=personas.editor)
    with pytest.raises(ValidationError, match="mark a winner as unclaimed"):
        contests.contest_redraw(contest=contest, user=personas.editor)
    contest = contests.contest_reveal(contest=contest, user=personas.editor)
    assert contest.state == Contest.State.REVEALED and contest.seed_encrypted == ""
    assert hashlib.sha256(contest.seed_revealed.encode()).hexdigest() == contest.seed_hash

    contests.winner_mark(winner=first, status=ContestWinner.Status.UNCLAIMED, user=personas.editor)
    [second] = contests.contest_redraw(contest=contest, user=personas.editor)
    assert (second.round, second.position) == (2, 1) and second.entry_id != first.entry_id
    with pytest.raises(ValidationError):
        contests.winner_mark(winner=first, status=ContestWinner.Status.CLAIMED, user=personas.editor)

    tickets = contests.fixed_list(contest).split("\n")
    base = ["--seed", contest.seed_revealed, "--seed-hash", contest.seed_hash, "--list-hash", contest.list_hash]
    one = run_script(tmp_path, *base, "--winners", "1", tickets=tickets)
    assert one.returncode == 0 and winners_printed(one.stdout) == [first.entry.ticket]
    two = run_script(
        tmp_path, *base, "--winners", "1", "--round", "2", "--exclude", first.entry.ticket, tickets=tickets
    )
    assert two.returncode == 0 and winners_printed(two.stdout) == [second.entry.ticket]
    assert f"--round 2 --seed-hash {contest.seed_hash}" in contests.verify_command(contest, round_number=2)
    assert f"--exclude {first.entry.ticket}" in contests.verify_command(contest, round_number=2)

    # Everyone drawn: a third round finds nobody new after two more are unclaimed.
    contests.winner_mark(winner=second, status=ContestWinner.Status.UNCLAIMED, user=personas.editor)
    [third] = contests.contest_redraw(contest=contest, user=personas.editor)
    contests.winner_mark(winner=third, status=ContestWinner.Status.UNCLAIMED, user=personas.editor)
    with pytest.raises(ValidationError, match="already been drawn"):
        contests.contest_redraw(contest=contest, user=personas.editor)


# Telling the winners -----------------------------------------------------------------------------
def drawn(personas: Personas, box: FakeInbox, time_machine, **values: Any) -> Contest:
    contest = three_entries(personas, box, time_machine, **values)
    time_machine.move_to(AFTER, tick=False)
    contests.contest_draw(contest=contest, user=personas.editor)
    contest.refresh_from_db()
    return contest


def test_winners_are_told_by_reply_from_the_template(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = drawn(personas, box, time_machine, winner_template="Congratulations {name}: {prize} from {contest}!")
    winner = contest.winners.get()
    box.sent.clear()
    [outcome] = contests.winners_notify(contest=contest, membership=personas.membership(personas.editor))
    assert outcome.error == ""
    [sent] = box.sent
    name = winner.entry.author_name
    assert sent.text == f"@{name.lower()}@fake.example Congratulations {name}: A winter coat from Winter coat giveaway!"
    assert (sent.reply_to, sent.visibility) == (winner.entry.remote_id, "public")
    winner.refresh_from_db()
    assert winner.notified_at is not None and winner.notice_url.startswith("https://fake.example/")
    assert contests.winners_notify(contest=contest, membership=personas.membership(personas.editor)) == []
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONTEST_WINNER_NOTIFIED).count() == 1


def test_a_direct_message_and_a_failure_then_a_retry_with_the_same_key(
    personas: Personas, box: FakeInbox, time_machine, monkeypatch
) -> None:
    contest = drawn(personas, box, time_machine, notify_by=Contest.Notify.DIRECT)
    winner = contest.winners.get()
    calls: list[PostDraft] = []

    def failing(self, draft: PostDraft) -> PublishedPost:
        calls.append(draft)
        raise NetworkError("Refused: the account is suspended.", status=422)

    monkeypatch.setattr(FakeInboxAdapter, "publish", failing)
    [outcome] = contests.winners_notify(contest=contest, membership=personas.membership(personas.editor))
    assert "suspended" in outcome.error
    winner.refresh_from_db()
    assert winner.notified_at is None and "suspended" in winner.notify_error
    assert (calls[0].visibility, calls[0].reply_to) == ("direct", None)
    assert calls[0].text.startswith(winner.entry.author_handle)

    def accepting(self, draft: PostDraft) -> PublishedPost:
        calls.append(draft)
        return PublishedPost("dm-1", "https://fake.example/dm/1")

    monkeypatch.setattr(FakeInboxAdapter, "publish", accepting)
    [again] = contests.winners_notify(contest=contest, membership=personas.membership(personas.editor), winner=winner)
    assert again.error == ""
    assert calls[0].idempotency_key == calls[1].idempotency_key  # the network can refuse a duplicate
    winner.refresh_from_db()
    assert winner.notify_error == "" and winner.notice_url == "https://fake.example/dm/1"


def test_a_member_without_publish_rights_on_the_account_cannot_tell(
    personas: Personas, box: FakeInbox, time_machine
) -> None:
    from smm.accounts.models import AccountLevel, AccountPermission

    contest = drawn(personas, box, time_machine)
    membership = personas.membership(personas.editor)
    AccountPermission.objects.create(membership=membership, account=personas.account, level=AccountLevel.VIEW)
    box.sent.clear()
    [outcome] = contests.winners_notify(contest=contest, membership=membership)
    assert "may not publish" in outcome.error and box.sent == []


# Export and audit --------------------------------------------------------------------------------
def test_export_has_every_entry_with_its_reason_and_the_hashes(
    personas: Personas, box: FakeInbox, time_machine
) -> None:
    contest = three_entries(personas, box, time_machine)
    contest_entries.entry_exclude(entry=entry_of(contest, "carl"), reason="=HYPERLINK(1)", user=personas.editor)
    time_machine.move_to(AFTER, tick=False)
    contests.contest_draw(contest=contest, user=personas.editor)
    contest = contests.contest_reveal(contest=contest, user=personas.editor)

    data = contests.contest_export(contest=contest, user=personas.owner)
    assert data["contest"]["seed"] == contest.seed_revealed and data["contest"]["list_hash"] == contest.list_hash
    assert {entry["exclusion"] for entry in data["entries"]} == {"", "manual"}
    assert len(data["winners"]) == 1
    text = contests.contest_export_csv(contest=contest, user=personas.owner)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["ticket", "network", "url"]
    carl = next(row for row in rows if row[3:4] == ["'@carl@fake.example"])
    assert carl[6:9] == ["no", "manual", "'=HYPERLINK(1)"]  # no formula runs in a spreadsheet
    assert ["list_hash", contest.list_hash] in rows
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONTEST_EXPORTED).count() == 2


def test_the_whole_life_is_audited(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = drawn(personas, box, time_machine)
    contests.contest_reveal(contest=contest, user=personas.editor)
    contests.winners_notify(contest=contest, membership=personas.membership(personas.editor))
    actions = set(AuditEvent.objects.filter(workspace=personas.workspace).values_list("action", flat=True))
    assert {
        "contest_saved",
        "contest_opened",
        "contest_entries_collected",
        "contest_drawn",
        "contest_revealed",
        "contest_winner_notified",
    } <= actions


def test_cancelling(personas: Personas, box: FakeInbox, time_machine) -> None:
    contest = opened(personas, time_machine)
    contests.contest_cancel(contest=contest, user=personas.owner)
    contest.refresh_from_db()
    assert contest.state == Contest.State.CANCELLED
    with pytest.raises(ValidationError):
        contests.contest_cancel(contest=contest, user=personas.owner)
    assert contest_entries.entries_collect(contest=contest).skipped


# Public page -------------------------------------------------------------------------------------
def test_the_public_page_shows_the_commitment_and_never_the_seed_before_the_reveal(
    client, personas: Personas, box: FakeInbox, time_machine
) -> None:
    draft = make_contest(personas, title="Secret draft")
    url = reverse("public-contests:detail", args=[personas.workspace.slug, draft.pk])
    assert client.get(url).status_code == 404

    contest = three_entries(personas, box, time_machine)
    url = reverse("public-contests:detail", args=[personas.workspace.slug, contest.pk])
    seed = crypto.decrypt_json(contest.seed_encrypted)["seed"]
    page = client.get(url).content.decode()
    assert contest.seed_hash in page and seed not in page and RULES in page
    assert "(Europe/Helsinki)" in page
    assert (
        client.get(reverse("public-contests:list-txt", args=[personas.workspace.slug, contest.pk])).status_code == 404
    )

    time_machine.move_to(AFTER, tick=False)
    contests.contest_draw(contest=contest, user=personas.editor)
    contest.refresh_from_db()
    page = client.get(url).content.decode()
    assert contest.list_hash in page and seed not in page
    listing = client.get(reverse("public-contests:list-txt", args=[personas.workspace.slug, contest.pk]))
    assert hashlib.sha256(listing.content).hexdigest() == contest.list_hash
    winner = contest.winners.get()
    assert winner.entry.ticket in page and winner.entry.author_handle in page

    contests.contest_reveal(contest=contest, user=personas.editor)
    page = client.get(url).content.decode()
    assert seed in page and "python verify_draw.py --seed " + seed in page
    script = client.get(reverse("public-contests:verify-script", args=[personas.workspace.slug, contest.pk]))
    assert b"def pick(" in b"".join(script.streaming_content if script.streaming else [script.content])
    # Another workspace's slug does not find it.
    other = reverse("public-contests:detail", args=[personas.other_workspace.slug, contest.pk])
    assert client.get(other).status_code == 404


def test_a_post_that_reached_the_network_late_is_dated_by_its_arrival_not_its_claim() -> None:
    from datetime import UTC, datetime

    from smm.networks.base import RemotePost

    claimed = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    on_time = RemotePost(remote_id="a", url="", text="", created_at=claimed, received_at=claimed + timedelta(seconds=3))
    backdated = RemotePost(remote_id="b", url="", text="", created_at=claimed, received_at=claimed + timedelta(hours=2))
    unknown = RemotePost(remote_id="c", url="", text="", created_at=claimed)

    assert contest_entries.entry_time(on_time) == claimed
    assert contest_entries.entry_time(backdated) == claimed + timedelta(hours=2)
    assert contest_entries.entry_time(unknown) == claimed
