"""Mastodon streaming for the inbox: a mention on the real stand-in reaches the inbox in seconds, the
set of streamed accounts follows their state, a stream that cannot run falls back to polling
quietly, and everything stops cleanly (threads, and the `inbox_stream` process on SIGTERM).

The supervisor runs on a thread of its own here, as in `manage.py inbox_stream`; the database
rows it reads are committed (transaction=True) and its collection tasks run eagerly on that
thread, so a stored InboxItem proves the whole path: event, debounce, task, adapter, database.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connections

from participation import streaming
from participation.models import InboxItem
from participation.streaming import (
    AccountStream,
    Debouncer,
    StreamingBases,
    StreamState,
    StreamSupervisor,
    StreamTarget,
    stream_targets,
)
from smm.networks.mastodon import client as mastodon_client
from smm.networks.models import ConnectedAccount
from tests.fixtures import Personas
from tests.peers.mastodon import Reply

WAIT = 15.0  # every wait in this file gives up after this long


def wait_for(condition: Callable[[], Any], *, what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


class Running:
    """A supervisor on its own thread, recording each enqueue (then running it, eagerly, as usual)."""

    def __init__(self, *, refresh_seconds: float = 60.0, run_tasks: bool = True, **kwargs: Any) -> None:
        self.enqueues: list[tuple[float, int]] = []
        self.run_tasks = run_tasks
        self.supervisor = StreamSupervisor(refresh_seconds=refresh_seconds, enqueue=self._enqueue, **kwargs)
        self.thread = threading.Thread(target=self._run, name="test-supervisor", daemon=True)

    def _enqueue(self, account_id: int) -> None:
        self.enqueues.append((time.monotonic(), account_id))
        if self.run_tasks:
            streaming._enqueue_collection(account_id)  # CELERY_TASK_ALWAYS_EAGER: runs here, now

    def _run(self) -> None:
        try:
            self.supervisor.run()
        finally:
            connections.close_all()

    def start(self) -> Running:
        self.thread.start()
        return self

    def stream(self, account_id: int) -> AccountStream:
        return wait_for(lambda: self.supervisor.streams.get(account_id), what=f"a stream for account {account_id}")

    def wait_open(self, account_id: int) -> AccountStream:
        stream = self.stream(account_id)
        assert stream.opened.wait(WAIT), f"stream state {stream.state}"
        return stream

    def stop(self) -> float:
        started = time.monotonic()
        self.supervisor.stop()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()
        return time.monotonic() - started

    def enqueued_for(self, account_id: int) -> list[float]:
        return [at for at, enqueued in self.enqueues if enqueued == account_id]


@pytest.fixture
def running() -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(**kwargs: Any) -> Running:
        run = Running(**kwargs).start()
        started.append(run)
        return run

    yield start
    for run in started:
        if run.thread.is_alive():
            run.stop()


def _stream_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("inbox-stream-")]


# Units: no network, no database -------------------------------------------------------------------
def test_the_debouncer_releases_once_per_window_and_loses_no_touch() -> None:
    debouncer = Debouncer(2.0)
    debouncer.touch(1)
    assert debouncer.due(100.0) == [1]  # the first event goes at once
    debouncer.touch(1)
    debouncer.touch(1)
    debouncer.touch(2)
    assert debouncer.due(100.5) == [2]  # account 1 waits for its window; account 2 has its own
    assert debouncer.next_due() == 102.0
    assert debouncer.due(101.9) == []
    assert debouncer.due(102.0) == [1]  # the touches inside the window: one more release, not lost
    assert debouncer.due(110.0) == []
    assert debouncer.next_due() is None


def test_only_events_that_bring_inbox_items_count() -> None:
    touched: list[str] = []
    listener = streaming.InboxListener(own_id="7", touch=lambda: touched.append("x"))
    for kind in ("mention", "reblog", "quote"):
        listener.on_notification({"type": kind})
    for kind in ("favourite", "follow", "poll", "update"):
        listener.on_notification({"type": kind})
    assert len(touched) == 3
    listener.on_conversation({"id": "1"})
    assert len(touched) == 4
    listener.on_update({"account": {"id": "8"}, "mentions": [{"id": "9"}], "in_reply_to_account_id": None})
    listener.on_update({"account": {"id": "7"}, "mentions": [{"id": "7"}]})  # our own post
    assert len(touched) == 4
    listener.on_update({"account": {"id": "8"}, "mentions": [{"id": "7"}]})
    listener.on_update({"account": {"id": "8"}, "mentions": [], "in_reply_to_account_id": "7"})
    assert len(touched) == 6


@pytest.mark.parametrize(
    ("advertised", "loopback", "expected"),
    [
        ("wss://streaming.example.social", False, "https://streaming.example.social"),
        ("wss://streaming.example.social:4000/some/path", False, "https://streaming.example.social:4000"),
        ("https://example.social/", False, "https://example.social"),
        ("ws://127.0.0.1:3000", True, "http://127.0.0.1:3000"),
        ("ws://example.social", False, None),  # the token would travel in the clear
        ("wss://user:pw@example.social", False, None),
        ("ftp://example.social", False, None),
    ],
)
def test_the_advertised_streaming_address(settings, advertised: str, loopback: bool, expected: str | None) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = loopback
    assert streaming._http_base(advertised) == expected


# The real stand-in -------------------------------------------------------------------------------
def _mastodon_account(personas: Personas, mastodon_server, prefix: str = "brand") -> tuple[ConnectedAccount, Any]:
    user = mastodon_server.create_user(prefix)
    info = mastodon_client.instance_info(mastodon_server.base_url)
    account = ConnectedAccount(
        workspace=personas.workspace,
        network="mastodon",
        handle=f"@{user.username}@127.0.0.1",
        remote_id=user.id,
        config={**info.config(), "account_id": user.id},
    )
    account.set_credentials({"access_token": user.access_token})
    account.save()
    return account, user


@pytest.fixture
def loopback(settings) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("loopback")
def test_a_mention_and_a_dm_reach_the_inbox_within_seconds(
    personas: Personas, mastodon_server, running, capsys
) -> None:
    account, user = _mastodon_account(personas, mastodon_server)
    fan = mastodon_server.create_user("fan")
    run = running()
    run.wait_open(account.pk)

    posted = time.monotonic()
    mention = mastodon_server.client(fan).status_post(f"@{user.username} is the shop open on Sunday?")
    item = wait_for(
        lambda: InboxItem.objects.filter(account=account, remote_id=str(mention.id)).first(), what="the mention"
    )
    mention_latency = time.monotonic() - posted
    assert item.kind == InboxItem.Kind.MENTION
    enqueued_after = run.enqueued_for(account.pk)[0] - posted
    assert enqueued_after < 2.0  # the stream, not the minute's polling

    time.sleep(streaming.DEBOUNCE_SECONDS)  # past the debounce window, so the DM is timed on its own
    posted = time.monotonic()
    dm = mastodon_server.client(fan).status_post(f"@{user.username} my order number is 1234", visibility="direct")
    item = wait_for(lambda: InboxItem.objects.filter(account=account, remote_id=str(dm.id)).first(), what="the DM")
    dm_latency = time.monotonic() - posted
    assert item.kind == InboxItem.Kind.DIRECT
    with capsys.disabled():
        sys.stdout.write(
            f"\nstreaming: mention stored {mention_latency * 1000:.0f} ms after posting (enqueued after "
            f"{enqueued_after * 1000:.0f} ms; this process's first collection loads the language model), "
            f"DM {dm_latency * 1000:.0f} ms\n"
        )
    assert mention_latency < 5.0 and dm_latency < 5.0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("loopback")
def test_a_burst_of_mentions_makes_few_collections_and_loses_none(personas: Personas, mastodon_server, running) -> None:
    account, user = _mastodon_account(personas, mastodon_server)
    fan = mastodon_server.client(mastodon_server.create_user("fan"))
    run = running(debounce_seconds=2.0)
    run.wait_open(account.pk)

    ids = [str(fan.status_post(f"@{user.username} question {n}").id) for n in range(5)]
    wait_for(
        lambda: InboxItem.objects.filter(account=account, remote_id__in=ids).count() == 5, what="all five mentions"
    )
    times = run.enqueued_for(account.pk)
    assert 1 <= len(times) <= 3, times
    assert all(later - earlier >= 1.9 for earlier, later in zip(times, times[1:], strict=False)), times


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("loopback")
def test_only_active_mastodon_accounts_stream_and_the_set_follows_changes(
    personas: Personas, mastodon_server, running
) -> None:
    active, active_user = _mastodon_account(personas, mastodon_server)
    gone, _ = _mastodon_account(personas, mastodon_server, "gone")
    gone.status = ConnectedAccount.Status.DISCONNECTED
    gone.save(update_fields=["status"])
    stale, _ = _mastodon_account(personas, mastodon_server, "stale")
    stale.status = ConnectedAccount.Status.RECONNECT
    stale.save(update_fields=["status"])
    personal, _ = _mastodon_account(personas, mastodon_server, "personal")
    personal.personal_owner = personas.editor  # a member's own account, for sharing only
    personal.save(update_fields=["personal_owner"])
    # (personas.account has no token or instance: nothing to stream either.)
    assert set(stream_targets()) == {active.pk}

    run = running(refresh_seconds=0.3, run_tasks=False)
    run.wait_open(active.pk)
    assert set(run.supervisor.streams) == {active.pk}

    # A new account starts streaming at the next refresh; a disconnected one stops.
    newcomer, newcomer_user = _mastodon_account(personas, mastodon_server, "newcomer")
    run.wait_open(newcomer.pk)
    first = run.supervisor.streams[active.pk]
    active.status = ConnectedAccount.Status.DISCONNECTED
    active.save(update_fields=["status"])
    wait_for(lambda: active.pk not in run.supervisor.streams, what="the disconnected account's stream to go")
    wait_for(lambda: not first.is_alive(), what="its thread to end", timeout=5)

    # Its mentions no longer enqueue anything; the newcomer's do.
    fan = mastodon_server.client(mastodon_server.create_user("fan"))
    fan.status_post(f"@{active_user.username} hello?")
    fan.status_post(f"@{newcomer_user.username} welcome!")
    wait_for(lambda: run.enqueued_for(newcomer.pk), what="the newcomer's collection")
    time.sleep(0.5)
    assert run.enqueued_for(active.pk) == []

    # A new token (a reconnect) restarts the stream.
    replaced = run.supervisor.streams[newcomer.pk]
    newcomer.set_credentials({"access_token": newcomer_user.access_token})
    newcomer.save(update_fields=["credentials_encrypted"])
    wait_for(lambda: run.supervisor.streams.get(newcomer.pk) not in (None, replaced), what="a restarted stream")
    assert run.wait_open(newcomer.pk).opened.is_set()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("loopback")
def test_the_supervisor_stops_every_stream_at_once(personas: Personas, mastodon_server, running) -> None:
    accounts = [_mastodon_account(personas, mastodon_server, f"brand{n}")[0] for n in range(3)]
    run = running(run_tasks=False)
    for account in accounts:
        run.wait_open(account.pk)
    streams = list(run.supervisor.streams.values())

    # The streams sit in a blocking read between heartbeats (15 s apart): stopping cuts them.
    took = run.stop()
    assert took < 3.0, took
    assert all(not stream.is_alive() and stream.state == StreamState.STOPPED for stream in streams)
    assert _stream_threads() == []


# Streams that cannot run: polling carries on ------------------------------------------------------
def _target(base_url: str, *, account_id: int = 1) -> StreamTarget:
    return StreamTarget(
        account_id=account_id, instance_url=base_url, own_id="1", fingerprint="f", access_token="secret-token"
    )


def _instance(streaming_url: str | None) -> dict[str, Any]:
    return {"version": "4.3.0", "configuration": {"urls": {"streaming": streaming_url}}}


def _stream_alone(target: StreamTarget, touched: list[int]) -> AccountStream:
    stream = AccountStream(target, touch=touched.append, bases=StreamingBases())
    stream.start()
    return stream


@pytest.mark.usefixtures("loopback")
def test_streaming_switched_off_falls_back_to_polling_quietly(scripted_mastodon, caplog) -> None:
    scripted_mastodon.on("GET", "/api/v2/instance", Reply(200, _instance(f"ws{scripted_mastodon.base_url[4:]}")))
    # /api/v1/streaming/user is not scripted: the server answers 404, as Mastodon with streaming off.
    touched: list[int] = []
    with caplog.at_level(logging.INFO, logger="participation.streaming"):
        stream = _stream_alone(_target(scripted_mastodon.base_url), touched)
        wait_for(lambda: stream.state == StreamState.NO_STREAMING, what="the fallback")
        stream.stop()
        stream.join(WAIT)
    assert not stream.is_alive() and touched == []
    assert [request.path for request in scripted_mastodon.requests] == ["/api/v2/instance", "/api/v1/streaming/user"]
    assert "streaming is off (HTTP 404); polling only" in caplog.text
    assert "secret-token" not in caplog.text
    assert scripted_mastodon.requests[1].headers["Authorization"] == "Bearer secret-token"


@pytest.mark.usefixtures("loopback")
def test_an_instance_without_a_streaming_url_is_not_streamed(scripted_mastodon) -> None:
    scripted_mastodon.on("GET", "/api/v2/instance", Reply(200, _instance(None)))
    scripted_mastodon.on("GET", "/api/v1/instance", Reply(200, {"version": "4.3.0", "urls": {}}))
    stream = _stream_alone(_target(scripted_mastodon.base_url), [])
    wait_for(lambda: stream.state == StreamState.NO_STREAMING, what="the fallback")
    stream.stop()
    stream.join(WAIT)
    assert [request.path for request in scripted_mastodon.requests] == ["/api/v2/instance", "/api/v1/instance"]


@pytest.mark.usefixtures("loopback")
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(drop=True), "connection failed"),
        (Reply(401, {"error": "The access token is invalid"}), "token refused (HTTP 401)"),
        (Reply(503, {"error": "busy"}, headers={"Retry-After": "30"}), "HTTP 503"),
        (Reply(200, b"<html>hello</html>", headers={"Content-Type": "text/html"}), "answers with something else"),
    ],
)
def test_a_broken_stream_backs_off_with_a_log_line(scripted_mastodon, caplog, reply: Reply, reason: str) -> None:
    scripted_mastodon.on("GET", "/api/v2/instance", Reply(200, _instance(scripted_mastodon.base_url)))
    scripted_mastodon.on("GET", "/api/v1/streaming/user", reply)
    with caplog.at_level(logging.INFO, logger="participation.streaming"):
        stream = _stream_alone(_target(scripted_mastodon.base_url), [])
        wait_for(lambda: reason in caplog.text, what="the log line")
        assert stream.state in (StreamState.BACKING_OFF, StreamState.NO_STREAMING)
        stream.stop()
        stream.join(WAIT)
    assert not stream.is_alive()
    assert "polling only, trying again in" in caplog.text


def test_the_ssrf_guard_applies_to_the_stream(settings, scripted_mastodon) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    scripted_mastodon.on("GET", "/api/v2/instance", Reply(200, _instance(scripted_mastodon.base_url)))
    stream = _stream_alone(_target(scripted_mastodon.base_url), [])
    wait_for(lambda: stream.state in (StreamState.BACKING_OFF, StreamState.NO_STREAMING), what="a refusal")
    stream.stop()
    stream.join(WAIT)
    assert scripted_mastodon.requests == []  # nothing reached 127.0.0.1


@pytest.mark.usefixtures("loopback")
def test_an_advertised_streaming_host_on_a_private_network_is_refused(scripted_mastodon) -> None:
    # The instance itself is allowed (a loopback stand-in); where it sends the token is checked too.
    scripted_mastodon.on("GET", "/api/v2/instance", Reply(200, _instance("wss://10.1.2.3")))
    stream = _stream_alone(_target(scripted_mastodon.base_url), [])
    wait_for(lambda: stream.state == StreamState.NO_STREAMING, what="the refusal")
    stream.stop()
    stream.join(WAIT)
    assert [request.path for request in scripted_mastodon.requests] == ["/api/v2/instance"]


def test_a_supervisor_survives_failures_around_it(caplog) -> None:
    calls = {"targets": 0, "enqueue": 0}

    def targets() -> dict[int, StreamTarget]:
        calls["targets"] += 1
        raise RuntimeError("database down")

    run = Running(refresh_seconds=0.05, targets=targets)
    run.start()
    wait_for(lambda: calls["targets"] >= 3, what="refreshes that keep failing")
    assert run.thread.is_alive()
    assert run.stop() < 3.0
    assert "could not read the accounts" in caplog.text


# The process --------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("loopback")
def test_manage_py_inbox_stream_collects_and_stops_on_sigterm(personas: Personas, mastodon_server, tmp_path) -> None:
    from django.db import connection

    from tests.stack import REPO, Broker, database_url, process_env

    account, user = _mastodon_account(personas, mastodon_server)
    env = process_env(
        database_url=database_url(connection.settings_dict),
        broker=Broker(tmp_path, prefer_redis=False),
        CELERY_TASK_ALWAYS_EAGER="1",  # the child collects on its own thread: no worker needed
        LOG_LEVEL="INFO",
    )
    log = (tmp_path / "inbox_stream.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(REPO / "manage.py"), "inbox_stream"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output = tmp_path / "inbox_stream.log"
        wait_for(lambda: b"open (127.0.0.1)" in output.read_bytes(), what="the stream to open")
        posted = time.monotonic()
        mention = mastodon_server.client(mastodon_server.create_user("fan")).status_post(f"@{user.username} hi")
        wait_for(
            lambda: InboxItem.objects.filter(account=account, remote_id=str(mention.id)).exists(),
            what="the mention, collected by the process",
        )
        latency = time.monotonic() - posted
        stopped = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=WAIT) == 0
        assert time.monotonic() - stopped < 5.0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=WAIT)
        log.close()
    text = output.read_text(errors="replace")
    assert "inbox stream: stopped after 1 collections" in text, text[-2000:]
    assert user.access_token not in text
    assert latency < 5.0
