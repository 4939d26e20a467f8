"""Working a conversation: status, assignee, tags, notes, and the response-time targets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from statistics import median
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from participation.models import Conversation, InboxNote, InboxTag, ResponseTargets
from smm.accounts.models import Membership, User


def targets_for(workspace_id: int) -> ResponseTargets:
    """The workspace's targets; the defaults (unsaved) until someone changes them, so reading never writes."""
    return ResponseTargets.objects.filter(workspace_id=workspace_id).first() or ResponseTargets(
        workspace_id=workspace_id
    )


def conversation_set_status(*, conversation: Conversation, status: str, actor: User) -> Conversation:
    if status not in Conversation.Status.values:
        raise ValidationError(_("Choose a status."))
    fields = ["status"]
    conversation.status = status
    if status == Conversation.Status.CLOSED:
        conversation.resolved_at = timezone.now()
        conversation.waiting_since = None
        fields += ["resolved_at", "waiting_since"]
    elif conversation.resolved_at is not None:
        conversation.resolved_at = None
        fields.append("resolved_at")
    conversation.save(update_fields=fields)
    return conversation


def conversation_assign(*, conversation: Conversation, assignee: User | None, actor: Membership) -> Conversation:
    """Assign to a member of the workspace (None: nobody); the assignee is told."""
    from collaboration.models import Notification
    from collaboration.services import notification_send

    if (
        assignee is not None
        and not Membership.objects.filter(workspace_id=conversation.workspace_id, user=assignee).exists()
    ):
        raise ValidationError(_("Choose a member of this workspace."))
    previous = conversation.assignee_id
    conversation.assignee = assignee
    fields = ["assignee"]
    if conversation.status == Conversation.Status.NEW:
        conversation.status = Conversation.Status.OPEN
        fields.append("status")
    conversation.save(update_fields=fields)
    if assignee is not None and assignee.pk != previous and assignee != actor.user:
        values = {"who": actor.user.display_name, "subject": conversation.subject[:80]}
        url = reverse("participation:conversation", args=[actor.workspace.slug, conversation.pk])
        transaction.on_commit(
            lambda: notification_send(
                recipients=[assignee],
                workspace=actor.workspace,
                kind=Notification.Kind.TASK_ASSIGNED,
                message=lambda: _("%(who)s assigned a conversation to you: %(subject)s") % values,
                url=url,
                email="notification",
            )
        )
    return conversation


def conversation_set_tags(*, conversation: Conversation, tags: Sequence[InboxTag]) -> None:
    if any(tag.workspace_id != conversation.workspace_id for tag in tags):
        raise ValidationError(_("Choose tags of this workspace."))
    conversation.tags.set(tags)


def note_add(*, conversation: Conversation, author: User, body: str) -> InboxNote:
    body = body.strip()
    if not body:
        raise ValidationError(_("Write a note first."))
    return InboxNote.objects.create(conversation=conversation, author=author, body=body[:5000])


def tag_create(*, workspace_id: int, name: str, color: str = "#6c757d") -> InboxTag:
    name = " ".join(name.split())[:60]
    if not name:
        raise ValidationError(_("Give the tag a name."))
    tag, _created = InboxTag.objects.get_or_create(workspace_id=workspace_id, name=name, defaults={"color": color})
    return tag


# Response times ----------------------------------------------------------------------------------
def response_due(conversation: Conversation, targets: ResponseTargets) -> datetime | None:
    """When the first response (or, after it, the resolution) is due; None when nothing is pending."""
    if conversation.status == Conversation.Status.CLOSED or conversation.lower_priority or conversation.spam:
        return None
    if conversation.first_response_at is None and conversation.first_item_at is not None:
        return conversation.first_item_at + targets.first_response
    if conversation.first_item_at is not None:
        return conversation.first_item_at + targets.resolution
    return None


def _message_breach(values: dict[str, Any]) -> str:
    return _("No answer within %(minutes)s minutes: %(subject)s") % values


def breaches_notify(*, now: datetime | None = None) -> int:
    """Tell assignees (or the workspace's admins) once about conversations past their first-response target."""
    from collaboration.models import Notification
    from collaboration.services import notification_send, workspace_admins

    now = now or timezone.now()
    count = 0
    from smm.accounts.models import Workspace

    waiting = Conversation.objects.filter(first_response_at__isnull=True, breach_notified_at__isnull=True)
    for workspace in Workspace.objects.filter(pk__in=waiting.values("workspace_id")):
        targets = targets_for(workspace.pk)
        targets.workspace = workspace
        late = (
            Conversation.objects.filter(
                workspace_id=targets.workspace_id,
                first_response_at__isnull=True,
                first_item_at__lt=now - targets.first_response,
                breach_notified_at__isnull=True,
                lower_priority=False,
                spam=False,
            )
            .exclude(status=Conversation.Status.CLOSED)
            .select_related("assignee")[:200]
        )
        for conversation in late:
            recipients = [conversation.assignee] if conversation.assignee else list(workspace_admins(targets.workspace))
            values = {"subject": conversation.subject[:80], "minutes": targets.first_response_minutes}
            url = reverse("participation:conversation", args=[targets.workspace.slug, conversation.pk])
            notification_send(
                recipients=recipients,
                workspace=targets.workspace,
                kind=Notification.Kind.PUBLISH_ATTENTION,
                message=partial(_message_breach, values),
                url=url,
                email="notification",
            )
            Conversation.objects.filter(pk=conversation.pk).update(breach_notified_at=now)
            count += 1
    return count


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def response_report(*, workspace_id: int, since: datetime, until: datetime) -> dict[str, Any]:
    """Median and p90 first response (minutes), per member, per account and per ISO week."""
    rows = Conversation.objects.filter(
        workspace_id=workspace_id,
        first_response_at__isnull=False,
        first_item_at__isnull=False,
        first_item_at__gte=since,
        first_item_at__lt=until,
        spam=False,
        lower_priority=False,
    ).select_related("first_responder", "account")
    groups: dict[str, dict[str, list[float]]] = {"member": {}, "account": {}, "week": {}}
    for conversation in rows:
        assert conversation.first_response_at is not None and conversation.first_item_at is not None  # noqa: S101
        minutes = max(0.0, (conversation.first_response_at - conversation.first_item_at) / timedelta(minutes=1))
        member = conversation.first_responder.display_name if conversation.first_responder else "–"
        year, week, _day = timezone.localtime(conversation.first_item_at).isocalendar()
        for group, key in (("member", member), ("account", str(conversation.account)), ("week", f"{year}-W{week:02d}")):
            groups[group].setdefault(key, []).append(minutes)
    return {
        group: sorted(
            (
                {"key": key, "count": len(values), "median": median(values), "p90": _percentile(values, 0.9)}
                for key, values in keyed.items()
            ),
            key=lambda row: row["key"],
        )
        for group, keyed in groups.items()
    }
