"""Real smm processes for the crash test and the benchmark: a private broker, Celery workers and
`manage.py run_publisher`, started against a given database and restarted when they die.

Everything here is private to one run: the broker is a `redis-server` of its own on a free
127.0.0.1 port when the binary exists (never the machine's shared Redis), else kombu's filesystem
transport in a temporary folder (settings pick it when REDIS_URL is unset; SMM_VAR_DIR moves the
folder). The children get the settings through the environment only (smm.settings is env-driven).
Each child leads its own session, and only pids started here are ever signalled.
"""

from __future__ import annotations

import collections
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """A DATABASE_URL for a Django database settings dict (a test database included)."""
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(str(settings_dict.get("HOST") or ""), safe="")  # a socket folder is quoted whole
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgresql://{credentials}{host}{port}/{quote(str(settings_dict['NAME']), safe='')}"


class Broker:
    """A Celery broker private to one run (see the module docstring)."""

    def __init__(self, directory: Path, *, prefer_redis: bool = True) -> None:
        self.directory = directory
        self.redis_server = shutil.which("redis-server") if prefer_redis else None
        self.kind = "redis" if self.redis_server else "filesystem"
        self.port = free_port() if self.redis_server else 0
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0" if self.kind == "redis" else "filesystem://"

    def env(self) -> dict[str, str]:
        """What the children need to use this broker (and nothing else: never the shared Redis)."""
        if self.kind == "redis":
            return {"REDIS_URL": self.url}
        return {"REDIS_URL": "", "SMM_VAR_DIR": str(self.directory / "var")}

    def start(self) -> Broker:
        if self.kind == "filesystem":
            (self.directory / "var" / "broker" / "control").mkdir(parents=True, exist_ok=True)
            return self
        assert self.redis_server is not None
        log = (self.directory / "redis.log").open("ab")
        # No persistence: a restart loses every queued message, the harshest broker restart.
        self.process = subprocess.Popen(
            [self.redis_server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.directory), "--protected-mode", "yes"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
        self.restarts += 1


def process_env(*, database_url: str, broker: Broker, **settings: str) -> dict[str, str]:
    """The environment of a child: smm's test settings, the database and broker given, and `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "COV_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "smm.settings_test",
            "DATABASE_URL": database_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "OUTBOUND_ALLOW_LOOPBACK": "1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(REPO),
            "LOG_LEVEL": settings.pop("LOG_LEVEL", "WARNING"),
        }
    )
    env.update(broker.env())
    env.update(settings)
    return env


def worker_command(name: str, *, pool: str = "threads", concurrency: int = 4, loglevel: str = "INFO") -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "smm",
        "worker",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--hostname",
        f"{name}@%h",
        # Gossip, mingle and heartbeats talk to other workers: not needed, and slower to start.
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        loglevel,
    ]


def publisher_command() -> list[str]:
    return [sys.executable, str(REPO / "manage.py"), "run_publisher"]


@dataclass
class Child:
    name: str
    kind: str  # "worker" or "publisher"
    command: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    pids: list[int] = field(default_factory=list)  # every pid it has had

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    """Starts the children, SIGKILLs the ones a test asks for, and restarts whatever died."""

    def __init__(self, *, env: Mapping[str, str], directory: Path, restart_delay: float = 0.2) -> None:
        self.env = dict(env)
        self.directory = directory
        self.restart_delay = restart_delay
        self.children: dict[str, Child] = {}
        self.kills: collections.Counter[str] = collections.Counter()
        self.kill_log: list[tuple[float, str, str, int]] = []  # (time, reason, name, pid)
        self.restarts = 0
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._paused: set[str] = set()
        self._watcher = threading.Thread(target=self._watch, name="supervisor", daemon=True)

    def add(self, name: str, kind: str, command: list[str]) -> Child:
        child = Child(name=name, kind=kind, command=command, log=self.directory / f"{name}.log")
        with self._lock:
            self.children[name] = child
            self._spawn(child)
        return child

    def start_watching(self) -> None:
        self._watcher.start()

    def _spawn(self, child: Child) -> None:
        with child.log.open("ab") as log:
            log.write(f"--- start {time.strftime('%H:%M:%S')}\n".encode())
            log.flush()
            child.process = subprocess.Popen(
                child.command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        child.pids.append(child.process.pid)

    def _watch(self) -> None:
        while not self._stopping.wait(0.05):
            with self._lock:
                dead = [
                    child for child in self.children.values() if not child.alive() and child.name not in self._paused
                ]
            for child in dead:
                time.sleep(self.restart_delay)
                with self._lock:
                    if self._stopping.is_set() or child.alive() or child.name in self._paused:
                        continue
                    self._spawn(child)
                    self.restarts += 1

    def pids(self, kind: str | None = None) -> dict[int, str]:
        with self._lock:
            return {
                child.pid: child.name
                for child in self.children.values()
                if child.pid is not None and child.alive() and (kind is None or child.kind == kind)
            }

    def kill(self, name: str, *, reason: str) -> int | None:
        """SIGKILL a child now (it is restarted by the watcher); returns the pid killed."""
        with self._lock:
            child = self.children[name]
            pid = child.pid
            if pid is None or not child.alive():
                return None
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self.kills[reason] += 1
            self.kill_log.append((time.time(), reason, name, pid))
            return pid

    def kill_pid(self, pid: int, *, reason: str, kind: str | None = None) -> bool:
        """SIGKILL `pid` only if it is a running child of ours (of `kind`); True if it was."""
        with self._lock:
            name = self.pids(kind).get(pid)
            return name is not None and self.kill(name, reason=reason) == pid

    def pause(self, name: str) -> None:
        """Do not restart this child until `resume` (it may be running or not)."""
        with self._lock:
            self._paused.add(name)

    def resume(self, name: str) -> None:
        with self._lock:
            self._paused.discard(name)

    def all_pids(self) -> set[int]:
        with self._lock:
            return {pid for child in self.children.values() for pid in child.pids}

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until every worker has logged that it is ready (Celery's "ready." at INFO level or above)."""
        deadline = time.monotonic() + timeout
        workers = [child for child in self.children.values() if child.kind == "worker"]
        while time.monotonic() < deadline:
            if all(child.log.exists() and b" ready." in child.log.read_bytes() for child in workers):
                return
            time.sleep(0.1)
        raise RuntimeError("the workers did not get ready:\n" + "\n".join(self.tail(c.name) for c in workers))

    def tail(self, name: str, characters: int = 3000) -> str:
        path = self.children[name].log
        return path.read_text(encoding="utf-8", errors="replace")[-characters:] if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM every child, wait a little, then SIGKILL the ones still running."""
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join(timeout=5)
        with self._lock:
            children = [child for child in self.children.values() if child.process is not None]
        for child in children:
            if child.alive():
                with contextlib.suppress(ProcessLookupError):
                    assert child.process is not None
                    child.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            assert child.process is not None
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            if child.alive():  # the children fork nothing (thread pools), so the pid is all there is
                child.process.kill()
            child.process.wait()
