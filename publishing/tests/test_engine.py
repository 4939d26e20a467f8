"""The engine keeps the promise: exactly once at its time, or the team is told why not."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection

from collaboration.models import Notification
from publishing.models import Attempt, GlobalPause, Post, PublishingSettings, Target
from publishing.services import engine
from publishing.services.posts import PostInput, When, post_save
from smm.networks.base import PermanentError, RateLimitedError, TransientError, UnknownOutcomeError
from smm.networks.models import ConnectedAccount
from tests.factories import make_connected_account
from tests.fake_network import FakeAdapter, FakeNetwork
from tests.fixtures import Personas

DUE = datetime(2030, 5, 6, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(time_machine):
    """Frozen time, an hour before DUE; tests move it with clock.move_to()."""
    time_machine.move_to(DUE - timedelta(hours=1), tick=False)
    return time_machine


def _schedule(personas: Personas, *accounts: ConnectedAccount, text: str = "Hello world") -> Post:
    accounts = accounts or (make_connected_account(personas.workspace),)
    return post_save(
        membership=personas.membership(personas.editor),
        data=PostInput(text=text, accounts=list(accounts)),
        when=When.AT,
        at_local=DUE.replace(tzinfo=None),
        zone="UTC",
    )


def _due(target: Target) -> datetime:
    assert target.due_at is not None
    return target.due_at


def _lease(target: Target) -> datetime:
    assert target.lease_expires_at is not None
    return target.lease_expires_at


def _use_fake_network(monkeypatch) -> None:
    """Point the engine at the fake network again (after monkeypatch.undo())."""
    monkeypatch.setattr(
        "publishing.services.engine.adapter_for", lambda account: FakeAdapter(credentials={}, config={})
    )
    monkeypatch.setattr("publishing.services.engine.adapter_class", lambda network: FakeAdapter)


def _claim(capture, clock, at: datetime = DUE + timedelta(seconds=1)) -> int:
    clock.move_to(at, tick=False)
    with capture(execute=True):
        return engine.targets_claim_due()


def test_a_due_post_is_published_once_and_verified(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock
) -> None:
    post = _schedule(personas)
    assert _claim(django_capture_on_commit_callbacks, clock, DUE - timedelta(seconds=1)) == 0  # not due yet
    assert _claim(django_capture_on_commit_callbacks, clock) == 1
    target = post.targets.get()
    assert (target.status, target.remote_id) == (Target.Status.PUBLISHED, "1")
    assert target.verified_at is not None
    assert len(fake_network.posts) == 1 and len(fake_network.drafts) == 1
    attempt = target.attempts.get()
    assert (attempt.outcome, attempt.idempotency_key) == (Attempt.Outcome.PUBLISHED, target.idempotency_key)
    assert attempt.sent_at is not None
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    # Nothing is due any more.
    assert _claim(django_capture_on_commit_callbacks, clock, DUE + timedelta(minutes=5)) == 0


def test_a_redelivered_task_never_sends_twice(
    personas: Personas, fake_network: FakeNetwork, monkeypatch, clock
) -> None:
    post = _schedule(personas)
    monkeypatch.setattr("publishing.tasks.attempts_run_task.delay", lambda attempt_ids: None)
    clock.move_to(DUE + timedelta(seconds=1), tick=False)
    engine.targets_claim_due()
    attempt = Attempt.objects.get(target__post=post)
    assert engine.attempt_run(attempt_id=attempt.pk) == "published"
    assert engine.attempt_run(attempt_id=attempt.pk) == "skipped"
    assert len(fake_network.drafts) == 1


def test_a_timeout_after_the_network_accepted_is_reconciled_without_a_second_post(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock
) -> None:
    post = _schedule(personas)
    fake_network.script = ["accept_then_timeout"]
    _claim(django_capture_on_commit_callbacks, clock)
    target = post.targets.get()
    assert target.status == Target.Status.UNCONFIRMED
    clock.move_to(_due(target), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.targets_reconcile_dispatch() == 1
    target.refresh_from_db()
    assert target.status == Target.Status.PUBLISHED
    assert len(fake_network.posts) == 1 and len(fake_network.drafts) == 1
    assert list(target.attempts.values_list("outcome", flat=True)) == [Attempt.Outcome.FOUND]


def test_an_unknown_outcome_proven_absent_is_sent_again_with_the_same_key(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock
) -> None:
    post = _schedule(personas)
    fake_network.script = [UnknownOutcomeError("Connection lost.")]
    _claim(django_capture_on_commit_callbacks, clock)
    target = post.targets.get()
    assert target.status == Target.Status.UNCONFIRMED
    clock.move_to(_due(target), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        engine.targets_reconcile_dispatch()
    target.refresh_from_db()
    assert target.status == Target.Status.RETRYING
    _claim(django_capture_on_commit_callbacks, clock, _due(target) + timedelta(seconds=1))
    target.refresh_from_db()
    assert target.status == Target.Status.PUBLISHED
    keys = {draft.idempotency_key for draft in fake_network.drafts}
    assert len(fake_network.drafts) == 2 and keys == {target.idempotency_key}
    assert len(fake_network.posts) == 1
    assert list(target.attempts.values_list("outcome", flat=True)) == [
        Attempt.Outcome.ABSENT,
        Attempt.Outcome.PUBLISHED,
    ]


def test_a_429_waits_as_long_as_the_network_says(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock
) -> None:
    post = _schedule(personas)
    fake_network.script = [RateLimitedError("Too many requests.", retry_after=300, status=429)]
    _claim(django_capture_on_commit_callbacks, clock)
    target = post.targets.get()
    assert target.status == Target.Status.RETRYING
    assert _due(target) >= DUE + timedelta(seconds=300)
    target.account.refresh_from_db()
    assert target.account.status == ConnectedAccount.Status.RATE_LIMITED
    assert _claim(django_capture_on_commit_callbacks, clock, DUE + timedelta(seconds=200)) == 0
    _claim(django_capture_on_commit_callbacks, clock, _due(target))
    target.refresh_from_db()
    assert target.status == Target.Status.PUBLISHED
    assert len(fake_network.posts) == 1


def test_transient_errors_give_up_after_the_limit_and_say_so(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock, settings
) -> None:
    settings.PUBLISH_MAX_ATTEMPTS = 2
    post = _schedule(personas)
    fake_network.script = [TransientError("Server error.", status=503), TransientError("Server error.", status=503)]
    _claim(django_capture_on_commit_callbacks, clock)
    target = post.targets.get()
    _claim(django_capture_on_commit_callbacks, clock, _due(target))
    target.refresh_from_db()
    assert target.status == Target.Status.FAILED
    assert "gave up after 2 tries" in target.last_error
    assert not fake_network.posts


def test_a_permanent_refusal_fails_and_tells_the_author_and_admins(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock
) -> None:
    post = _schedule(personas)
    fake_network.script = [PermanentError("Text character limit of 500 exceeded.", status=422)]
    _claim(django_capture_on_commit_callbacks, clock)
    target = post.targets.get()
    assert target.status == Target.Status.FAILED
    assert target.last_error == "Text character limit of 500 exceeded."
    notified = set(
        Notification.objects.filter(kind=Notification.Kind.PUBLISH_FAILED).values_list("recipient__email", flat=True)
    )
    assert notified == {"editor@example.com", "owner@example.com", "admin@example.com"}
    assert any("500 exceeded" in message.body for message in mail.outbox)
    assert len(mail.outbox) == 3
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED


def test_a_lost_claim_that_never_sent_is_simply_due_again(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock, monkeypatch
) -> None:
    post = _schedule(personas)
    monkeypatch.setattr("publishing.tasks.attempts_run_task.delay", lambda attempt_ids: None)  # the message is lost
    clock.move_to(DUE, tick=False)
    engine.targets_claim_due()
    target = post.targets.get()
    clock.move_to(_lease(target) + timedelta(seconds=1), tick=False)
    assert engine.targets_recover() == 1
    target.refresh_from_db()
    assert target.status == Target.Status.SCHEDULED
    monkeypatch.undo()
    FakeNetwork.__init__(fake_network)
    monkeypatch.setattr(
        "publishing.services.engine.adapter_for",
        lambda account: __import__("tests.fake_network", fromlist=["FakeAdapter"]).FakeAdapter(
            credentials={}, config={}
        ),
    )
    monkeypatch.setattr(
        "publishing.services.engine.adapter_class",
        lambda network: __import__("tests.fake_network", fromlist=["FakeAdapter"]).FakeAdapter,
    )
    _claim(django_capture_on_commit_callbacks, clock, DUE + timedelta(minutes=11))
    target.refresh_from_db()
    # The lease (10 min) made it 11 minutes late: within the default 15-minute grace, so it goes out.
    assert target.status == Target.Status.PUBLISHED
    assert list(target.attempts.values_list("outcome", flat=True)) == [
        Attempt.Outcome.NOT_SENT,
        Attempt.Outcome.PUBLISHED,
    ]


def test_a_lost_claim_that_may_have_sent_is_unconfirmed(
    personas: Personas, fake_network: FakeNetwork, monkeypatch, clock
) -> None:
    post = _schedule(personas)
    monkeypatch.setattr("publishing.tasks.attempts_run_task.delay", lambda attempt_ids: None)
    clock.move_to(DUE, tick=False)
    engine.targets_claim_due()
    target = post.targets.get()
    Attempt.objects.filter(target=target).update(sent_at=DUE)  # the worker died during the call
    clock.move_to(_lease(target) + timedelta(seconds=1), tick=False)
    engine.targets_recover()
    target.refresh_from_db()
    assert target.status == Target.Status.UNCONFIRMED
    assert target.attempts.get().outcome == Attempt.Outcome.UNKNOWN


def test_undecided_reconciles_end_with_a_person(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock, settings
) -> None:
    settings.PUBLISH_RECONCILE_LIMIT = 2
    post = _schedule(personas)
    fake_network.script = [UnknownOutcomeError("Timed out.")]
    fake_network.find_script = [TransientError("Server busy."), TransientError("Server busy.")]
    _claim(django_capture_on_commit_callbacks, clock)
    target = post.targets.get()
    for _round in range(2):
        target.refresh_from_db()
        clock.move_to(_due(target) + timedelta(seconds=1), tick=False)
        with django_capture_on_commit_callbacks(execute=True):
            engine.targets_reconcile_dispatch()
    target.refresh_from_db()
    assert target.status == Target.Status.ATTENTION
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {Notification.Kind.PUBLISH_UNCONFIRMED, Notification.Kind.PUBLISH_ATTENTION} <= kinds
    assert not fake_network.posts


def test_a_paused_workspace_holds_its_posts(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock
) -> None:
    post = _schedule(personas)
    PublishingSettings.objects.update_or_create(workspace=personas.workspace, defaults={"paused": True})
    _claim(django_capture_on_commit_callbacks, clock)
    target = post.targets.get()
    assert (target.status, target.hold_reason) == (Target.Status.HELD, Target.HoldReason.WORKSPACE_PAUSED)
    assert not fake_network.drafts
    post.refresh_from_db()
    assert post.status == Post.Status.HELD


def test_the_global_pause_holds_every_workspace(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock
) -> None:
    post = _schedule(personas)
    GlobalPause.objects.update_or_create(id=1, defaults={"paused": True})
    _claim(django_capture_on_commit_callbacks, clock)
    assert post.targets.get().hold_reason == Target.HoldReason.GLOBAL_PAUSED


def test_a_pause_after_the_claim_stops_the_send(
    personas: Personas, fake_network: FakeNetwork, monkeypatch, clock
) -> None:
    post = _schedule(personas)
    monkeypatch.setattr("publishing.tasks.attempts_run_task.delay", lambda attempt_ids: None)
    clock.move_to(DUE, tick=False)
    engine.targets_claim_due()
    PublishingSettings.objects.update_or_create(workspace=personas.workspace, defaults={"paused": True})
    assert engine.attempt_run(attempt_id=Attempt.objects.get(target__post=post).pk) == "held"
    assert not fake_network.drafts


def test_a_late_post_beyond_the_grace_is_held_for_a_person(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock
) -> None:
    post = _schedule(personas)
    _claim(django_capture_on_commit_callbacks, clock, DUE + timedelta(minutes=16))
    target = post.targets.get()
    assert (target.status, target.hold_reason) == (Target.Status.HELD, Target.HoldReason.LATE)
    assert Notification.objects.filter(kind=Notification.Kind.PUBLISH_HELD).exists()


def test_an_account_that_needs_reconnecting_holds_its_posts(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock
) -> None:
    account = make_connected_account(personas.workspace)
    post = _schedule(personas, account)
    ConnectedAccount.objects.filter(pk=account.pk).update(status=ConnectedAccount.Status.RECONNECT)
    _claim(django_capture_on_commit_callbacks, clock)
    assert post.targets.get().hold_reason == Target.HoldReason.ACCOUNT


def test_two_accounts_one_fails_the_post_is_partly_published(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock
) -> None:
    first, second = make_connected_account(personas.workspace), make_connected_account(personas.workspace)
    post = _schedule(personas, first, second)
    fake_network.script = ["ok", PermanentError("Refused.")]
    _claim(django_capture_on_commit_callbacks, clock)
    post.refresh_from_db()
    assert post.status == Post.Status.PARTIAL


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_never_claim_the_same_target(personas: Personas, fake_network: FakeNetwork, monkeypatch) -> None:
    """While one scheduler holds its claim transaction open, a second one skips the locked rows."""
    import threading

    from django.db import connections

    for _n in range(3):
        _schedule(personas)
    monkeypatch.setattr("publishing.tasks.attempts_run_task.delay", lambda attempt_ids: None)
    first_holds_locks = threading.Event()
    second_done = threading.Event()
    results: dict[str, int] = {}
    original_bulk_create = Attempt.objects.bulk_create

    def slow_bulk_create(objs, *args, **kwargs):  # runs inside the first claim's transaction
        created = original_bulk_create(objs, *args, **kwargs)
        if threading.current_thread().name == "first":
            first_holds_locks.set()
            second_done.wait(10)
        return created

    monkeypatch.setattr(Attempt.objects, "bulk_create", slow_bulk_create)

    def run(name: str, limit: int) -> None:
        try:
            results[name] = engine.targets_claim_due(now=DUE + timedelta(seconds=1), limit=limit)
        finally:
            connections.close_all()

    first = threading.Thread(target=run, args=("first", 2), name="first")
    first.start()
    assert first_holds_locks.wait(10)
    second = threading.Thread(target=run, args=("second", 10), name="second")
    second.start()
    second.join(10)
    second_done.set()
    first.join(10)
    assert results == {"first": 2, "second": 1}
    assert Attempt.objects.count() == 3
    assert Target.objects.filter(status=Target.Status.PUBLISHING).count() == 3
    assert connection.vendor == "postgresql"


def test_a_lost_reconcile_task_is_dispatched_again_after_the_lease(
    personas: Personas, fake_network: FakeNetwork, django_capture_on_commit_callbacks, clock, monkeypatch, settings
) -> None:
    """Found by the crash test: a reconcile message lost with the broker left its target for 5 minutes."""
    settings.PUBLISH_LEASE_SECONDS = 60
    post = _schedule(personas)
    fake_network.script = ["accept_then_timeout"]
    _claim(django_capture_on_commit_callbacks, clock)
    target = post.targets.get()
    assert target.status == Target.Status.UNCONFIRMED
    clock.move_to(target.due_at, tick=False)
    lost: list[int] = []
    monkeypatch.setattr("publishing.tasks.target_reconcile_task.delay", lost.append)  # the broker drops it
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.targets_reconcile_dispatch() == 1
    assert lost == [target.pk]
    dispatched_at = target.due_at
    assert dispatched_at is not None
    clock.move_to(dispatched_at + timedelta(seconds=30), tick=False)
    assert engine.targets_reconcile_dispatch() == 0  # the check still owns it
    monkeypatch.undo()
    _use_fake_network(monkeypatch)
    clock.move_to(dispatched_at + timedelta(seconds=61), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.targets_reconcile_dispatch() == 1
    target.refresh_from_db()
    assert target.status == Target.Status.PUBLISHED
    assert len(fake_network.posts) == 1


def test_a_task_that_arrives_after_its_lease_gives_the_target_back_unsent(
    personas: Personas, fake_network: FakeNetwork, monkeypatch, clock
) -> None:
    post = _schedule(personas)
    monkeypatch.setattr("publishing.tasks.attempts_run_task.delay", lambda attempt_ids: None)
    clock.move_to(DUE, tick=False)
    engine.targets_claim_due()
    target = post.targets.get()
    assert target.lease_expires_at is not None
    clock.move_to(target.lease_expires_at + timedelta(seconds=1), tick=False)  # the message was stuck
    assert engine.attempt_run(attempt_id=Attempt.objects.get(target=target).pk) == "expired"
    assert not fake_network.drafts
    target.refresh_from_db()
    assert (target.status, target.lease_expires_at) == (Target.Status.SCHEDULED, None)
    assert target.attempts.get().outcome == Attempt.Outcome.NOT_SENT
    assert engine.targets_recover() == 0  # nothing left for recovery to guess about


@pytest.mark.django_db(transaction=True)
def test_a_task_locks_the_target_before_its_attempt_like_recovery(
    personas: Personas, fake_network: FakeNetwork, monkeypatch
) -> None:
    """The opposite order deadlocked with targets_recover (target, then attempt) on the same target."""
    import threading

    from django.db import DatabaseError, connections, transaction

    post = _schedule(personas)
    monkeypatch.setattr("publishing.tasks.attempts_run_task.delay", lambda attempt_ids: None)
    engine.targets_claim_due(now=DUE + timedelta(seconds=1))
    target = post.targets.get()
    attempt = Attempt.objects.get(target=target)
    results: dict[str, object] = {}

    def run() -> None:
        try:
            results["run"] = engine.attempt_run(attempt_id=attempt.pk, now=lambda: DUE + timedelta(seconds=2))
        finally:
            connections.close_all()

    with transaction.atomic():
        Target.objects.select_for_update().get(pk=target.pk)  # what recovery holds first
        task = threading.Thread(target=run)
        task.start()
        time.sleep(0.5)  # the task now waits for the target's lock
        try:
            Attempt.objects.select_for_update(nowait=True).get(pk=attempt.pk)  # recovery's second lock
        except DatabaseError:
            results["attempt_lock"] = "held by the waiting task"
        else:
            results["attempt_lock"] = "free"
    task.join(10)
    assert results == {"attempt_lock": "free", "run": "published"}


def test_claims_stop_at_the_in_flight_limit(
    personas: Personas, fake_network: FakeNetwork, monkeypatch, clock, settings
) -> None:
    """Found by the crash test: claims past what workers start within the lease expired in the queue,
    were claimed again behind their own stale tasks, and the backlog never drained."""
    settings.PUBLISH_MAX_IN_FLIGHT = 2
    for _n in range(3):
        _schedule(personas)
    monkeypatch.setattr("publishing.tasks.attempts_run_task.delay", lambda attempt_ids: None)
    assert engine.targets_claim_due(now=DUE + timedelta(seconds=1)) == 2
    assert engine.targets_claim_due(now=DUE + timedelta(seconds=1)) == 0  # the workers are behind
    attempt = Attempt.objects.filter(target__status=Target.Status.PUBLISHING).first()
    assert attempt is not None
    clock.move_to(DUE + timedelta(seconds=2), tick=False)
    assert engine.attempt_run(attempt_id=attempt.pk) == "published"
    assert engine.targets_claim_due(now=DUE + timedelta(seconds=3)) == 1
    assert Target.objects.filter(status=Target.Status.SCHEDULED).count() == 0


def test_a_call_gets_a_whole_lease_however_long_its_task_waited(
    personas: Personas, fake_network: FakeNetwork, monkeypatch, clock
) -> None:
    post = _schedule(personas)
    monkeypatch.setattr("publishing.tasks.attempts_run_task.delay", lambda attempt_ids: None)
    clock.move_to(DUE, tick=False)
    engine.targets_claim_due()
    target = post.targets.get()
    claim_lease_ends = target.lease_expires_at
    assert claim_lease_ends is not None
    clock.move_to(claim_lease_ends - timedelta(seconds=1), tick=False)  # the task waited in the queue
    recovered_during_the_call: list[int] = []
    publish = FakeAdapter.publish

    def slow_publish(self, draft):
        # The call is still on its way when the claim's lease would have ended.
        recovered_during_the_call.append(engine.targets_recover(now=claim_lease_ends + timedelta(seconds=5)))
        return publish(self, draft)

    monkeypatch.setattr(FakeAdapter, "publish", slow_publish)
    assert engine.attempt_run(attempt_id=Attempt.objects.get(target=target).pk) == "published"
    assert recovered_during_the_call == [0]
    target.refresh_from_db()
    assert target.status == Target.Status.PUBLISHED


def test_a_batch_sends_each_attempt_once_and_records_each_outcome(
    personas: Personas, fake_network: FakeNetwork, monkeypatch, clock
) -> None:
    posts = [_schedule(personas, text=f"Batch post {n}") for n in range(3)]
    monkeypatch.setattr("publishing.tasks.attempts_run_task.delay", lambda attempt_ids: None)
    clock.move_to(DUE + timedelta(seconds=1), tick=False)
    engine.targets_claim_due()
    ids = list(Attempt.objects.order_by("pk").values_list("pk", flat=True))
    fake_network.script = ["ok", PermanentError("Refused.", status=422), "ok"]
    results = engine.attempts_run(attempt_ids=ids)
    assert sorted(results.values()) == ["failed", "published", "published"]
    assert engine.attempts_run(attempt_ids=ids) == {attempt_id: "skipped" for attempt_id in ids}  # redelivered
    assert len(fake_network.drafts) == 3 and len(fake_network.posts) == 2
    statuses = sorted(Target.objects.filter(post__in=posts).values_list("status", flat=True))
    assert statuses == [Target.Status.FAILED, Target.Status.PUBLISHED, Target.Status.PUBLISHED]
    assert Target.objects.filter(status=Target.Status.PUBLISHED, verified_at__isnull=False).count() == 2
    assert Post.objects.filter(status=Post.Status.PUBLISHED).count() == 2


def test_a_call_whose_lease_was_taken_by_recovery_is_not_made(
    personas: Personas, fake_network: FakeNetwork, monkeypatch, clock
) -> None:
    post = _schedule(personas)
    monkeypatch.setattr("publishing.tasks.attempts_run_task.delay", lambda attempt_ids: None)
    clock.move_to(DUE + timedelta(seconds=1), tick=False)
    engine.targets_claim_due()
    attempt = Attempt.objects.get(target__post=post)
    target = post.targets.get()
    real_send = engine._send

    def recovery_strikes_first(target, attempt, published, now):
        # The calls before this one in its batch took longer than the lease: it ran out and
        # recovery acted before this call's turn came.
        clock.move_to(DUE + engine.lease_length() + timedelta(seconds=10), tick=False)
        Target.objects.filter(pk=target.pk).update(status=Target.Status.UNCONFIRMED, lease_expires_at=None)
        return real_send(target, attempt, published, now)

    monkeypatch.setattr(engine, "_send", recovery_strikes_first)
    assert engine.attempts_run(attempt_ids=[attempt.pk]) == {attempt.pk: "expired"}
    assert not fake_network.drafts
    target.refresh_from_db()
    assert target.status == Target.Status.UNCONFIRMED
