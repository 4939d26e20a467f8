#!/usr/bin/env python
"""Django's command-line utility for smm."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smm.settings")
    if not os.environ.get("DATABASE_URL"):
        # No database configured: use the embedded PostgreSQL under var/ (as `make run` does).
        from smm.lib import embedded

        _server, os.environ["DATABASE_URL"] = embedded.start_postgres()
        embedded.ensure_broker_folder()
        os.environ.setdefault("DEBUG", "1")
        embedded.ensure_dev_secret(os.environ)  # type: ignore[arg-type]

    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
