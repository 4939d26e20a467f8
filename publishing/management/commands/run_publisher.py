"""The publisher loop: claim due posts every PUBLISHER_POLL_SECONDS, recover and reconcile every few seconds."""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from publishing.services import engine

logger = logging.getLogger(__name__)
MAINTENANCE_SECONDS = 5.0
VERIFY_SECONDS = 60.0


class Command(BaseCommand):
    help = "Publish due posts: the loop that hands them to Celery workers (run one or more; they never collide)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        poll = float(settings.PUBLISHER_POLL_SECONDS)
        last_maintenance = last_verify = 0.0
        self.stdout.write(f"publisher: polling every {poll:g} s")
        while not stopping:
            started = time.monotonic()
            try:
                maintenance = started - last_maintenance >= MAINTENANCE_SECONDS
                claimed = engine.publisher_tick(maintenance=maintenance)
                if maintenance:
                    last_maintenance = started
                if started - last_verify >= VERIFY_SECONDS:
                    engine.targets_verify_dispatch()
                    last_verify = started
                if claimed:
                    logger.info("publisher: %s due posts handed to workers", claimed)
            except Exception:
                # The database restarting, say: log, wait a moment, carry on.
                logger.exception("publisher: tick failed")
                close_old_connections()
                time.sleep(min(5.0, poll * 4))
            if options["once"]:
                break
            time.sleep(max(0.0, poll - (time.monotonic() - started)))
        self.stdout.write("publisher: stopped")
