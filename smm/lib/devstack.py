"""The `make run` / `make test` launcher: embedded defaults, child processes, clean Ctrl-C.

    python -m smm.lib.devstack run            migrate, demo data, web + worker + scheduler + publisher
                                              + inbox stream
    python -m smm.lib.devstack exec -- CMD    run CMD with the same database and broker

Without DATABASE_URL an embedded PostgreSQL (var/pgdata) is started, and without REDIS_URL
Celery uses the filesystem broker in var/broker. Ctrl-C (or SIGTERM) stops every process it
started, PostgreSQL included, and waits for them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from smm.lib import embedded

STOP_GRACE_SECONDS = 10


def prepare_environment(*, development: bool) -> Any:
    """Fill in DATABASE_URL, broker folder and (for development) DEBUG and a secret."""
    server = None
    if development:
        os.environ.setdefault("DEBUG", "1")
        embedded.ensure_dev_secret(os.environ)  # type: ignore[arg-type]
    if not os.environ.get("DATABASE_URL"):
        started = time.monotonic()
        server, os.environ["DATABASE_URL"] = embedded.start_postgres()
        print(f"smm: embedded PostgreSQL ready in {time.monotonic() - started:.1f}s (data in var/pgdata)", flush=True)
    embedded.ensure_broker_folder()
    return server


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True)


def _spawn(command: list[str]) -> subprocess.Popen[bytes]:
    # Each child leads its own process group so that stopping it also stops what it forked
    # (runserver's autoreloader child, Celery's pool processes).
    return subprocess.Popen(command, start_new_session=True)


def _stop(processes: list[subprocess.Popen[bytes]], *, whole_group: set[int]) -> None:
    """SIGTERM each child (its whole group where it forks unmanaged children), wait, then SIGKILL."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                # Celery's main process stops its own pool gracefully; runserver's autoreloader
                # parent does not stop its child, so that one gets the signal group-wide.
                if process.pid in whole_group:
                    os.killpg(process.pid, signal.SIGTERM)
                else:
                    process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
        process.wait()


def _runserver_options() -> list[str]:
    # migrate has just run the system checks. The autoreloader doubles start-up time, so it is
    # for developers who ask for it (SMM_RELOAD=1).
    options = ["--skip-checks"]
    if os.environ.get("SMM_RELOAD") != "1":
        options.append("--noreload")
    return options


def _wait_for_port(address: str, web: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Return once the web server accepts connections (or has died, which the loop reports)."""
    host, _sep, port = address.rpartition(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and web.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=0.5):
            return
        time.sleep(0.1)


def run() -> int:
    started = time.monotonic()
    prepare_environment(development=True)
    _manage("dev_prepare")
    address = os.environ.get("SMM_ADDRESS", "127.0.0.1:8000")
    celery = [sys.executable, "-m", "celery", "-A", "smm"]
    # The web server first, alone on the CPU, so the dashboard answers sooner; the background
    # processes start once it accepts connections (they were never waited for).
    web = _spawn([sys.executable, "manage.py", "runserver", address, *_runserver_options()])
    try:
        _wait_for_port(address, web)
    except BaseException:
        _stop([web], whole_group={web.pid})
        raise
    named = {
        "web": web,
        "worker": _spawn(
            [*celery, "worker", "--loglevel", "INFO", "--concurrency", os.environ.get("SMM_WORKERS", "2")]
        ),
        "scheduler": _spawn(
            [*celery, "beat", "--loglevel", "INFO", "--pidfile", "", "--schedule", str(embedded.var_dir() / "beat")]
        ),
        "publisher": _spawn([sys.executable, "manage.py", "run_publisher"]),
        # Mastodon user streams: collect an account's inbox seconds after a mention (polling stays).
        "inbox stream": _spawn([sys.executable, "manage.py", "inbox_stream"]),
    }
    processes = list(named.values())
    stopping = False

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(
        f"smm: ready after {time.monotonic() - started:.1f}s at http://{address}/ "
        "(web, worker, scheduler, publisher, inbox stream). Press Ctrl-C to stop.",
        flush=True,
    )
    exit_code = 0
    while not stopping:
        for name, process in named.items():
            if process.poll() is not None:
                print(f"smm: the {name} process exited with {process.returncode}; stopping.", flush=True)
                stopping, exit_code = True, 1
        time.sleep(0.3)
    print("smm: stopping web, worker, scheduler, publisher and inbox stream…", flush=True)
    stop_started = time.monotonic()
    _stop(processes, whole_group={named["web"].pid})
    print(f"smm: stopped in {time.monotonic() - stop_started:.1f}s.", flush=True)
    return exit_code  # the embedded PostgreSQL stops at interpreter exit (its last handle)


def exec_command(command: list[str]) -> int:
    prepare_environment(development=False)
    return subprocess.call(command)


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"]:
        return run()
    if argv[:1] == ["exec"]:
        command = argv[2:] if argv[1:2] == ["--"] else argv[1:]
        if command:
            return exec_command(command)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
