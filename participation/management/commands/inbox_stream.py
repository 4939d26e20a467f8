"""The inbox stream: Mastodon user streams that trigger a collection as soon as something arrives.

Polling every minute stays the source of truth; this process only makes the inbox faster. Run one
(two would only enqueue each collection twice). SIGTERM or Ctrl-C stops every stream and exits.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from participation.streaming import REFRESH_SECONDS, StreamSupervisor

SIGNAL_CHECK_SECONDS = 0.2


class Command(BaseCommand):
    help = "Stream Mastodon notifications and collect an account's inbox as soon as something arrives."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--refresh",
            type=float,
            default=REFRESH_SECONDS,
            help=f"seconds between re-reading the accounts to stream (default {REFRESH_SECONDS:g})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        supervisor = StreamSupervisor(refresh_seconds=max(1.0, options["refresh"]))
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            # Only a flag: a handler that took a lock the interrupted code holds would hang.
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # The supervisor (database reads, enqueues) runs on its own thread; this one waits for a signal.
        runner = threading.Thread(target=_run, args=(supervisor,), name="inbox-stream-supervisor")
        runner.start()
        self.stdout.write("inbox stream: started (polling stays on; streams only make it faster)")
        while not stopping and runner.is_alive():
            time.sleep(SIGNAL_CHECK_SECONDS)
        supervisor.stop()
        runner.join()
        if not stopping:
            raise CommandError("inbox stream: the supervisor ended unexpectedly (see the log above)")
        self.stdout.write(f"inbox stream: stopped after {supervisor.enqueued} collections")


def _run(supervisor: StreamSupervisor) -> None:
    try:
        supervisor.run()
    finally:
        connections.close_all()  # this thread's database connection
