"""Ideas pages under /w/<slug>/ideas/ (namespace "ideas")."""

from django.urls import URLPattern, URLResolver, path

from participation.views import ideas

app_name = "ideas"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", ideas.board, name="board"),
    path("new/", ideas.idea_new, name="new"),
    path("moderation/", ideas.moderation, name="moderation"),
    path("settings/", ideas.idea_settings, name="settings"),
    path("<int:idea_id>/", ideas.detail, name="detail"),
    path("<int:idea_id>/edit/", ideas.idea_edit, name="edit"),
    path("<int:idea_id>/vote/", ideas.idea_vote, name="vote"),
    path("<int:idea_id>/status/", ideas.idea_status, name="status"),
    path("<int:idea_id>/moderate/", ideas.idea_moderate, name="moderate"),
    path("<int:idea_id>/changes/<int:change_id>/tell/", ideas.idea_tell, name="tell"),
]
