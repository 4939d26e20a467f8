"""The admin panel for account permissions: users, workspaces, members, levels, invitations, audit.

Changes made here are audited like the same changes made on the dashboard pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from smm.accounts.models import AccountLevel, AccountPermission, AuditEvent, Invitation, Membership, User, Workspace
from smm.accounts.services import audit_record


def _changes(form: ModelForm, fields: list[str]) -> dict[str, dict[str, Any]]:
    return {
        field: {"from": form.initial.get(field), "to": form.cleaned_data.get(field)}
        for field in fields
        if field in form.changed_data
    }


class MembershipInline(admin.TabularInline):
    """Shown for reference; members are added and changed in Memberships, where it is audited."""

    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("user", "role", "created_at")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changes = _changes(form, ["is_active", "is_staff", "is_superuser"])
        if change and changes:
            audit_record(
                action=AuditEvent.Action.USER_ACCESS_CHANGED,
                actor=request.user,  # type: ignore[arg-type]
                target=obj.email,
                data={"changes": changes, "via": "admin"},
                request=request,
            )


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "language", "require_2fa_for_admins", "created_at"]
    list_filter = ["language", "require_2fa_for_admins"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def save_model(self, request: HttpRequest, obj: Workspace, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        changes = _changes(form, ["name", "slug", "timezone", "language", "require_2fa_for_admins"])
        action = AuditEvent.Action.WORKSPACE_SETTINGS_CHANGED if change else AuditEvent.Action.WORKSPACE_CREATED
        if changes or not change:
            audit_record(
                action=action,
                actor=request.user,  # type: ignore[arg-type]
                workspace=obj,
                target=obj.name,
                data={"changes": changes, "via": "admin"},
                request=request,
            )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__email", "user__full_name", "workspace__name"]
    autocomplete_fields = ["user", "workspace"]
    list_select_related = ["user", "workspace"]

    def save_model(self, request: HttpRequest, obj: Membership, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "role" not in form.changed_data:
            return
        audit_record(
            action=AuditEvent.Action.MEMBER_ROLE_CHANGED if change else AuditEvent.Action.MEMBER_ADDED,
            actor=request.user,  # type: ignore[arg-type]
            workspace=obj.workspace,
            target=obj.user.email,
            data={"from": form.initial.get("role"), "to": obj.role, "via": "admin"},
            request=request,
        )

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        self.delete_queryset(request, Membership.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("user", "workspace"):
            membership.delete()
            audit_record(
                action=AuditEvent.Action.MEMBER_REMOVED,
                actor=request.user,  # type: ignore[arg-type]
                workspace=membership.workspace,
                target=membership.user.email,
                data={"role": membership.role, "via": "admin"},
                request=request,
            )


@admin.register(AccountPermission)
class AccountPermissionAdmin(admin.ModelAdmin):
    list_display = ["membership", "account", "level", "updated_at"]
    list_filter = ["level", "account__network", "membership__workspace"]
    search_fields = ["membership__user__email", "account__handle"]
    list_select_related = ["membership__user", "membership__workspace", "account"]
    raw_id_fields = ["membership", "account"]

    def _audit(self, request: HttpRequest, permission: AccountPermission, old: int | None, new: int | None) -> None:
        audit_record(
            action=AuditEvent.Action.ACCOUNT_PERMISSION_CHANGED,
            actor=request.user,  # type: ignore[arg-type]
            workspace=permission.membership.workspace,
            target=f"{permission.membership.user.email} → {permission.account}",
            data={
                "account": permission.account_id,
                "from": AccountLevel(old).name.lower() if old is not None else "default",
                "to": AccountLevel(new).name.lower() if new is not None else "default",
                "via": "admin",
            },
            request=request,
        )

    def save_model(self, request: HttpRequest, obj: AccountPermission, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change or "level" in form.changed_data:
            self._audit(request, obj, form.initial.get("level") if change else None, obj.level)

    def delete_model(self, request: HttpRequest, obj: AccountPermission) -> None:
        self.delete_queryset(request, AccountPermission.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AccountPermission]) -> None:
        for permission in queryset.select_related("membership__user", "membership__workspace", "account"):
            permission.delete()
            self._audit(request, permission, permission.level, None)


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
