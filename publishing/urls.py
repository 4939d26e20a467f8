"""Publishing pages under /w/<slug>/publishing/ (namespace "publishing")."""

from django.urls import path

app_name = "publishing"

urlpatterns: list = [
    # Media library (publishing/views/media.py)
    # Composer, posts, calendar, queues, settings, held posts (publishing/views/posts.py, ...)
    # CSV import (publishing/views/imports.py)
    # Feeds (publishing/views/feeds.py)
]

__all__ = ["app_name", "path", "urlpatterns"]
