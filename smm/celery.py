"""The Celery app. Periodic schedules live in `manage.py setup_periodic_tasks`, not here."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smm.settings")

app = Celery("smm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
