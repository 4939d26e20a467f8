"""Public contests pages, no login, under /p/<slug>/contests/ (namespace "public-contests")."""

from django.urls import URLPattern, URLResolver

app_name = "public-contests"

urlpatterns: list[URLPattern | URLResolver] = []
