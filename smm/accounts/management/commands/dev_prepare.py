"""What `make run` does before serving, in one process: migrate, periodic tasks, demo data."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, write the periodic schedules and create the demo workspace (one Django start-up, not three)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("setup_periodic_tasks", stdout=self.stdout)
        call_command("demo_workspace", stdout=self.stdout)
