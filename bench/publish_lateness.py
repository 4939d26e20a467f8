"""How late do scheduled posts go out? The real stack against a Mastodon stand-in answering in 50 ms.

    .venv/bin/python bench/publish_lateness.py [--scenario a|b|all] [--concurrency 16] [--pool threads]

Two real `celery -A smm worker` processes and one `manage.py run_publisher` publish through the
real MastodonAdapter to tests/peers/standin_mastodon.py (127.0.0.1 only, 50 ms per request):

  (a) 100 posts a minute for 3 minutes, due times spread at random within each minute;
  (b) 10,000 posts due at the same instant.

Lateness is the time the stand-in accepted a post minus its due time. Beside it, the floor: the same
stand-in driven by a bare loop of HTTP calls, sequential and with the workers' concurrency.
Targets: p99 <= 2 s in (a); all 10,000 accepted within 60 s in (b).

The database: DATABASE_URL's server if set, else the embedded PostgreSQL (as `smm.lib.devstack exec`
starts it). A database of its own is created, migrated and dropped. The broker is private too
(tests/stack.py: a redis-server on a free port, else the filesystem transport). See bench/README.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LATENCY = 0.050
WORKERS = 2
A_PER_MINUTE = 100
A_MINUTES = 3
A_ACCOUNTS = 10
B_POSTS = 10_000
B_ACCOUNTS = 100  # 100 posts and their read-backs per account: within Mastodon's 300 calls / 5 min
B_LEAD_SECONDS = 5.0  # (b) is due this long after its rows are committed
DRAIN_TIMEOUT = 300.0
FLOOR_SEQUENTIAL_CALLS = 300


# The database ----------------------------------------------------------------------------------
@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """A fresh database on DATABASE_URL's server (else the embedded PostgreSQL), dropped at the end."""
    import psycopg2

    server = None
    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        from smm.lib import embedded

        server, base_url = embedded.start_postgres()  # noqa: F841 - kept alive until the end
    name = f"smm_bench_{os.getpid()}"
    parts = urlsplit(base_url)
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


# Data --------------------------------------------------------------------------------------------
def make_accounts(standin: object, workspace: object, count: int, prefix: str) -> list[object]:
    from smm.networks.mastodon import client
    from smm.networks.models import ConnectedAccount

    config = client.instance_info(standin.base_url).config()  # type: ignore[attr-defined]
    accounts = []
    for number in range(count):
        remote = standin.add_account(f"{prefix}{number}")  # type: ignore[attr-defined]
        account = ConnectedAccount(
            workspace=workspace,
            network="mastodon",
            handle=f"@{remote.username}@127.0.0.1",
            remote_id=remote.id,
            config={**config, "account_id": remote.id},
        )
        account.set_credentials({"access_token": remote.access_token})
        accounts.append(account)
    return ConnectedAccount.objects.bulk_create(accounts)


def schedule(
    workspace: object, author: object, accounts: Sequence[object], dues: Sequence[datetime], prefix: str
) -> dict[str, datetime]:
    """The rows post_save(when=AT) leaves for each post (bulk, so 10,000 take seconds): text -> due."""
    from django.db import transaction

    from publishing.models import Post, Target

    texts = {f"{prefix} post {number:05d}": due for number, due in enumerate(dues)}
    with transaction.atomic():
        posts = Post.objects.bulk_create(
            [Post(workspace=workspace, author=author, text=text, status=Post.Status.SCHEDULED) for text in texts],
            batch_size=2000,
        )
        Target.objects.bulk_create(
            [
                Target(
                    post=post,
                    account=accounts[number % len(accounts)],
                    status=Target.Status.SCHEDULED,
                    scheduled_at=due,
                    due_at=due,
                    local_date=due.date(),
                    local_time=due.time().replace(tzinfo=None),
                    timezone="UTC",
                )
                for number, (post, due) in enumerate(zip(posts, texts.values(), strict=True))
            ],
            batch_size=2000,
        )
    return texts


# Measuring -----------------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    lateness: list[float]
    drain: float
    expected: int
    duplicates: int = 0
    note: str = ""

    def row(self) -> str:
        if not self.lateness:
            return f"{self.name:<44} {'-':>8} {'-':>8} {'-':>8} {'-':>9} {0:>6}/{self.expected}  {self.note}"
        ordered = sorted(self.lateness)
        p50 = statistics.median(ordered)
        p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
        return (
            f"{self.name:<44} {p50:>8.3f} {p99:>8.3f} {ordered[-1]:>8.3f} {self.drain:>9.2f} "
            f"{len(ordered):>6}/{self.expected}  {self.note}"
        )


def collect(standin: object, texts: dict[str, datetime], name: str, note: str = "") -> Result:
    accepted: dict[str, list[float]] = {}
    for status in standin.snapshot():  # type: ignore[attr-defined]
        if status.text in texts:
            accepted.setdefault(status.text, []).append(status.accepted_at)
    lateness = [min(times) - texts[text].timestamp() for text, times in accepted.items()]
    last_due = max(texts.values()).timestamp()
    drain = max((min(times) for times in accepted.values()), default=last_due) - last_due
    duplicates = sum(len(times) - 1 for times in accepted.values())
    return Result(name, lateness, drain, len(texts), duplicates, note)


def wait_until_done(texts: dict[str, datetime], *, timeout: float) -> tuple[int, dict[str, int]]:
    from django.db.models import Count

    from publishing.models import Target

    deadline = time.monotonic() + timeout
    prefix = next(iter(texts)).split(" post ")[0]
    while True:
        states = dict(
            Target.objects.filter(post__text__startswith=prefix + " post ")
            .values_list("status")
            .annotate(count=Count("pk"))
            .values_list("status", "count")
        )
        open_count = sum(
            count
            for status, count in states.items()
            if status in ("scheduled", "publishing", "retrying", "unconfirmed")
        )
        if open_count == 0 or time.monotonic() > deadline:
            return open_count, states
        time.sleep(0.25)


def floor(standin: object, count: int, *, concurrency: int, name: str, dues: Sequence[float] | None = None) -> Result:
    """A bare loop of POST /api/v1/statuses (requests, one kept-alive session per thread).

    With `dues` (seconds from now), each call waits for its due time; lateness is measured as for
    smm. Without, all calls are due at once (like scenario b).
    """
    import requests

    # One stand-in account per 200 calls, as for smm: no account passes Mastodon's 300 calls / 5 min.
    accounts = [standin.add_account(f"floor{len(standin.accounts)}") for _n in range(count // 200 + 1)]  # type: ignore[attr-defined]
    base = standin.base_url  # type: ignore[attr-defined]
    local = threading.local()
    start = time.time() + 0.2
    offsets = list(dues) if dues is not None else [0.0] * count

    def call(number: int) -> float:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        due = start + offsets[number]
        wait = due - time.time()
        if wait > 0:
            time.sleep(wait)
        response = session.post(
            f"{base}/api/v1/statuses",
            data={"status": f"{name} {number}", "visibility": "public"},
            headers={
                "Authorization": f"Bearer {accounts[number % len(accounts)].access_token}",
                "Idempotency-Key": f"{name}-{number}",
            },
            timeout=30,
        )
        response.raise_for_status()
        return time.time() - due

    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        lateness = list(pool.map(call, range(count)))
    last_due = start + max(offsets)
    # Every call's answer came back after the stand-in accepted it: its accept time is what counts.
    accepted = [status.accepted_at for status in standin.snapshot() if status.text.startswith(f"{name} ")]  # type: ignore[attr-defined]
    return Result(name, lateness, max(accepted) - last_due, count)


# The run -------------------------------------------------------------------------------------------
def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", choices=["a", "b", "all"], default="all")
    parser.add_argument("--pool", default="threads", help="Celery pool of each worker (threads, prefork, solo)")
    parser.add_argument("--concurrency", type=int, default=16, help="threads (or processes) per worker")
    parser.add_argument("--no-floor", action="store_true", help="skip the bare-loop floor")
    parser.add_argument("--posts", type=int, default=B_POSTS, help="posts in scenario (b)")
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smm.settings_test")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ["OUTBOUND_ALLOW_LOOPBACK"] = "1"
    results: list[Result] = []

    def report(result: Result) -> None:
        """Keep a result for the table, and show it at once (a long run may be interrupted)."""
        results.append(result)
        print(f"  {result.row()}", flush=True)
        if result.duplicates:
            print(f"    !! {result.duplicates} duplicates", flush=True)

    with bench_database() as url, tempfile.TemporaryDirectory(prefix="smm-bench-") as folder:
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from django.core.management import call_command

        from tests.peers.standin_mastodon import StandinMastodon
        from tests.stack import Broker, Supervisor, process_env, publisher_command, worker_command

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"bench: database {url.rsplit('/', 1)[1]} migrated in {time.monotonic() - started:.1f}s", flush=True)
        from tests.factories import make_user, make_workspace

        owner = make_user("bench@example.com")
        workspace = make_workspace("Bench Oy", owner=owner)
        broker = Broker(Path(folder)).start()
        standin = StandinMastodon(latency=LATENCY, max_requests=200_000, max_seconds=3600).start()
        supervisor = Supervisor(env=process_env(database_url=url, broker=broker), directory=Path(folder))
        try:
            for number in range(WORKERS):
                supervisor.add(
                    f"worker{number}",
                    "worker",
                    worker_command(f"bench{number}", pool=options.pool, concurrency=options.concurrency),
                )
            supervisor.add("publisher", "publisher", publisher_command())
            supervisor.wait_ready()
            print(
                f"bench: {WORKERS} workers ({options.pool} x {options.concurrency}), 1 publisher, "
                f"broker {broker.kind}, stand-in latency {LATENCY * 1000:.0f} ms",
                flush=True,
            )
            concurrency = WORKERS * options.concurrency
            if options.scenario in ("a", "all"):
                accounts = make_accounts(standin, workspace, A_ACCOUNTS, "a")
                rng = random.Random(5)
                first_minute = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
                dues = sorted(
                    first_minute + timedelta(minutes=minute, seconds=rng.uniform(0, 60))
                    for minute in range(A_MINUTES)
                    for _n in range(A_PER_MINUTE)
                )
                texts = schedule(workspace, owner, accounts, dues, "a")
                print(f"bench (a): {len(texts)} posts over {A_MINUTES} minutes…", flush=True)
                open_count, states = wait_until_done(texts, timeout=A_MINUTES * 60 + DRAIN_TIMEOUT)
                report(collect(standin, texts, "(a) smm: 100/min for 3 min", f"{states}"))
                if not options.no_floor:
                    # The first minute's posts at their own offsets (the same rate), both loops at once.
                    first = [(due - dues[0]).total_seconds() for due in dues[:A_PER_MINUTE]]
                    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as loops:
                        floors = [
                            loops.submit(floor, standin, len(first), concurrency=width, name=name, dues=first)
                            for width, name in (
                                (1, "(a) floor: sequential"),
                                (concurrency, f"(a) floor: {concurrency} threads"),
                            )
                        ]
                        for done in floors:
                            report(done.result())
            if options.scenario in ("b", "all"):
                accounts = make_accounts(standin, workspace, B_ACCOUNTS, "b")
                due = datetime.now(UTC) + timedelta(seconds=B_LEAD_SECONDS + 15)
                created = time.monotonic()
                texts = schedule(workspace, owner, accounts, [due] * options.posts, "b")
                print(
                    f"bench (b): {options.posts} posts created in {time.monotonic() - created:.1f}s, due at once…",
                    flush=True,
                )
                open_count, states = wait_until_done(texts, timeout=DRAIN_TIMEOUT)
                report(collect(standin, texts, "(b) smm: 10,000 due at once", f"{states}"))
                if not options.no_floor:
                    sequential = floor(standin, FLOOR_SEQUENTIAL_CALLS, concurrency=1, name="(b) floor: sequential")
                    per_call = sequential.drain / FLOOR_SEQUENTIAL_CALLS
                    sequential.note = (
                        f"{FLOOR_SEQUENTIAL_CALLS} calls measured; 10,000 would drain in ~{per_call * B_POSTS:.0f}s"
                    )
                    report(sequential)
                    report(floor(standin, B_POSTS, concurrency=concurrency, name=f"(b) floor: {concurrency} threads"))
        finally:
            supervisor.stop()
            broker.stop()
            standin.stop()
    print()
    print(f"{'lateness (s): accepted - due':<44} {'p50':>8} {'p99':>8} {'max':>8} {'drain':>9} {'posts':>13}")
    for result in results:
        print(result.row())
        if result.duplicates:
            print(f"    !! {result.duplicates} duplicates")
    print(f"stand-in counters: {dict(standin.counters)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
