"""The benchmarks' throw-away database: created on DATABASE_URL's server (else the embedded
PostgreSQL) and dropped at the end. Shared by bench/inbox.py, bench/ingest.py and bench/search.py."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit


@contextlib.contextmanager
def bench_database(prefix: str, *, keep: bool) -> Iterator[str]:
    """A fresh database on DATABASE_URL's server (else the embedded PostgreSQL), dropped at the end."""
    import psycopg2

    server = None
    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        from smm.lib import embedded

        server, base_url = embedded.start_postgres()  # noqa: F841 - kept alive until the end
    name = f"{prefix}_{os.getpid()}"
    parts = urlsplit(base_url)
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        if keep:
            print(f"bench: kept the database: {url}", flush=True)
        else:
            with admin.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
