"""Ideas pages under /w/<slug>/ideas/ (namespace "ideas")."""

from django.urls import URLPattern, URLResolver

app_name = "ideas"

urlpatterns: list[URLPattern | URLResolver] = []
