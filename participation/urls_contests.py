"""Contests pages under /w/<slug>/contests/ (namespace "contests")."""

from django.urls import URLPattern, URLResolver

app_name = "contests"

urlpatterns: list[URLPattern | URLResolver] = []
