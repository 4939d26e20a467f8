"""Collaboration pages under /w/<slug>/ (namespace "collaboration")."""

from django.urls import URLPattern, URLResolver, path

from collaboration.views import approvals, comments, newsroom, notifications, rules, sharing, strategy, tasks
from smm.networks.bluesky import views as bluesky_views
from smm.networks.mastodon import views as mastodon_views

app_name = "collaboration"

urlpatterns: list[URLPattern | URLResolver] = [
    # Notifications (views/notifications.py)
    path("notifications/", notifications.notification_list, name="notification-list"),
    path("notifications/read/", notifications.notification_mark_all_read, name="notification-mark-all-read"),
    path("notifications/<int:notification_id>/open/", notifications.notification_open, name="notification-open"),
    # Approvals, workflows, comments (views/approvals.py, views/comments.py)
    path("approvals/", approvals.approval_list, name="approvals"),
    path("approvals/<int:request_id>/decide/", approvals.approval_decide, name="approval-decide"),
    path("approvals/review-link/", approvals.review_link_send, name="review-link-send"),
    path("approvals/workflows/", approvals.workflow_list, name="workflows"),
    path("approvals/workflows/new/", approvals.workflow_edit, name="workflow-new"),
    path("approvals/workflows/<int:workflow_id>/", approvals.workflow_edit, name="workflow-edit"),
    path("approvals/workflows/<int:workflow_id>/delete/", approvals.workflow_delete, name="workflow-delete"),
    path("posts/<int:post_id>/comments/", comments.comment_add, name="comment-add"),
    path("comments/<int:comment_id>/edit/", comments.comment_edit, name="comment-edit"),
    path("comments/<int:comment_id>/delete/", comments.comment_delete, name="comment-delete"),
    # Tasks, newsroom, notification preferences (views/tasks.py, views/newsroom.py)
    path("tasks/", tasks.task_list, name="tasks"),
    path("tasks/new/", tasks.task_edit, name="task-new"),
    path("tasks/<int:task_id>/", tasks.task_edit, name="task-edit"),
    path("tasks/<int:task_id>/done/", tasks.task_done, name="task-done"),
    path("notifications/preferences/", notifications.notification_preferences, name="notification-preferences"),
    path("newsroom/", newsroom.newsroom, name="newsroom"),
    path("newsroom/digest/", newsroom.newsroom_digest, name="newsroom-digest"),
    path("newsroom/digest/test/", newsroom.newsroom_digest_test, name="newsroom-digest-test"),
    # Guidelines, word rules, strategy (views/rules.py, views/strategy.py)
    path("guidelines/", rules.guidelines, name="guidelines"),
    path("guidelines/edit/", rules.guidelines_edit, name="guidelines-edit"),
    path("word-rules/", rules.word_rule_list, name="word-rules"),
    path("word-rules/<int:rule_id>/delete/", rules.word_rule_delete, name="word-rule-delete"),
    path("strategy/", strategy.strategy, name="strategy"),
    path("strategy/sections/<str:section>/", strategy.strategy_section_update, name="strategy-section"),
    path("strategy/objectives/", strategy.objective_create, name="objective-create"),
    path("strategy/objectives/<int:objective_id>/", strategy.objective_update, name="objective-update"),
    path("strategy/objectives/<int:objective_id>/move/", strategy.objective_move, name="objective-move"),
    path("strategy/objectives/<int:objective_id>/delete/", strategy.objective_delete, name="objective-delete"),
    path("strategy/audiences/", strategy.audience_create, name="audience-create"),
    path("strategy/audiences/<int:audience_id>/", strategy.audience_update, name="audience-update"),
    path("strategy/audiences/<int:audience_id>/delete/", strategy.audience_delete, name="audience-delete"),
    path("strategy/accounts/<int:account_id>/", strategy.channel_purpose_update, name="channel-purpose"),
    # Employee sharing (views/sharing.py)
    path("sharing/", sharing.sharing, name="sharing"),
    path("sharing/count/", sharing.sharing_count, name="sharing-count"),
    path("sharing/links/", sharing.sharing_link_add, name="sharing-link-add"),
    path("sharing/posts/<int:post_id>/", sharing.sharing_post_add, name="sharing-post-add"),
    path("sharing/<int:suggestion_id>/share/", sharing.sharing_publish, name="sharing-publish"),
    path("sharing/<int:suggestion_id>/copy/", sharing.sharing_copy, name="sharing-copy"),
    path("sharing/<int:suggestion_id>/deactivate/", sharing.sharing_deactivate, name="sharing-deactivate"),
    # A member's own accounts for sharing: the networks' connect flows with personal=True.
    path("sharing/accounts/connect/mastodon/", mastodon_views.connect_personal, name="sharing-connect-mastodon"),
    path("sharing/accounts/connect/bluesky/", bluesky_views.connect_personal, name="sharing-connect-bluesky"),
    path(
        "sharing/accounts/<int:account_id>/disconnect/",
        sharing.sharing_account_disconnect,
        name="sharing-account-disconnect",
    ),
]
