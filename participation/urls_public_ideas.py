"""Public ideas pages, no login, under /p/<slug>/ideas/ (namespace "public-ideas")."""

from django.urls import URLPattern, URLResolver, path

from participation.views import public_ideas

app_name = "public-ideas"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", public_ideas.board, name="board"),
    path("submit/", public_ideas.submit, name="submit"),
    path("<int:idea_id>/vote/", public_ideas.vote, name="vote"),
]
