"""Exactly once, with real processes that die: 200 posts, SIGKILLs at every step, a broker restart.

Real `celery -A smm worker` and `manage.py run_publisher` processes (two publishers, so claims race
across processes) run against the test database (rows are committed: transaction=True) and a
broker private to the test, and publish through the real MastodonAdapter (Mastodon.py) to the
loopback stand-in (tests/peers/standin_mastodon.py). While they work:

* before the call: a chaos loop SIGKILLs workers and publishers at random moments (a worker may be
  between its claim and its call, a publisher between its claim commit and the enqueue);
* during the call: the stand-in SIGKILLs the calling worker while the request is open, before it
  creates the status (the worker had committed `sent_at`: the outcome is unknown to smm);
* after the network accepted: the stand-in creates the status, then SIGKILLs the caller before it
  answers (smm never hears that it worked);
* the broker: with Redis (the private redis-server, no persistence) the broker is killed and
  restarted once mid-run, losing every queued message; while it is down the publishers have
  committed claims they cannot enqueue, and one of them is SIGKILLed right then. With the
  filesystem broker (no redis-server on the machine) there is no server to restart: the messages
  are files, and a restart would not lose or delay any of them, so that subcase does not apply and
  the test says so in its summary; everything else still runs.

The supervisor restarts whatever died. At the end (bounded) every target must be final, and each
post is on the stand-in exactly once, or failed / needs attention / held with a stored reason.
"""

from __future__ import annotations

import collections
import os
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils.translation import gettext

from publishing.models import Attempt, Target
from publishing.services.posts import PostInput, When, post_save
from smm.networks.mastodon import client
from smm.networks.models import ConnectedAccount
from tests.fixtures import Personas
from tests.peers.contract import ContractRecorder
from tests.peers.standin_mastodon import StandinMastodon, running
from tests.stack import Broker, Supervisor, database_url, process_env, publisher_command, worker_command

POSTS = 200
ACCOUNTS = 10
KILLS_DURING = 6
KILLS_AFTER = 6
WORKERS = 2
PUBLISHERS = 2
WORKER_THREADS = 4
LEASE_SECONDS = 4
MAX_IN_FLIGHT = 40
FIRST_DUE_SECONDS = 6.0  # after the posts are created: the processes start meanwhile
DUE_SPREAD_SECONDS = 30.0
CHAOS_SECONDS = (1.5, 3.5)  # a chaos kill every this many seconds (uniform)
BROKER_RESTART_AT = 0.45  # of the due spread
SETTLE_TIMEOUT = 60.0  # after the last due time, every target must be final within this
FINAL = (Target.Status.PUBLISHED, Target.Status.FAILED, Target.Status.ATTENTION, Target.Status.HELD)
SEED = 20260512


def _connect(personas: Personas, standin: StandinMastodon, config: dict[str, object]) -> ConnectedAccount:
    """A ConnectedAccount as the Mastodon connect flow leaves it, for a new stand-in account."""
    remote = standin.add_account()
    account = ConnectedAccount(
        workspace=personas.workspace,
        network=ConnectedAccount.Network.MASTODON,
        handle=f"@{remote.username}@127.0.0.1:{standin.port}",
        display_name=remote.display_name,
        remote_id=remote.id,
        config={**config, "account_id": remote.id},
    )
    account.set_credentials({"access_token": remote.access_token})
    account.save()
    return account


def test_it_the_standin_answers_what_the_mastodon_spec_documents(settings) -> None:
    """The stand-in the crash test trusts speaks the documented API (checked by the contract recorder)."""
    from smm.networks.base import MediaItem, PostDraft
    from smm.networks.mastodon.adapter import MastodonAdapter

    settings.OUTBOUND_ALLOW_LOOPBACK = True
    with running() as standin:
        remote = standin.add_account()
        recorder = ContractRecorder(standin.base_url)
        session = recorder.attach(client.new_session())
        info = client.instance_info(standin.base_url, session=session)
        assert (info.version, info.limits.max_characters, info.supports_pkce) == ("4.3.0", 500, True)
        session.get(f"{standin.base_url}/api/v1/instance", timeout=5).raise_for_status()
        adapter = MastodonAdapter(
            credentials={"access_token": remote.access_token},
            config={**info.config(), "account_id": remote.id},
            session=session,
        )
        adapter.media_processing_timeout = 10
        assert adapter.profile().remote_id == remote.id
        sent_at = datetime.now(UTC)
        first = adapter.publish(PostDraft(text="Hello #smm https://example.com/launch", idempotency_key="key-1"))
        again = adapter.publish(PostDraft(text="Hello #smm https://example.com/launch", idempotency_key="key-1"))
        assert again == first and len(standin.statuses) == 1  # Idempotency-Key: one status
        image = MediaItem(data=b"\x89PNG\r\n\x1a\n" + b"\0" * 64, mime_type="image/png", alt_text="A dot")
        video = MediaItem(data=b"\0" * 64, mime_type="video/mp4", alt_text="A clip")
        adapter.publish(PostDraft(text="A picture", idempotency_key="key-2", media=(image,)))
        adapter.publish(PostDraft(text="A clip", idempotency_key="key-3", media=(video,)))
        found = adapter.find_post(
            idempotency_key="key-1", text="Hello #smm https://example.com/launch", sent_at=sent_at
        )
        assert found is not None and found.remote_id == first.remote_id
        assert adapter.find_post(idempotency_key="key-9", text="Never sent", sent_at=sent_at) is None
        assert adapter.fetch_post(first.remote_id).text == "Hello #smm https://example.com/launch"
        adapter.delete(first.remote_id)
        assert standin.errors == []
    recorder.assert_clean()
    assert {"POST /api/v1/statuses", "POST /api/v2/media", "GET /api/v1/media/{id}"} <= set(recorder.operations())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_publishes_each_post_exactly_once_through_kills_and_a_broker_restart(
    personas: Personas, tmp_path: Path, settings, capsys
) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    started = time.monotonic()
    rng = random.Random(SEED)  # noqa: S311 - a seeded plan of kills, not a secret
    # SMM_TEST_BROKER=filesystem runs it as on a machine without redis-server.
    broker = Broker(tmp_path, prefer_redis=os.environ.get("SMM_TEST_BROKER", "redis") == "redis").start()
    env = process_env(
        database_url=database_url(connection.settings_dict),
        broker=broker,
        PUBLISH_LEASE_SECONDS=str(LEASE_SECONDS),
        # Below lease x throughput: a 4 s lease with 8 worker threads that keep being killed.
        PUBLISH_MAX_IN_FLIGHT=str(MAX_IN_FLIGHT),
        PUBLISHER_POLL_SECONDS="0.2",
    )
    supervisor = Supervisor(env=env, directory=tmp_path)

    def kill_caller(pid: int, step: str) -> bool:
        return supervisor.kill_pid(pid, reason=f"stand-in: {step} the call", kind="worker")

    standin = StandinMastodon(killer=kill_caller, max_requests=50_000, max_seconds=600).start()
    stop_chaos = threading.Event()
    try:
        # Accounts and posts, through the services. Texts are unique: reconcile matches by text.
        config = client.instance_info(standin.base_url).config()  # what the connect flow stores
        accounts = [_connect(personas, standin, config) for _n in range(ACCOUNTS)]
        membership = personas.membership(personas.editor)
        plan = ["during"] * KILLS_DURING + ["after"] * KILLS_AFTER + [""] * (POSTS - KILLS_DURING - KILLS_AFTER)
        rng.shuffle(plan)
        first_due = datetime.now(UTC) + timedelta(seconds=FIRST_DUE_SECONDS)
        texts: dict[int, str] = {}
        for number, step in enumerate(plan):
            due = first_due + timedelta(seconds=DUE_SPREAD_SECONDS * number / POSTS)
            text = f"Crash test post {number:03d} of {POSTS}: {step or 'plain'} #smm"
            post = post_save(
                membership=membership,
                data=PostInput(text=text, accounts=[accounts[number % ACCOUNTS]]),
                when=When.AT,
                at_local=due.replace(tzinfo=None),
                zone="UTC",
                confirmed=True,
            )
            texts[post.pk] = text
            if step:
                standin.kill_on(text, step)
        created_seconds = time.monotonic() - started

        for number in range(WORKERS):
            supervisor.add(f"worker{number}", "worker", worker_command(f"crash{number}", concurrency=WORKER_THREADS))
        for number in range(PUBLISHERS):
            supervisor.add(f"publisher{number}", "publisher", publisher_command())
        supervisor.start_watching()

        # Chaos: SIGKILL a random worker or publisher every few seconds until the last post is due,
        # and restart the broker once on the way (killing a publisher while it cannot enqueue).
        last_due = first_due + timedelta(seconds=DUE_SPREAD_SECONDS)
        broker_restart_at = first_due + timedelta(seconds=DUE_SPREAD_SECONDS * BROKER_RESTART_AT)
        notes: list[str] = []
        outage: dict[str, object] = {}

        def chaos() -> None:
            restarted = False
            while not stop_chaos.wait(rng.uniform(*CHAOS_SECONDS)):
                now = datetime.now(UTC)
                if now > last_due + timedelta(seconds=2):
                    return
                if not restarted and now >= broker_restart_at:
                    restarted = True
                    notes.append(_restart_broker(broker, supervisor, outage))
                    continue
                name = rng.choice(sorted(supervisor.children))
                supervisor.kill(name, reason=f"chaos: {supervisor.children[name].kind}")

        chaos_thread = threading.Thread(target=chaos, name="chaos", daemon=True)
        chaos_thread.start()

        # Wait (bounded) until every target is final.
        deadline = last_due + timedelta(seconds=SETTLE_TIMEOUT)
        open_count = -1
        while datetime.now(UTC) < deadline:
            open_count = Target.objects.exclude(status__in=FINAL).count()
            if open_count == 0 and datetime.now(UTC) > last_due:
                break
            time.sleep(0.5)
        stop_chaos.set()
        chaos_thread.join(timeout=10)
        settled_seconds = time.monotonic() - started
    finally:
        stop_chaos.set()
        supervisor.stop()
        broker.stop()
        standin.stop()

    # The verdict -------------------------------------------------------------------------------
    problems: list[str] = []
    if open_count != 0:
        stuck = Target.objects.exclude(status__in=FINAL).values_list("post_id", "status", "last_error")[:10]
        problems.append(f"{open_count} targets never reached a final state (silent): {list(stuck)}")
    on_network: dict[str, list[str]] = collections.defaultdict(list)
    for status in standin.snapshot():
        on_network[status.text].append(status.id)
    unknown_texts = set(on_network) - set(texts.values())
    if unknown_texts:
        problems.append(f"the stand-in has statuses smm never scheduled: {sorted(unknown_texts)[:5]}")
    states: collections.Counter[str] = collections.Counter()
    for target in Target.objects.select_related("post"):
        text = texts[target.post_id]
        copies = on_network.get(text, [])
        states[target.status] += 1
        if len(copies) > 1:
            problems.append(f"post {target.post_id} is on the network {len(copies)} times (duplicate)")
        if target.status == Target.Status.PUBLISHED:
            if copies != [target.remote_id]:
                problems.append(f"post {target.post_id} is published as {target.remote_id!r}, network has {copies}")
        elif target.status in (Target.Status.FAILED, Target.Status.HELD) and copies:
            problems.append(f"post {target.post_id} is {target.status} but went out (told the wrong thing)")
        elif target.status in FINAL and not (target.last_error or target.hold_reason):
            problems.append(f"post {target.post_id} is {target.status} without a stored reason (silent)")

    outcomes = collections.Counter(Attempt.objects.values_list("outcome", flat=True))
    stopped = gettext("The worker stopped before it reported back.")
    recovered = Attempt.objects.filter(error=stopped).count()
    stranded = 0
    if outage.get("pid"):  # claims the publisher committed while the broker was down, never enqueued
        stranded = Attempt.objects.filter(
            worker__endswith=f":{outage['pid']}",
            claimed_at__gte=outage["down_at"],
            sent_at__isnull=True,
            outcome=Attempt.Outcome.NOT_SENT,
        ).count()
    summary = "\n".join(
        [
            "",
            f"crash test: {POSTS} posts on {ACCOUNTS} accounts, {WORKERS} workers x {WORKER_THREADS} threads, "
            f"{PUBLISHERS} publishers, lease {LEASE_SECONDS}s, broker {broker.kind}",
            f"  kills: {dict(sorted(supervisor.kills.items()))}; restarts {supervisor.restarts}",
            f"  stand-in kill plans left unused: {len(standin.pending_kills())}; missed: "
            f"{standin.counters['kill_during_missed'] + standin.counters['kill_after_missed']}",
            *[f"  {note}" for note in notes],
            f"  recoveries (lease expired, worker gone): {recovered}; claims stranded by the publisher killed "
            f"between claim commit and enqueue: {stranded}; tasks that came after their lease: "
            f"{Attempt.objects.filter(error='lease ended').count()}",
            f"  reconciles: found {outcomes[Attempt.Outcome.FOUND]}, absent {outcomes[Attempt.Outcome.ABSENT]}; "
            f"idempotent replays at the stand-in: {standin.counters['idempotent_replays']}",
            f"  attempts: {dict(sorted(outcomes.items()))}",
            f"  final states: {dict(sorted(states.items()))}; statuses on the network: {len(standin.statuses)}",
            f"  wall time: {settled_seconds:.1f}s to settle ({created_seconds:.1f}s creating posts)",
        ]
    )
    with capsys.disabled():
        print(summary)  # noqa: T201 - the summary is for whoever runs the suite
    if problems:
        logs = "\n".join(f"--- {name}\n{supervisor.tail(name, 1500)}" for name in sorted(supervisor.children))
        pytest.fail("\n".join(problems[:30]) + summary + "\n" + logs)
    assert standin.errors == []
    # Every planned kill of a post that went out fired (its first call carried it), and both steps
    # killed a worker at least once (a kill "missed" when the caller was already dead: a sibling
    # thread's kill took its whole process).
    pending = {marker for marker, _step in standin.pending_kills()}
    published = {
        texts[post_id]
        for post_id in Target.objects.filter(status=Target.Status.PUBLISHED).values_list("post_id", flat=True)
    }
    assert not pending & published
    assert supervisor.kills["stand-in: during the call"] >= 1
    assert supervisor.kills["stand-in: after the call"] >= 1


def _restart_broker(broker: Broker, supervisor: Supervisor, outage: dict[str, object]) -> str:
    """Kill the broker; while it is down SIGKILL a publisher (claims committed, enqueue failing); restart it."""
    if broker.kind != "redis":
        return (
            "broker restart: not applicable (filesystem broker: messages are files in a folder, there "
            "is no server process to restart and nothing a restart would lose)"
        )
    outage["down_at"] = datetime.now(UTC)
    broker.stop()
    time.sleep(0.8)  # the publishers claim due posts and block retrying the enqueue
    outage["pid"] = supervisor.kill("publisher0", reason="publisher: broker down, enqueue pending")
    time.sleep(0.7)
    broker.restart()
    return f"broker killed and restarted once (down 1.5 s, queued messages lost); publisher {outage['pid']} killed"
