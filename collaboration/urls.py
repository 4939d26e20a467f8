"""Collaboration pages under /w/<slug>/ (namespace "collaboration")."""

from django.urls import URLPattern, URLResolver, path

from collaboration.views import approvals, comments, notifications

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
    # Guidelines, word rules, strategy (views/rules.py, views/strategy.py)
    # Employee sharing (views/sharing.py)
]
