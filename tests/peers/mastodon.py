"""Mastodon stand-ins for the tests: mastodon_mock in a subprocess, and a tiny scripted server.

* `mastodon_server` (session): mastodon_mock 0.6.1 (FastAPI + SQLite) run by its own CLI under
  uvicorn on a free 127.0.0.1 port, its SQLite file and uploaded media in a temporary directory.
  `create_user()` makes a fresh local account with an access token through the mock-only
  `POST /api/v1/_mock/dev_user`, so tests never share accounts and need no reset between them.
  `client(user)` is a plain Mastodon.py client for what *other* people do (favourite, boost,
  mention): that traffic is set-up, not smm's, and is not contract-checked.
* `scripted_mastodon` (function): an http.server on 127.0.0.1 that answers each (method, path)
  with the replies a test lists, in order (the last one repeats), or reads a request and never
  answers (`Reply(hang=True)`) or hangs up (`Reply(drop=True)`). For errors, and for real-server
  payloads mastodon_mock cannot produce (tests/peers/fixtures/mastodon/).
* `mastodon_contract` (function): a ContractRecorder for the mastodon_mock server; the test fails
  at teardown if smm sent anything the Mastodon OpenAPI spec does not allow.

tests/fixtures.py loads this module as a plugin, so the fixtures are available everywhere.

mastodon_mock is kinder than real servers, which the scripted tests cover instead: its content is
plain `<p>` without h-card mention links, notes are stored unescaped, notifications are
synchronous, it reports Mastodon 4.6.0 (no `description_limit`), answers `/api/v1/instance/` with
a trailing slash, and its /oauth/token accepts any `code_verifier` (PKCE is not checked).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.peers.contract import ContractRecorder

FIXTURES = Path(__file__).with_name("fixtures") / "mastodon"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
HANG_LIMIT = 30.0  # a hanging reply gives up after this, even if the test forgot to stop the server

__all__ = [
    "FIXTURES",
    "MastodonMockServer",
    "MockUser",
    "Reply",
    "ScriptedServer",
    "load_fixture",
    "mastodon_contract",
    "mastodon_server",
    "scripted_mastodon",
]


def load_fixture(name: str) -> Any:
    """A recorded payload from tests/peers/fixtures/mastodon/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# mastodon_mock -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MockUser:
    id: str
    username: str
    access_token: str


@dataclass
class MastodonMockServer:
    base_url: str
    process: subprocess.Popen[bytes]
    directory: Path
    start_seconds: float = 0.0
    _names: Iterator[int] = field(default_factory=itertools.count)

    def create_user(self, prefix: str = "user", *, display_name: str | None = None, locked: bool = False) -> MockUser:
        username = f"{prefix}{next(self._names)}"
        response = requests.post(
            f"{self.base_url}/api/v1/_mock/dev_user",
            json={"username": username, "display_name": display_name or username.title()},
            timeout=10,
        )
        response.raise_for_status()
        body = response.json()
        user = MockUser(id=str(body["id"]), username=body["username"], access_token=body["access_token"])
        if locked:
            requests.patch(
                f"{self.base_url}/api/v1/accounts/update_credentials",
                data={"locked": "true"},
                headers={"Authorization": f"Bearer {user.access_token}"},
                timeout=10,
            ).raise_for_status()
        return user

    def client(self, user: MockUser) -> Any:
        """Mastodon.py as `user`, for set-up actions by people other than smm's account."""
        from mastodon import Mastodon

        client = Mastodon(api_base_url=self.base_url, version_check_mode="none", mastodon_version="4.0.0")
        client.access_token = user.access_token
        client.mastodon_major, client.mastodon_minor, client.mastodon_patch = 4, 0, 0
        return client

    def log(self) -> str:
        return (self.directory / "server.log").read_text(encoding="utf-8", errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_mastodon_mock(directory: Path, *, attempts: int = 3) -> MastodonMockServer:
    """Start mastodon_mock's CLI on a free loopback port and wait until it answers."""
    last_error = ""
    for _attempt in range(attempts):  # another process may take the port between probe and bind
        port = _free_port()
        config = directory / "mastodon_mock.toml"
        config.write_text(
            "\n".join(
                [
                    f'domain = "127.0.0.1:{port}"',
                    'url_scheme = "http"',
                    f'media_storage_path = "{directory / "media"}"',
                    "[database]",
                    f'path = "{directory / "mastodon_mock.sqlite"}"',
                    "[seed]",  # no seeded accounts or tokens: tests create their own
                    "accounts = []",
                ]
            ),
            encoding="utf-8",
        )
        started = time.monotonic()
        with (directory / "server.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "mastodon_mock", "serve", "--config", str(config)]
                + ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=directory,
            )
        server = MastodonMockServer(base_url=f"http://127.0.0.1:{port}", process=process, directory=directory)
        deadline = started + START_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{server.base_url}/api/v2/instance", timeout=1).ok:
                    server.start_seconds = time.monotonic() - started
                    return server
            time.sleep(0.05)
        last_error = server.log()
        server.stop()
    raise RuntimeError(f"mastodon_mock did not start within {START_TIMEOUT:g}s:\n{last_error}")


@pytest.fixture(scope="session")
def mastodon_server() -> Iterator[MastodonMockServer]:
    with tempfile.TemporaryDirectory(prefix="smm-mastodon-mock-") as directory:
        server = start_mastodon_mock(Path(directory))
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def mastodon_contract(mastodon_server: MastodonMockServer) -> Iterator[ContractRecorder]:
    recorder = ContractRecorder(mastodon_server.base_url)
    yield recorder
    recorder.assert_clean()


# The scripted stand-in ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # read the request, then never answer (until the server stops)
    drop: bool = False  # read the request, then close the connection without an answer


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    """Answers (method, path) with the listed replies; anything else gets Mastodon's 404."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[SeenRequest] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def on(self, method: str, path: str, *replies: Reply) -> None:
        self.routes[(method.upper(), path)] = list(replies)

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=STOP_TIMEOUT)

    def _next_reply(self, method: str, path: str) -> Reply:
        with self._lock:
            replies = self.routes.get((method, path))
            if not replies:
                return Reply(404, {"error": "Record not found"})
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                return

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                scripted.requests.append(
                    SeenRequest(self.command, parts.path, dict(parse_qsl(parts.query)), dict(self.headers), body)
                )
                reply = scripted._next_reply(self.command, parts.path)
                if reply.hang or reply.drop:
                    if reply.hang:
                        scripted.stopping.wait(HANG_LIMIT)
                    self.close_connection = True
                    return
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler


@pytest.fixture
def scripted_mastodon() -> Iterator[ScriptedServer]:
    server = ScriptedServer().start()
    try:
        yield server
    finally:
        server.stop()
