"""Community pages under /w/<slug>/community/ (namespace "community"): members, merges, rewards."""

from django.urls import URLPattern, URLResolver

app_name = "community"

urlpatterns: list[URLPattern | URLResolver] = []
