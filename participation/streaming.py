"""Mastodon streaming for the inbox: a latency booster on top of polling, never a replacement.

Polling (`inbox_collect_all_task`, every minute) stays the source of truth. The supervisor here
keeps one user stream (`/api/v1/streaming/user`) open per active Mastodon account, and when an
event shows something new for the inbox (a mention, reply, DM, quote or boost notification, a
`conversation`, or a home `update` that replies to or mentions the account) it enqueues the same
`inbox_collect_task(account_id)` the minute does, for that account only. Nothing is stored from the
event itself, so a missed, duplicated or reordered event costs at most a minute of latency.

* Enqueues are debounced per account: at most one per DEBOUNCE_SECONDS, and an event inside the
  window is not lost (one more enqueue follows when the window ends). Tasks carry only the id.
* Every REFRESH_SECONDS the set of accounts is read again: new accounts start streaming; removed,
  disconnected, reconnect-needed and personal accounts stop; a changed token or instance restarts.
* A broken stream (network down, HTTP error, 401, 429, a stream that ends) is retried with an
  exponential backoff (BACKOFF_INITIAL_SECONDS doubling to BACKOFF_MAX_SECONDS, with jitter) and
  one log line per failure; polling carries on meanwhile. An instance that advertises no
  streaming URL, or answers 404 (streaming off), is asked again after NO_STREAMING_RECHECK_SECONDS.
* The stream only ever talks to the account's instance and the streaming host it advertises, and
  every connection goes through smm's SSRF guard (`smm.lib.http`, OUTBOUND_ALLOW_LOOPBACK).

Why not `Mastodon.stream_user(listener, run_async=True, reconnect_async=True)`: Mastodon.py opens
the stream with `self.session.get(..., stream=True)`. On smm's SSRF-safe requests session
(`smm.networks.mastodon.client.connect`) that never returns, because the safe adapter reads every
body to its end before handing it back (see the `smm.lib.http` docstring), and a plain session
would skip the guard. Its `__get_streaming_base()` also fetches the public timeline first and the
instance document with a trailing slash (404 on Takahe and GoToSocial). So the connection is opened
here on `safe_httpx_client` (the same checks and address pinning, with a streamed body, a size cap
and an overall deadline that recycles a stream hourly), and Mastodon.py's `StreamListener`
parses and dispatches the server-sent events. Its reconnect loop is replaced by ours, with a
backoff and a clean stop.

Stream threads never touch the database: they only mark an account as touched. The supervisor's
own thread reads the accounts, decrypts tokens and enqueues (in tests, eager tasks run there).
Tokens are never logged; they live in the one stream's memory and its Authorization header.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import math
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import close_old_connections
from mastodon.errors import MastodonError
from mastodon.streaming import StreamListener

from smm.lib.http import ResponseTooLargeError, UnsafeURLError, safe_httpx_client
from smm.networks.base import NetworkError
from smm.networks.mastodon import client as api
from smm.networks.models import ConnectedAccount

logger = logging.getLogger(__name__)

STREAM_PATH = "/api/v1/streaming/user"
REFRESH_SECONDS = 60.0  # how often the set of accounts is read again
DEBOUNCE_SECONDS = 2.0  # at most one collection enqueued per account per this long
# Mastodon sends a `:thump` heartbeat every 15 s (mastodon_mock too): four missed ones end the stream.
READ_TIMEOUT_SECONDS = 60.0
INSTANCE_TIMEOUT_SECONDS = 10.0
CONNECTION_LIFETIME_SECONDS = 3600.0  # the safe client's deadline: a stream is reopened every hour
MAX_STREAM_BYTES = 256 * 1024 * 1024  # per connection; a busy home timeline reopens, never grows memory
BACKOFF_INITIAL_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 300.0
STABLE_SECONDS = 60.0  # a stream that lasted this long ended normally: reopen at once, backoff reset
REOPEN_SECONDS = 1.0
NO_STREAMING_RECHECK_SECONDS = 3600.0  # streaming off or not advertised: ask the instance again after
INSTANCE_CACHE_SECONDS = 3600.0
STOP_JOIN_SECONDS = 5.0  # how long a stop waits for all stream threads together


class StreamState(enum.StrEnum):
    STARTING = "starting"
    STREAMING = "streaming"
    BACKING_OFF = "backing_off"  # a failure: retrying later, polling meanwhile
    NO_STREAMING = "no_streaming"  # the instance has no streaming: polling only, asking again later
    STOPPED = "stopped"


# Which events are worth a collection ------------------------------------------------------------
def _relevant_notification_types() -> frozenset[str]:
    """Mastodon notification types that become inbox items (likes and follows are metrics, not items)."""
    from participation.services.collection import KINDS
    from smm.networks.mastodon.adapter import NOTIFICATION_KINDS

    return frozenset(remote for remote, kind in NOTIFICATION_KINDS.items() if kind in KINDS)


class InboxListener(StreamListener):
    """Calls `touch()` for events that may have brought something new to the account's inbox."""

    def __init__(self, *, own_id: str, touch: Callable[[], None]) -> None:
        self.own_id = own_id
        self.touch = touch
        self.notification_types = _relevant_notification_types()
        self.heartbeats = 0

    def on_notification(self, notification: Any) -> None:
        if str(_get(notification, "type")) in self.notification_types:
            self.touch()

    def on_conversation(self, conversation: Any) -> None:
        self.touch()

    def on_update(self, status: Any) -> None:
        # A home timeline post that answers or names the account; a notification normally follows,
        # and the debounce makes the two one collection.
        if not self.own_id or str(_get(_get(status, "account"), "id")) == self.own_id:
            return
        mentioned = {str(_get(mention, "id")) for mention in _get(status, "mentions") or ()}
        if str(_get(status, "in_reply_to_account_id")) == self.own_id or self.own_id in mentioned:
            self.touch()

    def on_unknown_event(self, name: str, unknown_event: Any = None) -> None:
        return  # newer servers send events Mastodon.py does not know; none of them matter here

    def handle_heartbeat(self) -> None:
        self.heartbeats += 1


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


# The streaming server's address -----------------------------------------------------------------
class NoStreaming(Exception):
    """The instance has no usable streaming server (none advertised, switched off, refused)."""


def streaming_base_url(instance_url: str, *, timeout: float = INSTANCE_TIMEOUT_SECONDS) -> str | None:
    """The streaming server the instance advertises, as an http(s) base URL, or None.

    From `/api/v2/instance` `configuration.urls.streaming`, else `/api/v1/instance`
    `urls.streaming_api` (plain GETs without Mastodon.py's trailing slash, on the safe session).
    Mastodon advertises `wss://host`; like Mastodon.py, only the scheme and host are kept. Plain
    `ws://`/`http://` is used only where OUTBOUND_ALLOW_LOOPBACK is on (local stand-ins), as for
    instance URLs: the token would travel in the clear. Raises NetworkError when neither
    document can be read (a transient failure: retried with the backoff).
    """
    session = api.new_session(timeout=timeout)
    headers = {"Accept": "application/json", "User-Agent": api.USER_AGENT}
    answered = False
    with session:
        for path, keys in (
            ("/api/v2/instance", ("configuration", "urls", "streaming")),
            ("/api/v1/instance", ("urls", "streaming_api")),
        ):
            with api.translated_errors(session):
                response = session.get(instance_url + path, headers=headers, timeout=timeout)
            if response.status_code in (404, 410):
                continue
            if not response.ok:
                raise api.error_from_response(response)
            try:
                value: Any = response.json()
            except ValueError:
                continue
            answered = answered or isinstance(value, dict)
            for key in keys:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, str) and value.strip():
                return _http_base(value.strip())
    if not answered:
        raise NoStreaming("no instance document")
    return None


def _http_base(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = {"wss": "https", "ws": "http", "https": "https", "http": "http"}.get(parts.scheme.lower())
    if scheme is None or not parts.hostname or "@" in parts.netloc:
        return None
    if scheme == "http" and not getattr(settings, "OUTBOUND_ALLOW_LOOPBACK", False):
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}" + (f":{port}" if port else "")


class StreamingBases:
    """Instance URL -> streaming base (or None), cached for an hour and fetched once per instance."""

    def __init__(self, *, lookup: Callable[[str], str | None] = streaming_base_url) -> None:
        self._lookup = lookup
        self._lock = threading.Lock()
        self._fetching: dict[str, threading.Lock] = {}
        self._known: dict[str, tuple[str | None, float]] = {}

    def get(self, instance_url: str) -> str | None:
        with self._lock:
            fetching = self._fetching.setdefault(instance_url, threading.Lock())
        with fetching:  # many accounts on one instance: one of them asks, the others wait for it
            with self._lock:
                known = self._known.get(instance_url)
                if known is not None and known[1] > time.monotonic():
                    return known[0]
            base = self._lookup(instance_url)
            with self._lock:
                self._known[instance_url] = (base, time.monotonic() + INSTANCE_CACHE_SECONDS)
            return base

    def forget(self, instance_url: str) -> None:
        with self._lock:
            self._known.pop(instance_url, None)


# One account's stream ---------------------------------------------------------------------------
@dataclass(frozen=True)
class StreamTarget:
    """What one stream needs, read from the account row by the supervisor."""

    account_id: int
    instance_url: str
    own_id: str
    fingerprint: str  # changes when the token, instance or account id does: the stream restarts
    access_token: str = field(repr=False)


@dataclass(frozen=True)
class _Outcome:
    state: StreamState
    reason: str
    opened_for: float = 0.0  # how long the stream was open; 0 when it never opened
    retry_after: float | None = None


class _Body:
    """The one method of a requests Response that StreamListener.handle_stream uses, on httpx."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    def iter_content(self, chunk_size: int = 1) -> Iterator[bytes]:
        return self._response.iter_bytes()


class AccountStream:
    """One account's user stream on its own daemon thread, reopened with a backoff until stopped."""

    def __init__(self, target: StreamTarget, *, touch: Callable[[int], None], bases: StreamingBases) -> None:
        self.target = target
        self._touch = touch
        self._bases = bases
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._response: httpx.Response | None = None
        self.state = StreamState.STARTING
        self.opened = threading.Event()  # set while the stream is open (tests wait for it)
        self._thread = threading.Thread(target=self._run, name=f"inbox-stream-{target.account_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end, and cut the open connection so a blocked read returns now."""
        self._stopping.set()
        with self._lock:
            response = self._response
        if response is not None:
            _abort(response)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        failures = 0
        try:
            while not self._stopping.is_set():
                try:
                    outcome = self._stream_once()
                except Exception as error:  # a bug must not end streaming for good, nor the process
                    logger.exception("inbox stream for account %s failed unexpectedly", self.target.account_id)
                    outcome = _Outcome(StreamState.BACKING_OFF, type(error).__name__)
                if self._stopping.is_set():
                    break
                if outcome.state == StreamState.NO_STREAMING:
                    failures = 0
                    delay = NO_STREAMING_RECHECK_SECONDS
                elif outcome.opened_for >= STABLE_SECONDS:
                    failures = 0
                    delay = REOPEN_SECONDS
                else:
                    failures += 1
                    delay = min(BACKOFF_MAX_SECONDS, BACKOFF_INITIAL_SECONDS * 2 ** min(failures - 1, 16))
                    delay *= random.uniform(0.8, 1.2)  # noqa: S311 - spreading retries, not a secret
                    if outcome.retry_after:
                        delay = max(delay, min(outcome.retry_after, BACKOFF_MAX_SECONDS * 4))
                self.state = outcome.state
                if delay > REOPEN_SECONDS:
                    logger.info(
                        "inbox stream for account %s: %s; polling only, trying again in %.0f s",
                        self.target.account_id,
                        outcome.reason,
                        delay,
                    )
                self._stopping.wait(delay)
        finally:
            self.state = StreamState.STOPPED
            self.opened.clear()

    def _stream_once(self) -> _Outcome:
        target = self.target
        try:
            base = self._bases.get(target.instance_url)
        except NoStreaming as error:
            return _Outcome(StreamState.NO_STREAMING, f"the instance has no streaming ({error})")
        except NetworkError as error:
            return _Outcome(
                StreamState.BACKING_OFF,
                f"instance document unavailable: {error.detail or error.message}",
                retry_after=getattr(error, "retry_after", None),
            )
        if base is None:
            return _Outcome(StreamState.NO_STREAMING, "the instance advertises no usable streaming server")
        headers = {
            "Authorization": f"Bearer {target.access_token}",
            "Accept": "text/event-stream",
            "Cache-Control": "no-cache",
            "User-Agent": api.USER_AGENT,
        }
        listener = InboxListener(own_id=target.own_id, touch=lambda: self._touch(target.account_id))
        opened_at: float | None = None
        try:
            with (
                safe_httpx_client(
                    timeout=(api.CONNECT_TIMEOUT, READ_TIMEOUT_SECONDS),
                    deadline=CONNECTION_LIFETIME_SECONDS,
                    max_bytes=MAX_STREAM_BYTES,
                    follow_redirects=True,  # each hop checked; Authorization is dropped across hosts
                ) as client,
                client.stream("GET", base + STREAM_PATH, headers=headers) as response,
            ):
                refused = _refusal(response)
                if refused is not None:
                    if refused.state == StreamState.NO_STREAMING:
                        self._bases.forget(target.instance_url)
                    return refused
                with self._lock:
                    if self._stopping.is_set():
                        return _Outcome(StreamState.STOPPED, "stopped")
                    self._response = response
                opened_at = time.monotonic()
                self.state = StreamState.STREAMING
                self.opened.set()
                logger.info("inbox stream for account %s: open (%s)", target.account_id, urlsplit(base).hostname)
                try:
                    listener.handle_stream(_Body(response))
                finally:
                    self.opened.clear()
                    with self._lock:
                        self._response = None
                reason = "the server ended the stream"
        except UnsafeURLError as error:  # the guard refused the streaming host: it will not change soon
            return _Outcome(StreamState.NO_STREAMING, f"streaming host refused: {error.code}")
        except ResponseTooLargeError:
            reason = "the stream reached its size cap"
        except httpx.TimeoutException as error:
            reason = f"timed out ({type(error).__name__})"
        except httpx.HTTPError as error:
            reason = f"connection failed ({type(error).__name__})"
        except MastodonError as error:
            reason = f"unreadable stream ({type(error).__name__})"
        except OSError as error:
            reason = f"connection failed ({type(error).__name__})"
        opened_for = time.monotonic() - opened_at if opened_at is not None else 0.0
        return _Outcome(StreamState.BACKING_OFF, reason, opened_for=opened_for)


def _refusal(response: httpx.Response) -> _Outcome | None:
    """Why an answer is not a stream to read, or None when it is one."""
    status = response.status_code
    if status == 200:
        if response.headers.get("content-type", "").split(";")[0].strip().lower() == "text/event-stream":
            return None
        return _Outcome(StreamState.NO_STREAMING, "the streaming address answers with something else")
    if status in (404, 410, 501):
        return _Outcome(StreamState.NO_STREAMING, f"streaming is off (HTTP {status})")
    if status in (401, 403):
        # The minute's collection gets the same answer and marks the account "reconnect needed",
        # which stops this stream at the next refresh.
        return _Outcome(StreamState.BACKING_OFF, f"token refused (HTTP {status})", retry_after=BACKOFF_MAX_SECONDS)
    retry_after = _seconds(response.headers.get("retry-after")) if status in (429, 503) else None
    return _Outcome(StreamState.BACKING_OFF, f"HTTP {status}", retry_after=retry_after)


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def _abort(response: httpx.Response) -> None:
    """Shut the connection's socket down, so a read blocked on it in another thread returns at once.

    Closing the response from another thread would not wake a blocked recv(); shutdown() does.
    """
    network_stream = response.extensions.get("network_stream")
    sock = network_stream.get_extra_info("socket") if network_stream is not None else None
    if isinstance(sock, socket.socket):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


# Debounce ---------------------------------------------------------------------------------------
class Debouncer:
    """At most one release per key per `window`; a touch inside the window is released when it ends."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._lock = threading.Lock()
        self._pending: set[int] = set()
        self._released: dict[int, float] = {}

    def touch(self, key: int) -> None:
        with self._lock:
            self._pending.add(key)

    def due(self, now: float) -> list[int]:
        """The keys to release now (and remember as released)."""
        with self._lock:
            ready = sorted(key for key in self._pending if now - self._released.get(key, -math.inf) >= self.window)
            for key in ready:
                self._pending.discard(key)
                self._released[key] = now
            return ready

    def next_due(self) -> float | None:
        """The monotonic time of the next release, None when nothing waits."""
        with self._lock:
            if not self._pending:
                return None
            return min(self._released.get(key, -math.inf) + self.window for key in self._pending)

    def forget(self, key: int) -> None:
        with self._lock:
            self._pending.discard(key)
            self._released.pop(key, None)


# The supervisor ---------------------------------------------------------------------------------
def _enqueue_collection(account_id: int) -> None:
    from participation.tasks import inbox_collect_task

    inbox_collect_task.delay(account_id)


def stream_targets() -> dict[int, StreamTarget]:
    """The Mastodon accounts to stream: the ones the minute collects (connected, not waiting for a
    reconnect, not a member's personal sharing account), with what their streams need."""
    from participation.services.collection import accounts_to_collect

    targets: dict[int, StreamTarget] = {}
    accounts = ConnectedAccount.objects.filter(
        pk__in=accounts_to_collect(), network=ConnectedAccount.Network.MASTODON
    ).only("pk", "config", "remote_id", "credentials_encrypted")
    for account in accounts:
        if not account.config.get("instance_url") or not account.credentials_encrypted:
            continue  # not connected for real (yet)
        try:
            instance_url = api.normalise_instance_url(str(account.config["instance_url"]))
            token = str(account.credentials.get("access_token") or "")
        except Exception as error:  # an unreadable row must not stop the others from streaming
            logger.info("inbox stream: account %s skipped (%s)", account.pk, type(error).__name__)
            continue
        if not token:
            continue
        own_id = str(account.config.get("account_id") or account.remote_id or "")
        digest = hashlib.sha256("\n".join((account.credentials_encrypted, instance_url, own_id)).encode())
        targets[account.pk] = StreamTarget(
            account_id=account.pk,
            instance_url=instance_url,
            own_id=own_id,
            fingerprint=digest.hexdigest()[:16],
            access_token=token,
        )
    return targets


class StreamSupervisor:
    """Keeps one stream per active Mastodon account and turns their events into collections.

    `run()` blocks until `stop()` (from a signal handler or another thread), then stops every
    stream and waits for the threads (at most STOP_JOIN_SECONDS together). Database work and
    enqueues happen on the thread that calls `run()`.
    """

    def __init__(
        self,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        debounce_seconds: float = DEBOUNCE_SECONDS,
        enqueue: Callable[[int], None] = _enqueue_collection,
        targets: Callable[[], dict[int, StreamTarget]] = stream_targets,
        bases: StreamingBases | None = None,
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self._enqueue = enqueue
        self._targets = targets
        self._bases = bases or StreamingBases()
        self._debouncer = Debouncer(debounce_seconds)
        self._streams: dict[int, AccountStream] = {}
        self._retired: list[AccountStream] = []
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self.enqueued = 0

    # What tests and the command look at
    @property
    def streams(self) -> dict[int, AccountStream]:
        return dict(self._streams)

    def stop(self) -> None:
        """Make `run()` return; safe from signal handlers and other threads."""
        self._stopping.set()
        self._wake.set()

    def run(self) -> None:
        next_refresh = time.monotonic()
        try:
            while not self._stopping.is_set():
                if time.monotonic() >= next_refresh:
                    self.refresh()
                    next_refresh = time.monotonic() + self.refresh_seconds
                self._wake.clear()
                self._flush()
                wake_at = next_refresh
                pending = self._debouncer.next_due()
                if pending is not None:
                    wake_at = min(wake_at, pending)
                self._wake.wait(max(0.0, min(wake_at - time.monotonic(), self.refresh_seconds)))
        finally:
            self._shutdown()

    def refresh(self) -> None:
        """Start streams for new accounts, stop them for accounts no longer wanted or changed."""
        close_old_connections()  # a long-running process: drop connections the database closed
        try:
            wanted = self._targets()
        except Exception:
            logger.exception("inbox stream: could not read the accounts; keeping the current streams")
            close_old_connections()
            return
        for account_id, stream in list(self._streams.items()):
            target = wanted.get(account_id)
            if target is None or target.fingerprint != stream.target.fingerprint or not stream.is_alive():
                self._retire(account_id)
        for account_id, target in wanted.items():
            if account_id not in self._streams:
                stream = AccountStream(target, touch=self._touch, bases=self._bases)
                self._streams[account_id] = stream
                stream.start()
        self._retired = [stream for stream in self._retired if stream.is_alive()]

    def _retire(self, account_id: int) -> None:
        stream = self._streams.pop(account_id)
        stream.stop()
        self._retired.append(stream)
        self._debouncer.forget(account_id)

    def _touch(self, account_id: int) -> None:
        """Called on a stream's thread: mark the account, wake the supervisor."""
        self._debouncer.touch(account_id)
        self._wake.set()

    def _flush(self) -> None:
        for account_id in self._debouncer.due(time.monotonic()):
            if account_id not in self._streams:
                continue
            try:
                self._enqueue(account_id)
                self.enqueued += 1
            except Exception:  # the broker down, say: the minute's polling still collects
                logger.exception("inbox stream: could not enqueue a collection for account %s", account_id)

    def _shutdown(self) -> None:
        for account_id in list(self._streams):
            self._retire(account_id)
        deadline = time.monotonic() + STOP_JOIN_SECONDS
        for stream in self._retired:
            stream.join(max(0.0, deadline - time.monotonic()))
        left = [stream.target.account_id for stream in self._retired if stream.is_alive()]
        if left:
            logger.warning("inbox stream: threads for accounts %s did not stop in time", left)
        self._retired = [stream for stream in self._retired if stream.is_alive()]
