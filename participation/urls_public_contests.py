"""Public contests pages, no login, under /p/<slug>/contests/ (namespace "public-contests")."""

from django.urls import URLPattern, URLResolver, path

from participation.views import public_contests

app_name = "public-contests"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:contest_id>/", public_contests.contest_public, name="detail"),
    path("<int:contest_id>/list.txt", public_contests.contest_list_txt, name="list-txt"),
    path("<int:contest_id>/verify_draw.py", public_contests.verify_script, name="verify-script"),
]
