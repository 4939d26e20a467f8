"""Workspace pages: dashboard, members and per-account permissions, settings, audit log."""

from __future__ import annotations

import csv
from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from smm.accounts import access, services
from smm.accounts.forms import (
    AccountLevelForm,
    AgencyForm,
    AuditFilterForm,
    InvitationForm,
    RoleForm,
    WorkspaceCreateForm,
    WorkspaceForm,
)
from smm.accounts.models import AccountLevel, AuditEvent, Invitation, Membership, User
from smm.accounts.selectors import (
    account_access_for_account,
    account_access_for_member,
    account_access_for_members,
    visible_accounts,
)

PAGE_SIZE = 50


def _form_errors_to_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """`/`: the workspace the user last opened, else their first, else a page to create one."""
    user: User = request.user  # type: ignore[assignment]
    memberships = Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    last = next((m for m in memberships if m.workspace_id == user.last_workspace_id), None)
    chosen = last or memberships.first()
    if chosen is not None:
        return redirect("workspace-dashboard", slug=chosen.workspace.slug)
    return redirect("workspace-new")


@login_required
def workspace_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    initial = {
        "language": user.language or "fi",
        "timezone": user.timezone if user.timezone != "UTC" else "Europe/Helsinki",
    }
    form = WorkspaceCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        workspace = services.workspace_create(
            name=form.cleaned_data["name"],
            owner=user,
            timezone_name=form.cleaned_data["timezone"],
            language=form.cleaned_data["language"],
            request=request,
        )
        messages.success(request, _("Workspace %(name)s created.") % {"name": workspace.name})
        return redirect("workspace-dashboard", slug=workspace.slug)
    has_workspaces = Membership.objects.filter(user=user).exists()
    return render(request, "accounts/workspace_new.html", {"form": form, "has_workspaces": has_workspaces})


@access.workspace_view()
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    services.workspace_remember(user=membership.user, workspace=membership.workspace)
    workspace = membership.workspace
    members = Membership.objects.filter(workspace=workspace).select_related("user").by_role()
    context: dict[str, Any] = {
        "members": members[:8],
        "member_count": members.count(),
        "accounts": [row for row in visible_accounts(membership) if row.account.is_connected],
        "pending_invitations": Invitation.objects.pending().filter(workspace=workspace).count(),
    }
    if membership.can_view_audit:
        context["events"] = AuditEvent.objects.for_workspace(workspace.pk).select_related("actor")[:8]
    context.update(_publishing_summary(membership))
    return render(request, "accounts/dashboard.html", context)


def _publishing_summary(membership: Membership) -> dict[str, Any]:
    """What is coming up and what waits for a person, on the accounts the member may see."""
    from publishing.access import visible_account_ids
    from publishing.models import Target

    targets = Target.objects.for_workspace(membership.workspace_id).filter(
        account_id__in=visible_account_ids(membership)
    )
    return {
        "upcoming": targets.filter(status=Target.Status.SCHEDULED, scheduled_at__gte=timezone.now())
        .select_related("post", "account")
        .order_by("scheduled_at")[:6],
        "waiting_count": targets.filter(
            status__in=[Target.Status.HELD, Target.Status.FAILED, Target.Status.ATTENTION, Target.Status.UNCONFIRMED]
        ).count(),
    }


def _members_page(membership: Membership, page_number: Any) -> dict[str, Any]:
    """A page of the team list: each member with the accounts they may use and at what level.

    A bounded number of queries whatever the page size. Members who do not manage the team see
    only the accounts they may see themselves.
    """
    queryset = Membership.objects.filter(workspace=membership.workspace).select_related("user").order_by("user__email")
    page = Paginator(queryset, PAGE_SIZE).get_page(page_number)
    access_by_member = account_access_for_members([*page.object_list, membership])
    mine = {row.account.pk for row in access_by_member[membership.pk] if row.effective >= AccountLevel.VIEW}
    rows = [
        (
            member,
            [
                row
                for row in access_by_member[member.pk]
                if row.effective >= AccountLevel.VIEW
                and row.account.is_connected
                and (membership.can_manage_members or row.account.pk in mine)
            ],
        )
        for member in page.object_list
    ]
    return {"page": page, "rows": rows}


@access.workspace_view()
def members(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    context = _members_page(membership, request.GET.get("page"))
    if membership.can_manage_members:
        context["invitations"] = Invitation.objects.open().filter(workspace=workspace).select_related("invited_by")
        context["form"] = InvitationForm(actor=membership)
    return render(request, "accounts/members.html", context)


@access.workspace_view("can_manage_members")
@require_POST
def invitation_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = InvitationForm(request.POST, actor=membership)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                workspace=membership.workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor_membership=membership,
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("workspace-members", slug=membership.workspace.slug)
    # Re-render the members page with the invitation form and what was typed, never losing it.
    workspace = membership.workspace
    context = {
        **_members_page(membership, 1),
        "invitations": Invitation.objects.open().filter(workspace=workspace).select_related("invited_by"),
        "form": form,
    }
    return render(request, "accounts/members.html", context, status=400)


def _add_errors(form: Any, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: beside its field when it names one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


@access.workspace_view("can_manage_members")
@require_POST
def invitation_revoke(request: HttpRequest, membership: Membership, invitation_id: int) -> HttpResponse:
    invitation = access.get_invitation_for_manager(membership, invitation_id)
    try:
        services.invitation_revoke(invitation=invitation, actor_membership=membership, request=request)
    except ValidationError as error:
        _form_errors_to_messages(request, error)
    else:
        messages.success(request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email})
    return redirect("workspace-members", slug=membership.workspace.slug)


@access.workspace_view("can_manage_members")
@require_http_methods(["GET", "POST"])
def member_detail(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    """One member's role, outside agency and account levels; a POST here sets the agency."""
    member = access.get_member_for_manager(membership, member_id)
    agency_form = AgencyForm(request.POST or None, initial={"agency": member.agency})
    if request.method == "POST" and agency_form.is_valid():
        try:
            member = services.membership_set_agency(
                membership=member,
                agency=agency_form.cleaned_data["agency"],
                actor_membership=membership,
                request=request,
            )
        except ValidationError as error:
            _add_errors(agency_form, error)
        else:
            if member.agency:
                message = _("%(name)s is marked as from the outside agency %(agency)s.") % {
                    "name": member.user.display_name,
                    "agency": member.agency,
                }
            else:
                message = _("%(name)s is marked as staff.") % {"name": member.user.display_name}
            messages.success(request, message)
            return redirect("workspace-member", slug=membership.workspace.slug, member_id=member.pk)
    rows = [
        (
            access_row,
            AccountLevelForm(member=member, initial={"level": access_row.explicit or AccountLevelForm.DEFAULT}),
        )
        for access_row in account_access_for_member(member)
    ]
    context = {
        "member": member,
        "role_form": RoleForm(actor=membership, initial={"role": member.role}),
        "rows": rows,
        "can_edit": membership.role == Membership.Role.OWNER or member.role != Membership.Role.OWNER,
        "agency_form": agency_form,
    }
    return render(request, "accounts/member_detail.html", context, status=400 if agency_form.errors else 200)


@access.workspace_view("can_manage_members")
@require_POST
def member_role(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    member = access.get_member_for_manager(membership, member_id)
    form = RoleForm(request.POST, actor=membership)
    if not form.is_valid():
        messages.error(request, _("Choose one of the listed roles."))
    else:
        try:
            services.membership_change_role(
                membership=member, role=form.cleaned_data["role"], actor_membership=membership, request=request
            )
        except ValidationError as error:
            _form_errors_to_messages(request, error)
        else:
            messages.success(
                request,
                _("%(name)s now has the role %(role)s.")
                % {"name": member.user.display_name, "role": Membership.Role(form.cleaned_data["role"]).label},
            )
    return redirect("workspace-member", slug=membership.workspace.slug, member_id=member.pk)


@access.workspace_view("can_manage_members")
@require_POST
def member_remove(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    member = access.get_member_for_manager(membership, member_id)
    try:
        services.membership_remove(membership=member, actor_membership=membership, request=request)
    except ValidationError as error:
        _form_errors_to_messages(request, error)
        return redirect("workspace-member", slug=membership.workspace.slug, member_id=member.pk)
    messages.success(request, _("%(name)s was removed from the workspace.") % {"name": member.user.display_name})
    if member.pk == membership.pk:
        return redirect("home")
    return redirect("workspace-members", slug=membership.workspace.slug)


@access.workspace_view("can_manage_members")
@require_POST
def member_account_level(request: HttpRequest, membership: Membership, member_id: int, account_id: int) -> HttpResponse:
    """Set one member's level on one account (a select that submits with htmx, or a plain form)."""
    member = access.get_member_for_manager(membership, member_id)
    account = access.get_account_for_user(membership, account_id)
    form = AccountLevelForm(request.POST, member=member)
    error = None
    if form.is_valid():
        try:
            services.account_permission_set(
                membership=member,
                account=account,
                level=form.cleaned_level(),
                actor_membership=membership,
                request=request,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = _("Choose one of the listed levels.")
    row = next(row for row in account_access_for_member(member) if row.account.pk == account.pk)
    if request.headers.get("HX-Request"):
        row_form = AccountLevelForm(member=member, initial={"level": row.explicit or AccountLevelForm.DEFAULT})
        context = {
            "member": member,
            "row": row,
            "form": row_form,
            "error": error,
            "saved": error is None,
            "can_edit": True,
        }
        return render(request, "accounts/_account_level_row.html", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("%(name)s now has “%(level)s” on %(account)s.")
            % {"name": member.user.display_name, "level": row.effective_label, "account": account},
        )
    return redirect("workspace-member", slug=membership.workspace.slug, member_id=member.pk)


@access.workspace_view()
def account_detail(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponse:
    """One connected account: profile, health, what it can do, and (for admins) who may do what."""
    from smm.networks.base import CAPABILITY_LABELS
    from smm.networks.registry import NETWORKS, adapter_class

    account = access.get_account_for_user(membership, account_id)
    level = services.account_level_for(membership=membership, account=account)
    capabilities = []
    unavailable = []  # what the network can do but this account's access cannot, and what to do
    if account.network in NETWORKS:
        supported = adapter_class(account.network).capabilities
        lacking = adapter_class(account.network).unavailable_capabilities(account.config)
        capabilities = [
            label for capability, label in CAPABILITY_LABELS.items() if capability in supported - lacking.keys()
        ]
        unavailable = [(CAPABILITY_LABELS[capability], hint) for capability, hint in lacking.items()]
    context = {
        "account": account,
        "can_manage_account": level >= AccountLevel.MANAGE,
        "capabilities": capabilities,
        "unavailable_capabilities": unavailable,
        "rows": account_access_for_account(account) if membership.can_manage_members else None,
        "token_days": (account.token_expires_at - timezone.now()).days if account.token_expires_at else None,
        "scheduled_count": account.targets.filter(status__in=["scheduled", "retrying", "held"]).count(),
    }
    return render(request, "accounts/account_detail.html", context)


@access.workspace_view()
def workspace_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    if request.method == "POST":
        access.require(membership, "can_change_settings")
    form = WorkspaceForm(request.POST or None, instance=workspace)
    if not membership.can_change_settings:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        # The ModelForm already set the values on the instance; the service records and saves them.
        values = {field: form.cleaned_data[field] for field in form.Meta.fields}
        workspace.refresh_from_db()
        changed = services.workspace_update_settings(
            workspace=workspace, actor=membership.user, request=request, **values
        )
        if changed:
            messages.success(request, _("Workspace settings saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("workspace-settings", slug=workspace.slug)
    return render(request, "accounts/workspace_settings.html", {"form": form}, status=400 if form.errors else 200)


def _filtered_events(membership: Membership, form: AuditFilterForm) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.for_workspace(membership.workspace_id).select_related("actor")
    if not form.is_valid():
        return events
    data = form.cleaned_data
    if data["action"]:
        events = events.filter(action=data["action"])
    if data["actor"]:
        events = events.filter(actor_email__icontains=data["actor"])
    zone = timezone.get_current_timezone()
    if data["date_from"]:
        events = events.filter(created_at__gte=datetime.combine(data["date_from"], time.min, tzinfo=zone))
    if data["date_to"]:
        events = events.filter(created_at__lte=datetime.combine(data["date_to"], time.max, tzinfo=zone))
    return events


@access.workspace_view("can_view_audit")
def audit_log(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    page = Paginator(_filtered_events(membership, form), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "accounts/_audit_rows.html" if request.headers.get("HX-Request") else "accounts/audit_log.html"
    return render(request, template, context)


class _Echo:
    def write(self, value: str) -> str:
        return value


@access.workspace_view("can_view_audit")
def audit_export(request: HttpRequest, membership: Membership) -> StreamingHttpResponse:
    """The filtered audit log as CSV, times in the viewer's time zone."""
    form = AuditFilterForm(request.GET or None)
    events = _filtered_events(membership, form)
    writer = csv.writer(_Echo())
    zone = timezone.get_current_timezone()

    def rows() -> Any:
        yield writer.writerow(
            [_("Time"), _("Time zone"), _("Person"), _("Action"), _("Target"), _("IP address"), _("Details")]
        )
        for event in events.iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    timezone.localtime(event.created_at, zone).strftime("%Y-%m-%d %H:%M:%S"),
                    str(zone),
                    event.actor_email,
                    event.get_action_display(),
                    _csv_safe(event.target),
                    event.ip_address or "",
                    _csv_safe(event.details),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    filename = f"audit-{membership.workspace.slug}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_safe(value: str) -> str:
    """Keep spreadsheet apps from running a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
