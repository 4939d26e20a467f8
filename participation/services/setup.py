"""Inbox settings: saved replies, tags, response-time targets, reply approval, rules and saved views.

Callers look the rows up through participation/access.py (which checks the member's role); these
functions validate, write, and audit what changes the workspace's rules for everyone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils.translation import gettext as _

from participation.models import InboxRule, InboxTag, InboxView, ResponseTargets, SavedReply
from participation.services.rules import rule_validate
from smm.accounts.models import AuditEvent, Membership
from smm.accounts.services import audit_record

PLACEHOLDERS = ("{author_name}", "{handle}", "{account}")
_PLACEHOLDER = re.compile(r"\{[^{}\s]*\}")


# Saved replies -----------------------------------------------------------------------------------
def _check_placeholders(body: str) -> None:
    unknown = sorted({found for found in _PLACEHOLDER.findall(body) if found not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            {
                "body": _("%(unknown)s is not filled in. Use %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(PLACEHOLDERS)}
            }
        )


def saved_reply_create(*, workspace_id: int, title: str, body: str, is_warning: bool) -> SavedReply:
    _check_placeholders(body)
    saved = SavedReply(workspace_id=workspace_id, title=title.strip(), body=body.strip(), is_warning=is_warning)
    saved.full_clean()
    saved.save()
    return saved


def saved_reply_update(*, saved_reply: SavedReply, title: str, body: str, is_warning: bool) -> SavedReply:
    _check_placeholders(body)
    saved_reply.title, saved_reply.body, saved_reply.is_warning = title.strip(), body.strip(), is_warning
    saved_reply.full_clean()
    saved_reply.save(update_fields=["title", "body", "is_warning"])
    return saved_reply


def saved_reply_delete(*, saved_reply: SavedReply) -> int:
    """Delete a saved reply; rules that auto-replied with it stop replying. Returns how many rules changed."""
    with transaction.atomic():
        changed = _drop_rule_action(saved_reply.workspace_id, "reply", saved_reply.pk)
        saved_reply.delete()
    return changed


# Tags --------------------------------------------------------------------------------------------
def tag_delete(*, tag: InboxTag) -> int:
    """Delete a tag (conversations lose it); rules that added it stop. Returns how many rules changed."""
    with transaction.atomic():
        changed = _drop_rule_action(tag.workspace_id, "tag", tag.pk)
        tag.delete()
    return changed


def _drop_rule_action(workspace_id: int, key: str, value: int) -> int:
    # A rule pointing at a deleted row would fail rule_validate the next time someone edits it,
    # and would silently do nothing until then: take the action out instead.
    rules = list(InboxRule.objects.select_for_update().filter(workspace_id=workspace_id, **{f"actions__{key}": value}))
    for rule in rules:
        rule.actions = {name: setting for name, setting in rule.actions.items() if name != key}
        rule.save(update_fields=["actions"])
    return len(rules)


# Response-time targets and reply approval --------------------------------------------------------
def targets_update(
    *,
    membership: Membership,
    first_response_minutes: int,
    resolution_minutes: int,
    request: HttpRequest | None = None,
) -> ResponseTargets:
    """Change the workspace's response-time targets (the caller checked can_change_settings); audited."""
    if resolution_minutes < first_response_minutes:
        raise ValidationError({"resolution_minutes": _("Resolving cannot take less time than the first response.")})
    with transaction.atomic():
        targets = ResponseTargets.objects.select_for_update().get_or_create(workspace_id=membership.workspace_id)[0]
        values = {"first_response_minutes": first_response_minutes, "resolution_minutes": resolution_minutes}
        changes = {
            field: {"from": getattr(targets, field), "to": value}
            for field, value in values.items()
            if getattr(targets, field) != value
        }
        if not changes:
            return targets
        for field, value in values.items():
            setattr(targets, field, value)
        targets.full_clean()
        targets.save(update_fields=list(changes))
        audit_record(
            action=AuditEvent.Action.WORKSPACE_SETTINGS_CHANGED,
            actor=membership.user,
            workspace=membership.workspace,
            target=str(_("Inbox response-time targets")),
            data={"changes": changes},
            request=request,
        )
    return targets


def reply_approval_members(workspace_id: int) -> list[Membership]:
    from collaboration.models import ReplyApproval

    approval = ReplyApproval.objects.filter(workspace_id=workspace_id).first()
    if approval is None:
        return []
    return list(approval.members.select_related("user").order_by("user__full_name", "user__email"))


def reply_approval_set(
    *, membership: Membership, members: Sequence[Membership], request: HttpRequest | None = None
) -> list[Membership]:
    """Choose the members whose inbox replies wait for approval (the caller checked can_change_settings); audited."""
    from collaboration.models import ReplyApproval

    if any(member.workspace_id != membership.workspace_id for member in members):
        raise ValidationError(_("Choose members of this workspace."))
    with transaction.atomic():
        approval = ReplyApproval.objects.select_for_update().get_or_create(workspace_id=membership.workspace_id)[0]
        before = sorted(approval.members.values_list("user__email", flat=True))
        approval.members.set(members)
        after = sorted(member.user.email for member in members)
        if before != after:
            audit_record(
                action=AuditEvent.Action.WORKSPACE_SETTINGS_CHANGED,
                actor=membership.user,
                workspace=membership.workspace,
                target=str(_("Inbox replies that need approval")),
                data={"from": ", ".join(before), "to": ", ".join(after)},
                request=request,
            )
    return list(members)


# Rules -------------------------------------------------------------------------------------------
def rule_save(
    *,
    membership: Membership,
    rule: InboxRule | None,
    name: str,
    enabled: bool,
    position: int,
    conditions: dict[str, Any],
    actions: dict[str, Any],
) -> InboxRule:
    """Create (rule=None) or change an inbox rule; ValidationError when rule_validate refuses it."""
    rule_validate(workspace_id=membership.workspace_id, conditions=conditions, actions=actions)
    if rule is None:
        rule = InboxRule(workspace_id=membership.workspace_id, created_by=membership.user)
    rule.name, rule.enabled, rule.position = name.strip(), enabled, position
    rule.conditions, rule.actions = conditions, actions
    rule.full_clean(exclude=["created_by"])  # empty for rules whose author has left
    if rule.pk is None:
        rule.save()
    else:
        rule.save(update_fields=["name", "enabled", "position", "conditions", "actions"])
    return rule


def rule_delete(*, rule: InboxRule) -> None:
    rule.delete()


# Saved views -------------------------------------------------------------------------------------
def inbox_view_create(*, membership: Membership, name: str, query: str, shared: bool) -> InboxView:
    """Save an inbox filter as a column: the member's own, or (members who publish) shared with the team."""
    if shared and not membership.can_publish:
        raise PermissionDenied
    with transaction.atomic():
        last = InboxView.objects.filter(workspace_id=membership.workspace_id).aggregate(last=Max("position"))["last"]
        view = InboxView(
            workspace_id=membership.workspace_id,
            owner=None if shared else membership.user,
            name=" ".join(name.split()),
            query=query,
            position=min(32767, (last or 0) + 1),
        )
        view.full_clean()
        view.save()
    return view


def inbox_view_delete(*, view: InboxView) -> None:
    view.delete()
