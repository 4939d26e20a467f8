"""Contests pages under /w/<slug>/contests/ (namespace "contests")."""

from django.urls import URLPattern, URLResolver, path

from participation.views import contests

app_name = "contests"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", contests.contest_list, name="list"),
    path("new/", contests.contest_edit, name="new"),
    path("<int:contest_id>/", contests.contest_detail, name="detail"),
    path("<int:contest_id>/edit/", contests.contest_edit, name="edit"),
    path("<int:contest_id>/open/", contests.contest_open, name="open"),
    path("<int:contest_id>/commitment/", contests.contest_commitment, name="commitment"),
    path("<int:contest_id>/cancel/", contests.contest_cancel, name="cancel"),
    path("<int:contest_id>/collect/", contests.contest_collect, name="collect"),
    path("<int:contest_id>/collect/status/", contests.contest_collect_status, name="collect-status"),
    path("<int:contest_id>/entries/", contests.contest_entries_page, name="entries"),
    path("<int:contest_id>/entries/<int:entry_id>/exclude/", contests.entry_exclude, name="entry-exclude"),
    path("<int:contest_id>/entries/<int:entry_id>/include/", contests.entry_include, name="entry-include"),
    path("<int:contest_id>/draw/", contests.contest_draw, name="draw"),
    path("<int:contest_id>/reveal/", contests.contest_reveal, name="reveal"),
    path("<int:contest_id>/redraw/", contests.contest_redraw, name="redraw"),
    path("<int:contest_id>/winners/<int:winner_id>/mark/", contests.winner_mark, name="winner-mark"),
    path("<int:contest_id>/notify/", contests.winners_notify, name="notify"),
    path("<int:contest_id>/export.json", contests.contest_export_json, name="export-json"),
    path("<int:contest_id>/export.csv", contests.contest_export_csv, name="export-csv"),
]
