"""Connected accounts in the admin: health and profile visible, credentials never shown."""

from django.contrib import admin

from smm.networks.models import ConnectedAccount, RateBudget


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(admin.ModelAdmin):
    list_display = ["handle", "network", "display_name", "workspace", "status", "last_success_at", "created_at"]
    list_filter = ["network", "status", "workspace"]
    search_fields = ["handle", "display_name", "workspace__name"]
    autocomplete_fields = ["workspace"]
    # credentials_encrypted is not editable, so it never appears here; config has no secrets.
    readonly_fields = [
        "remote_id",
        "config",
        "status",
        "status_detail",
        "last_success_at",
        "last_failure_at",
        "rate_limited_until",
        "token_expires_at",
        "bio",
        "avatar_url",
        "profile_url",
        "followers_count",
        "following_count",
        "posts_count",
        "profile_refreshed_at",
        "connected_by",
    ]


@admin.register(RateBudget)
class RateBudgetAdmin(admin.ModelAdmin):
    list_display = ["key", "remaining", "limit", "resets_at", "blocked_until", "updated_at"]
    search_fields = ["key"]
    readonly_fields = ["key", "remaining", "limit", "resets_at", "blocked_until", "updated_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
