"""The Celery app. Periodic schedules live in `manage.py setup_periodic_tasks`, not here."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smm.settings")

app = Celery("smm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(sender: Any = None, **kwargs: Any) -> None:
    """Around each task, what Django does around each request: drop connections that broke or aged.

    (CELERY_DB_REUSE_MAX keeps Celery from closing every connection after every task.) An eager
    task runs inside its caller's transaction, which it must not close, as Celery's fixup skips it too.
    """
    from django.db import close_old_connections

    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    close_old_connections()
