"""`/healthz`: is the database reachable, is the broker reachable. JSON, 200 or 503."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "not healthy"; the reason goes to the log
        logger.warning("healthz: database check failed: %s", error)
        return "error"
    return "ok"


def broker_status() -> str:
    from smm.celery import app

    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
            if broker.transport_cls == "filesystem" or broker.transport.driver_type == "filesystem":
                # The filesystem transport "connects" even when its folder is missing.
                from django.conf import settings

                if not settings.BROKER_FOLDER.is_dir():
                    raise OSError(f"broker folder {settings.BROKER_FOLDER} is missing")
    except Exception as error:
        logger.warning("healthz: broker check failed: %s", error)
        return "error"
    return "ok"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
