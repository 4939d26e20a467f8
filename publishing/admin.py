"""Publishing in the admin panel: the operators' global pause, and read-mostly views of posts and attempts."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from publishing.models import Attempt, Campaign, GlobalPause, Post, PublishingSettings, Target


@admin.register(GlobalPause)
class GlobalPauseAdmin(admin.ModelAdmin):
    """One row: tick "all publishing paused" to hold every workspace's due posts (operators only)."""

    list_display = ["__str__", "paused", "paused_at", "reason"]
    fields = ["paused", "reason", "paused_at"]
    readonly_fields = ["paused_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not GlobalPause.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: GlobalPause, form: Any, change: bool) -> None:
        obj.paused_at = timezone.now() if obj.paused else None
        super().save_model(request, obj, form, change)


@admin.register(PublishingSettings)
class PublishingSettingsAdmin(admin.ModelAdmin):
    list_display = ["workspace", "paused", "late_grace_minutes", "require_alt_text", "duplicate_window_days"]
    list_filter = ["paused"]
    search_fields = ["workspace__name"]
    readonly_fields = ["paused_at", "paused_by"]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    can_delete = False
    fields = ["account", "status", "scheduled_at", "published_at", "remote_url", "last_error"]
    readonly_fields = ["account", "status", "scheduled_at", "published_at", "remote_url", "last_error"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workspace", "status", "author", "created_at"]
    list_filter = ["status", "source", "workspace"]
    search_fields = ["text", "workspace__name"]
    readonly_fields = ["workspace", "author", "status", "source", "created_at", "updated_at"]
    inlines = [TargetInline]


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["number", "claimed_at", "sent_at", "finished_at", "outcome", "error", "network_status", "worker"]
    readonly_fields = ["number", "claimed_at", "sent_at", "finished_at", "outcome", "error", "network_status", "worker"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    """Targets are changed only by the engine and the services; the admin shows them and their attempts."""

    list_display = ["__str__", "status", "scheduled_at", "published_at", "attempt_count"]
    list_filter = ["status", "hold_reason", "account__network"]
    search_fields = ["post__text", "account__handle"]
    inlines = [AttemptInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "starts_on", "ends_on", "archived"]
    list_filter = ["archived"]
    search_fields = ["name"]
