"""Publishing pages under /w/<slug>/publishing/ (namespace "publishing")."""

from django.urls import URLPattern, URLResolver, path

from publishing.views import calendar, compose, feeds, imports, media, plan, posts

app_name = "publishing"

urlpatterns: list[URLPattern | URLResolver] = [
    # Media library (publishing/views/media.py)
    path("media/", media.media_library, name="media"),
    path("media/upload/", media.media_upload, name="media-upload"),
    path("media/<int:media_id>/", media.media_detail, name="media-detail"),
    path("media/<int:media_id>/alt-text/", media.media_alt_text, name="media-alt-text"),
    path("media/<int:media_id>/cover/", media.media_cover, name="media-cover"),
    path("media/<int:media_id>/delete/", media.media_delete, name="media-delete"),
    path("media/<int:media_id>/file/", media.media_file, name="media-file"),
    path("media/<int:media_id>/thumbnail/", media.media_thumbnail, name="media-thumbnail"),
    # Composer, posts, calendar, queues, settings, held posts (publishing/views/posts.py, ...)
    path("", posts.post_list, name="posts"),
    path("compose/", compose.compose, name="compose"),
    path("compose/check/", compose.compose_check, name="compose-check"),
    path("posts/<int:post_id>/", posts.post_detail, name="post-detail"),
    path("posts/<int:post_id>/edit/", compose.compose, name="post-edit"),
    path("posts/<int:post_id>/delete/", posts.post_delete, name="post-delete"),
    path("targets/<int:target_id>/<slug:action>/", posts.target_action, name="target-action"),
    path("held/", posts.held, name="held"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/events/", calendar.calendar_events, name="calendar-events"),
    path("calendar/move/", calendar.calendar_move, name="calendar-move"),
    path("settings/", plan.publishing_settings, name="settings"),
    path("pause/", plan.publishing_pause, name="pause"),
    path("resume/", plan.publishing_resume, name="resume"),
    path("queues/", plan.queue_list, name="queues"),
    path("queues/<int:account_id>/", plan.queue_edit, name="queue-edit"),
    path("campaigns/", plan.campaign_list, name="campaigns"),
    path("campaigns/new/", plan.campaign_edit, name="campaign-new"),
    path("campaigns/<int:campaign_id>/", plan.campaign_edit, name="campaign-edit"),
    path("labels/new/", plan.label_create, name="label-new"),
    path("labels/<int:label_id>/delete/", plan.label_delete, name="label-delete"),
    path("blackouts/", plan.blackout_list, name="blackouts"),
    path("blackouts/<int:blackout_id>/delete/", plan.blackout_delete, name="blackout-delete"),
    # CSV import (publishing/views/imports.py)
    path("import/", imports.csv_import, name="import"),
    path("import/example.csv", imports.csv_import_example, name="import-example"),
    path("import/<int:import_id>/", imports.csv_import_detail, name="import-detail"),
    path("import/<int:import_id>/run/", imports.csv_import_run, name="import-run"),
    path("import/<int:import_id>/discard/", imports.csv_import_discard, name="import-discard"),
    # Feeds (publishing/views/feeds.py)
    path("feeds/", feeds.feed_list, name="feeds"),
    path("feeds/new/", feeds.feed_edit, name="feed-new"),
    path("feeds/<int:feed_id>/", feeds.feed_detail, name="feed-detail"),
    path("feeds/<int:feed_id>/edit/", feeds.feed_edit, name="feed-edit"),
    path("feeds/<int:feed_id>/delete/", feeds.feed_delete, name="feed-delete"),
    path("feeds/<int:feed_id>/check/", feeds.feed_check, name="feed-check"),
]
