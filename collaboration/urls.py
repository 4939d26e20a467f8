"""Collaboration pages under /w/<slug>/ (namespace "collaboration")."""

from django.urls import URLPattern, URLResolver, path

from collaboration.views import notifications

app_name = "collaboration"

urlpatterns: list[URLPattern | URLResolver] = [
    # Notifications (views/notifications.py)
    path("notifications/", notifications.notification_list, name="notification-list"),
    path("notifications/read/", notifications.notification_mark_all_read, name="notification-mark-all-read"),
    path("notifications/<int:notification_id>/open/", notifications.notification_open, name="notification-open"),
    # Approvals, workflows, comments (views/approvals.py, views/comments.py)
    # Tasks, newsroom, notification preferences (views/tasks.py, views/newsroom.py)
    # Guidelines, word rules, strategy (views/rules.py, views/strategy.py)
    # Employee sharing (views/sharing.py)
]
