"""A small, fast Mastodon stand-in for crash tests and benchmarks, with hooks that kill the caller.

It answers the part of the documented Mastodon API that smm's MastodonAdapter (Mastodon.py) uses
to connect an account and publish, in the shapes of tests/peers/specs/mastodon-openapi.json:

    GET  /api/v1/instance, /api/v2/instance          (configuration limits; trailing slash too)
    GET  /.well-known/oauth-authorization-server
    GET  /api/v1/accounts/verify_credentials
    GET  /api/v1/accounts/:id
    GET  /api/v1/accounts/:id/statuses               (newest first, limit ≤ 40, max_id, min_id,
                                                      since_id, Link header)
    POST /api/v1/statuses                            (form or JSON; Idempotency-Key as Mastodon:
                                                      the same key from the same account returns
                                                      the status the first request made, for an hour)
    GET  /api/v1/statuses/:id, DELETE /api/v1/statuses/:id
    POST /api/v2/media, GET /api/v1/media/:id        (images ready at once; video 202 then 206
                                                      until `video_processing_seconds` passed)

Every API answer carries X-RateLimit-Limit / -Remaining / -Reset for the account (300 calls per
5 minutes, as Mastodon's default); past the limit it answers 429, like Mastodon.

What makes it a crash-test peer:

* `latency`: every request waits this long before it is answered (50 ms for the benchmark);
* `kill_on(marker, step)`: the next POST /api/v1/statuses whose text contains `marker` finds the
  process on the other end of its TCP connection (psutil maps the peer port to a pid) and has
  `killer(pid, step)` SIGKILL it, either *during* the call (before the status exists) or *after* the
  network accepted it (the status exists, the caller never hears). The connection is then closed
  without an answer. `killer` decides whether the pid is one it may kill (the test's own
  processes only) and returns whether it did;
* `accepted_at` per status (wall clock), counters, and a thread-safe store.

Bounded: it binds 127.0.0.1 only, refuses requests past `max_requests` and after `max_seconds`
(503), and `stop()` ends it. Accounts are added with `add_account()`; there is no OAuth flow.
"""

from __future__ import annotations

import collections
import contextlib
import html
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

VERSION = "4.3.0"
MAX_CHARACTERS = 500
MAX_MEDIA = 4
URL_LENGTH = 23
STATUSES_PAGE_MAX = 40
IDEMPOTENCY_SECONDS = 3600.0
RATE_LIMIT = 300
RATE_WINDOW_SECONDS = 300.0
STEPS = ("during", "after")

_URL = re.compile(r"https?://[^\s<>\"']+")
_HASHTAG = re.compile(r"(?<![\w/])#(\w+)")
_ACCOUNT_STATUSES = re.compile(r"^/api/v1/accounts/([^/]+)/statuses$")
_ACCOUNT = re.compile(r"^/api/v1/accounts/([^/]+)$")
_STATUS = re.compile(r"^/api/v1/statuses/([^/]+)$")
_MEDIA = re.compile(r"^/api/v1/media/([^/]+)$")


@dataclass
class StandinAccount:
    id: str
    username: str
    access_token: str
    display_name: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class StoredStatus:
    id: str
    account_id: str
    text: str
    created_at: datetime
    accepted_at: float  # time.time() when the status was created
    idempotency_key: str | None
    visibility: str = "public"
    spoiler_text: str = ""
    language: str | None = None
    in_reply_to_id: str | None = None
    media_ids: tuple[str, ...] = ()


@dataclass
class StoredMedia:
    id: str
    account_id: str
    kind: str  # image, video, gifv, audio, unknown
    description: str | None
    ready_at: float  # time.monotonic()


@dataclass
class Kill:
    step: str
    marker: str
    pid: int | None
    killed: bool
    at: float


class _Dropped(Exception):
    """The handler closes the connection without an answer (the caller was killed)."""


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A killed caller resets its connections: that is the point here, not an error."""


class StandinMastodon:
    """See the module docstring. Start with `start()` (or use it as a context manager)."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        killer: Callable[[int, str], bool] | None = None,
        max_requests: int = 1_000_000,
        max_seconds: float = 3600.0,
        rate_limit: int = RATE_LIMIT,
        video_processing_seconds: float = 0.5,
    ) -> None:
        self.latency = latency
        self.killer = killer
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.rate_limit = rate_limit
        self.video_processing_seconds = video_processing_seconds
        self.accounts: dict[str, StandinAccount] = {}
        self.statuses: dict[str, StoredStatus] = {}
        self.media: dict[str, StoredMedia] = {}
        self.counters: collections.Counter[str] = collections.Counter()
        self.kills: list[Kill] = []
        self.errors: list[str] = []  # the stand-in's own failures (tests assert there are none)
        self._by_token: dict[str, StandinAccount] = {}
        self._timeline: dict[str, list[str]] = collections.defaultdict(list)  # account id -> ids, oldest first
        self._idempotency: dict[tuple[str, str], tuple[str, float]] = {}
        self._kill_plans: list[tuple[str, str]] = []
        self._rate_windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._sequence = itertools.count()
        self._account_numbers = itertools.count(1)
        self._started = time.monotonic()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class(), bind_and_activate=False)
        self._server.daemon_threads = True
        self._server.request_queue_size = 256  # many workers connect at once; the default 5 drops SYNs
        self._server.allow_reuse_address = True
        self._server.server_bind()
        self._server.server_activate()
        self.port = int(self._server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="standin-mastodon", daemon=True
        )

    # Life cycle -------------------------------------------------------------------------------
    def start(self) -> StandinMastodon:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> StandinMastodon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Set-up and inspection --------------------------------------------------------------------
    def add_account(self, username: str | None = None, *, display_name: str = "") -> StandinAccount:
        with self._lock:
            number = next(self._account_numbers)
            username = username or f"brand{number}"
            account = StandinAccount(
                id=str(100000 + number),
                username=username,
                access_token=f"standin-token-{number}-{username}",
                display_name=display_name or username.title(),
            )
            self.accounts[account.id] = account
            self._by_token[account.access_token] = account
        return account

    def kill_on(self, marker: str, step: str) -> None:
        """The next status posted with `marker` in its text kills its caller at `step` (during/after)."""
        if step not in STEPS:
            raise ValueError(f"step must be one of {STEPS}")
        with self._lock:
            self._kill_plans.append((marker, step))

    def pending_kills(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._kill_plans)

    def statuses_with_text(self, text: str) -> list[StoredStatus]:
        with self._lock:
            return [status for status in self.statuses.values() if status.text == text]

    def snapshot(self) -> list[StoredStatus]:
        with self._lock:
            return list(self.statuses.values())

    def instance_v2(self) -> dict[str, Any]:
        return {
            "domain": self._domain,
            "title": "smm stand-in",
            "version": VERSION,
            "source_url": "https://github.com/mastodon/mastodon",
            "description": "A Mastodon stand-in for smm's crash tests and benchmarks.",
            "usage": {"users": {"active_month": len(self.accounts)}},
            "thumbnail": {"url": f"{self.base_url}/packs/media/images/preview.png"},
            "icon": [{"src": f"{self.base_url}/packs/media/icons/android-chrome-36x36.png", "size": "36x36"}],
            "languages": ["en"],
            "configuration": {
                "urls": {"streaming": f"ws://127.0.0.1:{self.port}", "status": None},
                "vapid": {"public_key": "BCkQqERU0qCfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z="},
                "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                "statuses": {
                    "max_characters": MAX_CHARACTERS,
                    "max_media_attachments": MAX_MEDIA,
                    "characters_reserved_per_url": URL_LENGTH,
                },
                "media_attachments": {
                    "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"],
                    "description_limit": 1500,
                    "image_size_limit": 16777216,
                    "image_matrix_limit": 33177600,
                    "video_size_limit": 103809024,
                    "video_frame_rate_limit": 120,
                    "video_matrix_limit": 8294400,
                },
                "polls": {
                    "max_options": 4,
                    "max_characters_per_option": 50,
                    "min_expiration": 300,
                    "max_expiration": 2629746,
                },
                "translation": {"enabled": False},
            },
            "registrations": {"enabled": False, "approval_required": False, "message": None},
            "api_versions": {"mastodon": 2},
            "contact": {"email": "admin@standin.example", "account": None},
            "rules": [],
        }

    def instance_v1(self) -> dict[str, Any]:
        v2 = self.instance_v2()
        return {
            "uri": self._domain,
            "title": v2["title"],
            "short_description": v2["description"],
            "description": v2["description"],
            "email": v2["contact"]["email"],
            "version": VERSION,
            "urls": {"streaming_api": f"ws://127.0.0.1:{self.port}"},
            "stats": {"user_count": len(self.accounts), "status_count": len(self.statuses), "domain_count": 1},
            "thumbnail": v2["thumbnail"]["url"],
            "languages": ["en"],
            "registrations": False,
            "approval_required": False,
            "invites_enabled": False,
            "configuration": v2["configuration"],
            "contact_account": None,
            "rules": [],
        }

    @property
    def _domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    # Representations --------------------------------------------------------------------------
    def _account_json(self, account: StandinAccount) -> dict[str, Any]:
        statuses_count = len(self._timeline.get(account.id, ()))
        return {
            "id": account.id,
            "username": account.username,
            "acct": account.username,
            "display_name": account.display_name,
            "locked": False,
            "bot": False,
            "discoverable": True,
            "indexable": True,
            "group": False,
            "created_at": account.created_at.strftime("%Y-%m-%dT00:00:00.000Z"),  # Mastodon: midnight
            "note": "<p>A stand-in account.</p>",
            "url": f"{self.base_url}/@{account.username}",
            "uri": f"{self.base_url}/users/{account.username}",
            "avatar": f"{self.base_url}/avatars/original/missing.png",
            "avatar_static": f"{self.base_url}/avatars/original/missing.png",
            "header": f"{self.base_url}/headers/original/missing.png",
            "header_static": f"{self.base_url}/headers/original/missing.png",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": statuses_count,
            "last_status_at": None,
            "emojis": [],
            "fields": [],
        }

    def _credential_account_json(self, account: StandinAccount) -> dict[str, Any]:
        return {
            **self._account_json(account),
            "source": {
                "privacy": "public",
                "sensitive": False,
                "language": "en",
                "note": "A stand-in account.",
                "fields": [],
                "follow_requests_count": 0,
                "indexable": True,
                "hide_collections": False,
                "discoverable": True,
            },
            "role": {"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": False},
        }

    def _media_json(self, media: StoredMedia) -> dict[str, Any]:
        ready = time.monotonic() >= media.ready_at
        url = f"{self.base_url}/system/media_attachments/files/{media.id}/original" if ready else None
        return {
            "id": media.id,
            "type": media.kind,
            "url": url,
            "preview_url": f"{self.base_url}/system/media_attachments/files/{media.id}/small",
            "remote_url": None,
            "meta": {},
            "description": media.description,
            "blurhash": None,
        }

    def _status_json(self, status: StoredStatus) -> dict[str, Any]:
        account = self.accounts[status.account_id]
        return {
            "id": status.id,
            "created_at": status.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "in_reply_to_id": status.in_reply_to_id,
            "in_reply_to_account_id": None,
            "sensitive": bool(status.spoiler_text),
            "spoiler_text": status.spoiler_text,
            "visibility": status.visibility,
            "language": status.language,
            "uri": f"{self.base_url}/users/{account.username}/statuses/{status.id}",
            "url": f"{self.base_url}/@{account.username}/{status.id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "favourited": False,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "pinned": False,
            "content": _render(status.text, self.base_url),
            "filtered": [],
            "reblog": None,
            "application": {"name": "smm", "website": None},
            "account": self._account_json(account),
            "media_attachments": [self._media_json(self.media[media_id]) for media_id in status.media_ids],
            "mentions": [],
            "tags": [
                {"name": tag.lower(), "url": f"{self.base_url}/tags/{tag.lower()}"}
                for tag in _HASHTAG.findall(status.text)
            ],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    # Request handling -------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: with Nagle's algorithm on, the body waits for
            # the client's delayed ACK (40 ms per answer on Linux) on a kept-alive connection.
            disable_nagle_algorithm = True
            server_version = "Mastodon"
            sys_version = ""

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    status, payload, headers = standin._dispatch(self, body)
                except Exception as error:  # a bug in the stand-in: answer 500 and keep it for the test
                    if isinstance(error, _Dropped):
                        self.close_connection = True
                        with contextlib.suppress(OSError):
                            self.connection.shutdown(2)
                        return
                    standin.errors.append(f"{self.command} {self.path}: {error!r}")
                    status, payload, headers = 500, {"error": "stand-in error"}, {}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler

    def _dispatch(self, request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.counters["requests"] += 1
            over = self.counters["requests"] > self.max_requests
        if over or time.monotonic() - self._started > self.max_seconds:
            return 503, {"error": "The stand-in's request budget is used up."}, {}
        if self.latency:
            time.sleep(self.latency)
        method = request.command
        parts = urlsplit(request.path)
        path = parts.path.rstrip("/") or "/"
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        route = _route_name(method, path)
        with self._lock:
            self.counters[route] += 1
        # Public documents.
        if method == "GET" and path == "/api/v2/instance":
            return 200, self.instance_v2(), {}
        if method == "GET" and path == "/api/v1/instance":
            return 200, self.instance_v1(), {}
        if method == "GET" and path == "/.well-known/oauth-authorization-server":
            return 200, self._oauth_document(), {}
        account = self._authenticate(request.headers.get("Authorization", ""))
        if account is None:
            return 401, {"error": "The access token is invalid"}, {}
        rate_headers, allowed = self._rate(account)
        if not allowed:
            return 429, {"error": "Too many requests"}, rate_headers
        answer = self._api(request, method, path, query, body, account)
        return answer[0], answer[1], {**rate_headers, **answer[2]}

    def _api(
        self,
        request: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        account: StandinAccount,
    ) -> tuple[int, Any, dict[str, str]]:
        if method == "GET" and path == "/api/v1/accounts/verify_credentials":
            with self._lock:
                return 200, self._credential_account_json(account), {}
        if method == "POST" and path == "/api/v1/statuses":
            return self._create_status(request, body, account)
        if method == "POST" and path == "/api/v2/media":
            return self._create_media(request, body, account)
        if (match := _ACCOUNT_STATUSES.match(path)) and method == "GET":
            return self._list_statuses(match.group(1), query)
        if (match := _STATUS.match(path)) and method in ("GET", "DELETE"):
            with self._lock:
                status = self.statuses.get(match.group(1))
                if status is None:
                    return 404, {"error": "Record not found"}, {}
                if method == "DELETE":
                    if status.account_id != account.id:
                        return 404, {"error": "Record not found"}, {}
                    del self.statuses[status.id]
                    self._timeline[status.account_id].remove(status.id)
                    return 200, {**self._status_json(status), "text": status.text}, {}
                return 200, self._status_json(status), {}
        if (match := _MEDIA.match(path)) and method == "GET":
            with self._lock:
                media = self.media.get(match.group(1))
                if media is None or media.account_id != account.id:
                    return 404, {"error": "Record not found"}, {}
                ready = time.monotonic() >= media.ready_at
                return (200 if ready else 206), self._media_json(media), {}
        if (match := _ACCOUNT.match(path)) and method == "GET":
            with self._lock:
                found = self.accounts.get(match.group(1))
                if found is None:
                    return 404, {"error": "Record not found"}, {}
                return 200, self._account_json(found), {}
        return 404, {"error": "Record not found"}, {}

    def _authenticate(self, header: str) -> StandinAccount | None:
        if not header.startswith("Bearer "):
            return None
        return self._by_token.get(header[len("Bearer ") :].strip())

    def _rate(self, account: StandinAccount) -> tuple[dict[str, str], bool]:
        now = time.time()
        with self._lock:
            window_start, used = self._rate_windows.get(account.id, (now, 0))
            if now - window_start >= RATE_WINDOW_SECONDS:
                window_start, used = now, 0
            used += 1
            self._rate_windows[account.id] = (window_start, used)
        reset = datetime.fromtimestamp(window_start + RATE_WINDOW_SECONDS, UTC)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(self.rate_limit - used, 0)),
            "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        return headers, used <= self.rate_limit

    def _oauth_document(self) -> dict[str, Any]:
        base = self.base_url
        return {
            "issuer": f"{base}/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "userinfo_endpoint": f"{base}/oauth/userinfo",
            "scopes_supported": ["read", "write", "follow", "push", "profile"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def _next_id(self) -> str:
        # Mastodon's ids are snowflakes: milliseconds since the epoch, shifted, plus a sequence.
        return str((int(time.time() * 1000) << 16) | (next(self._sequence) & 0xFFFF))

    def _create_status(
        self, request: BaseHTTPRequestHandler, body: bytes, account: StandinAccount
    ) -> tuple[int, Any, dict[str, str]]:
        fields = _fields(request.headers.get("Content-Type", ""), body)
        text = str(fields.get("status") or "")
        media_ids = tuple(str(item) for item in _as_list(fields.get("media_ids")))
        key = request.headers.get("Idempotency-Key")
        step = self._take_kill_plan(text)
        if step == "during":
            self._kill_caller(request, step, text)  # nothing was created
            raise _Dropped
        with self._lock:
            if key:
                known = self._idempotency.get((account.id, key))
                if known is not None and time.monotonic() - known[1] < IDEMPOTENCY_SECONDS:
                    status = self.statuses.get(known[0])
                    if status is not None:
                        self.counters["idempotent_replays"] += 1
                        return 200, self._status_json(status), {}
            problem = self._status_problem(text, media_ids, account)
            if problem:
                return 422, {"error": f"Validation failed: {problem}"}, {}
            status = StoredStatus(
                id=self._next_id(),
                account_id=account.id,
                text=text,
                created_at=datetime.now(UTC),
                accepted_at=time.time(),
                idempotency_key=key,
                visibility=str(fields.get("visibility") or "public"),
                spoiler_text=str(fields.get("spoiler_text") or ""),
                language=str(fields.get("language") or "en"),
                in_reply_to_id=str(fields["in_reply_to_id"]) if fields.get("in_reply_to_id") else None,
                media_ids=media_ids,
            )
            self.statuses[status.id] = status
            self._timeline[account.id].append(status.id)
            if key:
                self._idempotency[(account.id, key)] = (status.id, time.monotonic())
            self.counters["statuses_created"] += 1
            answer = self._status_json(status)
        if step == "after":
            self._kill_caller(request, step, text)  # the status exists; the caller never hears
            raise _Dropped
        return 200, answer, {}

    def _status_problem(self, text: str, media_ids: tuple[str, ...], account: StandinAccount) -> str:
        if not text.strip() and not media_ids:
            return "Text can't be blank"
        if _count(text) > MAX_CHARACTERS:
            return f"Text character limit of {MAX_CHARACTERS} exceeded"
        if len(media_ids) > MAX_MEDIA:
            return f"Media attachments limit of {MAX_MEDIA} exceeded"
        for media_id in media_ids:
            media = self.media.get(media_id)
            if media is None or media.account_id != account.id:
                return "Media attachments are invalid"
            if time.monotonic() < media.ready_at:
                return "Media attachments are still being processed"
        return ""

    def _create_media(
        self, request: BaseHTTPRequestHandler, body: bytes, account: StandinAccount
    ) -> tuple[int, Any, dict[str, str]]:
        content_type = request.headers.get("Content-Type", "")
        fields = _fields(content_type, body)
        file_type = str(fields.get("__file_type__") or "")
        if not file_type:
            return 422, {"error": "Validation failed: File can't be blank"}, {}
        kind = file_type.split("/")[0] if file_type.split("/")[0] in ("image", "video", "audio") else "unknown"
        delay = self.video_processing_seconds if kind == "video" else 0.0
        with self._lock:
            media = StoredMedia(
                id=self._next_id(),
                account_id=account.id,
                kind=kind,
                description=str(fields["description"]) if fields.get("description") else None,
                ready_at=time.monotonic() + delay,
            )
            self.media[media.id] = media
            answer = self._media_json(media)
        return (202 if delay else 200), answer, {}

    def _list_statuses(self, account_id: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        try:
            limit = max(1, min(int(query.get("limit") or 20), STATUSES_PAGE_MAX))
        except ValueError:
            limit = 20
        with self._lock:
            if account_id not in self.accounts:
                return 404, {"error": "Record not found"}, {}
            ids = [int(status_id) for status_id in self._timeline.get(account_id, ())]
            newest_first = sorted(ids, reverse=True)
            if query.get("max_id"):
                newest_first = [item for item in newest_first if item < int(query["max_id"])]
            if query.get("since_id"):
                newest_first = [item for item in newest_first if item > int(query["since_id"])]
            if query.get("min_id"):
                # min_id pages forward from the oldest newer status: the `limit` just above it.
                newer = sorted(item for item in newest_first if item > int(query["min_id"]))
                newest_first = sorted(newer[:limit], reverse=True)
            page = newest_first[:limit]
            payload = [self._status_json(self.statuses[str(item)]) for item in page]
        headers: dict[str, str] = {}
        if page:
            base = f"{self.base_url}/api/v1/accounts/{account_id}/statuses"
            # As Mastodon: "next" only after a full page (more may follow), "prev" after any page.
            links = [f'<{base}?{urlencode({"limit": limit, "min_id": page[0]})}>; rel="prev"']
            if len(page) == limit:
                links.insert(0, f'<{base}?{urlencode({"limit": limit, "max_id": page[-1]})}>; rel="next"')
            headers["Link"] = ", ".join(links)
        return 200, payload, headers

    # Killing the caller -----------------------------------------------------------------------
    def _take_kill_plan(self, text: str) -> str | None:
        with self._lock:
            for index, (marker, step) in enumerate(self._kill_plans):
                if marker in text:
                    del self._kill_plans[index]
                    return step
        return None

    def _kill_caller(self, request: BaseHTTPRequestHandler, step: str, text: str) -> None:
        pid = peer_pid(local_port=self.port, peer_port=int(request.client_address[1]))
        killed = bool(pid is not None and self.killer is not None and self.killer(pid, step))
        with self._lock:
            self.kills.append(Kill(step=step, marker=text[:80], pid=pid, killed=killed, at=time.time()))
            self.counters[f"kill_{step}" if killed else f"kill_{step}_missed"] += 1


def peer_pid(*, local_port: int, peer_port: int) -> int | None:
    """The pid of the local process whose TCP socket on `peer_port` is connected to `local_port`."""
    import psutil

    for connection in psutil.net_connections(kind="tcp4"):
        laddr, raddr = connection.laddr, connection.raddr
        if laddr and raddr and laddr.port == peer_port and raddr.port == local_port and connection.pid:
            return int(connection.pid)
    return None


# Helpers ---------------------------------------------------------------------------------------
def _route_name(method: str, path: str) -> str:
    for pattern, name in (
        (_ACCOUNT_STATUSES, "/api/v1/accounts/:id/statuses"),
        (_STATUS, "/api/v1/statuses/:id"),
        (_MEDIA, "/api/v1/media/:id"),
    ):
        if pattern.match(path) and not path.endswith("verify_credentials"):
            return f"{method} {name}"
    return f"{method} {path}"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _fields(content_type: str, body: bytes) -> dict[str, Any]:
    """Form, multipart or JSON fields; `key[]` becomes a list (Rails), a file its type."""
    if not body:
        return {}
    if content_type.startswith("application/json"):
        loaded = json.loads(body)
        return loaded if isinstance(loaded, dict) else {}
    fields: dict[str, Any] = {}
    if content_type.startswith("multipart/form-data"):
        import email.parser
        import email.policy

        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        for part in message.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            if part.get_filename() is not None:
                fields["__file_type__"] = part.get_content_type()
                continue
            payload = part.get_payload(decode=True)
            _add(fields, name, payload.decode("utf-8") if isinstance(payload, bytes) else "")
        return fields
    for name, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
        for value in values:
            _add(fields, name, value)
    return fields


def _add(fields: dict[str, Any], name: str, value: str) -> None:
    if name.endswith("[]"):
        fields.setdefault(name[:-2], []).append(value)
    else:
        fields[name] = value


def _count(text: str) -> int:
    """Mastodon's count: every URL is `characters_reserved_per_url` long."""
    return len(_URL.sub("x" * URL_LENGTH, text))


def _render(text: str, base_url: str) -> str:
    """Text as Mastodon renders it: paragraphs, <br />, links split into invisible spans, hashtags."""

    def line(raw: str) -> str:
        out: list[str] = []
        position = 0
        for match in _URL.finditer(raw):
            out.append(_hashtags(html.escape(raw[position : match.start()]), base_url))
            url = match.group(0)
            scheme, _sep, rest = url.partition("://")
            visible, hidden = rest[:30], rest[30:]
            out.append(
                f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener">'
                f'<span class="invisible">{html.escape(scheme)}://</span>'
                f'<span class="{"ellipsis" if hidden else ""}">{html.escape(visible)}</span>'
                f'<span class="invisible">{html.escape(hidden)}</span></a>'
            )
            position = match.end()
        out.append(_hashtags(html.escape(raw[position:]), base_url))
        return "".join(out)

    paragraphs = [part for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]
    return "".join("<p>" + "<br />".join(line(item) for item in part.split("\n")) + "</p>" for part in paragraphs)


def _hashtags(escaped: str, base_url: str) -> str:
    return _HASHTAG.sub(
        lambda match: (
            f'<a href="{base_url}/tags/{match.group(1).lower()}" class="mention hashtag" rel="tag">'
            f"#<span>{match.group(1)}</span></a>"
        ),
        escaped,
    )


@contextlib.contextmanager
def running(**options: Any) -> Iterator[StandinMastodon]:
    """A started stand-in, stopped on exit."""
    standin = StandinMastodon(**options).start()
    try:
        yield standin
    finally:
        standin.stop()


def account_config(standin: StandinMastodon, account: StandinAccount) -> dict[str, Any]:
    """A ConnectedAccount's config for `account`, as the connect flow stores it."""
    from smm.networks.mastodon import client

    config = client.instance_info(standin.base_url).config()
    config["account_id"] = account.id
    return config
