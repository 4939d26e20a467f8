"""Listening pages under /w/<slug>/listening/ (namespace "listening")."""

from django.urls import URLPattern, URLResolver, path

from listening.views import alerts, dashboard, imports, search, sources, topics

app_name = "listening"

urlpatterns: list[URLPattern | URLResolver] = [
    path("topics/", topics.topic_list, name="topics"),
    path("topics/new/", topics.topic_edit, name="topic-new"),
    path("topics/check/", topics.topic_check, name="topic-check"),
    path("topics/try/", topics.topic_try, name="topic-try"),
    path("topics/<int:topic_id>/", dashboard.topic_dashboard, name="topic-dashboard"),
    path("topics/<int:topic_id>/mentions/", dashboard.topic_mentions, name="topic-mentions"),
    path("topics/<int:topic_id>/mentions.csv", dashboard.topic_mentions_csv, name="topic-mentions-csv"),
    path(
        "topics/<int:topic_id>/mentions/<int:mention_id>/sentiment/",
        dashboard.mention_sentiment,
        name="topic-mention-sentiment",
    ),
    path("topics/<int:topic_id>/leaders/add/", dashboard.leader_add, name="topic-leader-add"),
    path("topics/<int:topic_id>/edit/", topics.topic_edit, name="topic-edit"),
    path("topics/<int:topic_id>/delete/", topics.topic_delete, name="topic-delete"),
    path("search/", search.mention_search, name="search"),
    path("sources/", sources.source_list, name="sources"),
    path("sources/new/", sources.source_edit, name="source-new"),
    path("sources/<int:source_id>/", sources.source_edit, name="source-edit"),
    path("sources/<int:source_id>/delete/", sources.source_delete, name="source-delete"),
    path("sources/<int:source_id>/collect/", sources.source_collect_now, name="source-collect"),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", alerts.alert_detail, name="alert-detail"),
    path("alerts/<int:alert_id>/acknowledge/", alerts.alert_acknowledge, name="alert-acknowledge"),
    path("alerts/rules/new/", alerts.rule_edit, name="rule-new"),
    path("alerts/rules/<int:rule_id>/", alerts.rule_edit, name="rule-edit"),
    path("alerts/rules/<int:rule_id>/delete/", alerts.rule_delete, name="rule-delete"),
    path("alerts/rules/<int:rule_id>/test/", alerts.rule_test, name="rule-test"),
    path("import/", imports.import_csv, name="import-csv"),
    path("import/tokens/", imports.import_tokens, name="import-tokens"),
    path("import/tokens/<int:token_id>/revoke/", imports.import_token_revoke, name="import-token-revoke"),
]
