"""Collaboration pages under /w/<slug>/notifications/ (namespace "collaboration")."""

from django.urls import path

from collaboration import views

app_name = "collaboration"

urlpatterns = [
    path("", views.notification_list, name="notification-list"),
    path("read/", views.notification_mark_all_read, name="notification-mark-all-read"),
    path("<int:notification_id>/open/", views.notification_open, name="notification-open"),
]
