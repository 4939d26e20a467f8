"""Public ideas pages, no login, under /p/<slug>/ideas/ (namespace "public-ideas")."""

from django.urls import URLPattern, URLResolver

app_name = "public-ideas"

urlpatterns: list[URLPattern | URLResolver] = []
