"""The admin panel for account permissions: users, workspaces, members, levels, invitations, audit."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from smm.accounts.models import AccountPermission, AuditEvent, Invitation, Membership, User, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "last_login", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "language"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "language", "timezone")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "language", "require_2fa_for_admins", "created_at"]
    list_filter = ["language", "require_2fa_for_admins"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__email", "user__full_name", "workspace__name"]
    autocomplete_fields = ["user", "workspace"]
    list_select_related = ["user", "workspace"]


@admin.register(AccountPermission)
class AccountPermissionAdmin(admin.ModelAdmin):
    list_display = ["membership", "account", "level", "updated_at"]
    list_filter = ["level", "account__network", "membership__workspace"]
    search_fields = ["membership__user__email", "account__handle"]
    list_select_related = ["membership__user", "membership__workspace", "account"]
    raw_id_fields = ["membership", "account"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "workspace", "role", "invited_by", "created_at", "expires_at", "status_label"]
    list_filter = ["role", "workspace"]
    search_fields = ["email", "workspace__name"]
    readonly_fields = ["key", "created_at", "accepted_at", "accepted_by"]
    raw_id_fields = ["invited_by", "accepted_by"]

    @admin.display(description=_("status"))
    def status_label(self, invitation: Invitation) -> str:
        return invitation.get_status_display()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read only: the audit log is append-only everywhere."""

    list_display = ["created_at", "actor_email", "action", "workspace", "target", "ip_address"]
    list_filter = ["action", "workspace", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_email", "target"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
