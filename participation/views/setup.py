"""Inbox settings: every member reads them; members who publish change saved replies and tags;
owners and admins change the response-time targets and whose replies need approval."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from participation import access as inbox_access
from participation.models import InboxTag, SavedReply
from participation.services import conversations, setup
from participation.setup_forms import ReplyApprovalForm, SavedReplyForm, TagForm, TargetsForm, add_service_errors
from smm.accounts import access
from smm.accounts.models import Membership


def _setup_context(membership: Membership, **forms: Any) -> dict[str, Any]:
    workspace_id = membership.workspace_id
    targets = conversations.targets_for(workspace_id)
    approval_members = setup.reply_approval_members(workspace_id)
    return {
        "saved_replies": SavedReply.objects.filter(workspace_id=workspace_id),
        "tags": InboxTag.objects.filter(workspace_id=workspace_id),
        "targets": targets,
        "approval_members": approval_members,
        "tag_form": forms.get("tag_form") or TagForm(),
        "targets_form": forms.get("targets_form") or TargetsForm(instance=targets),
        "approval_form": forms.get("approval_form")
        or ReplyApprovalForm(workspace_id=workspace_id, initial={"members": approval_members}),
    }


def _setup_page(request: HttpRequest, membership: Membership, *, status: int = 200, **forms: Any) -> HttpResponse:
    return render(request, "participation/setup.html", _setup_context(membership, **forms), status=status)


def _to_setup(membership: Membership, anchor: str = "") -> HttpResponse:
    response = redirect("participation:setup", slug=membership.workspace.slug)
    response["Location"] += f"#{anchor}" if anchor else ""
    return response


@access.workspace_view()
@require_GET
def setup_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _setup_page(request, membership)


# Saved replies -----------------------------------------------------------------------------------
@access.workspace_view("can_publish")
@require_http_methods(["GET", "POST"])
def saved_reply_edit(request: HttpRequest, membership: Membership, saved_reply_id: int | None = None) -> HttpResponse:
    """Add (no id) or change a saved reply."""
    saved = inbox_access.get_saved_reply_for_user(membership, saved_reply_id, write=True) if saved_reply_id else None
    form = SavedReplyForm(request.POST or None, instance=saved)
    if request.method == "POST" and form.is_valid():
        values = {key: form.cleaned_data[key] for key in ("title", "body", "is_warning")}
        try:
            if saved is None:
                setup.saved_reply_create(workspace_id=membership.workspace_id, **values)
            else:
                setup.saved_reply_update(saved_reply=saved, **values)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved reply “%(title)s” saved.") % {"title": values["title"]})
            return _to_setup(membership, "saved-replies")
    context = {"form": form, "saved_reply": saved}
    return render(request, "participation/saved_reply_form.html", context, status=400 if form.errors else 200)


@access.workspace_view("can_publish")
@require_POST
def saved_reply_delete(request: HttpRequest, membership: Membership, saved_reply_id: int) -> HttpResponse:
    saved = inbox_access.get_saved_reply_for_user(membership, saved_reply_id, write=True)
    changed = setup.saved_reply_delete(saved_reply=saved)
    message = _("Saved reply “%(title)s” deleted.") % {"title": saved.title}
    if changed:
        message += " " + _("Rules that replied with it no longer auto-reply.")
    messages.success(request, message)
    return _to_setup(membership, "saved-replies")


# Tags --------------------------------------------------------------------------------------------
@access.workspace_view("can_publish")
@require_POST
def tag_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = TagForm(request.POST)
    if form.is_valid():
        try:
            tag = conversations.tag_create(
                workspace_id=membership.workspace_id, name=form.cleaned_data["name"], color=form.cleaned_data["color"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Tag “%(name)s” added.") % {"name": tag.name})
            return _to_setup(membership, "tags")
    return _setup_page(request, membership, status=400, tag_form=form)


@access.workspace_view("can_publish")
@require_POST
def tag_delete(request: HttpRequest, membership: Membership, tag_id: int) -> HttpResponse:
    tag = inbox_access.get_tag_for_user(membership, tag_id, write=True)
    changed = setup.tag_delete(tag=tag)
    message = _("Tag “%(name)s” deleted; conversations no longer have it.") % {"name": tag.name}
    if changed:
        message += " " + _("Rules that added it no longer do.")
    messages.success(request, message)
    return _to_setup(membership, "tags")


# Targets and reply approval ----------------------------------------------------------------------
@access.workspace_view("can_change_settings")
@require_POST
def targets(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = TargetsForm(request.POST, instance=conversations.targets_for(membership.workspace_id))
    if form.is_valid():
        try:
            setup.targets_update(
                membership=membership,
                first_response_minutes=form.cleaned_data["first_response_minutes"],
                resolution_minutes=form.cleaned_data["resolution_minutes"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Response-time targets saved."))
            return _to_setup(membership, "targets")
    return _setup_page(request, membership, status=400, targets_form=form)


@access.workspace_view("can_change_settings")
@require_POST
def reply_approval(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ReplyApprovalForm(request.POST, workspace_id=membership.workspace_id)
    if form.is_valid():
        setup.reply_approval_set(membership=membership, members=list(form.cleaned_data["members"]), request=request)
        messages.success(request, _("Saved: who needs approval for inbox replies."))
        return _to_setup(membership, "reply-approval")
    return _setup_page(request, membership, status=400, approval_form=form)
