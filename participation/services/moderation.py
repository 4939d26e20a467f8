"""Moderation as each network allows: hide a reply, delete our own reply, block, mute, report.

Every action is recorded (ModerationAction) and audited; block/mute/hide can be undone where the
network allows. The pages offer only the actions the account's adapter declares.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from participation.models import Contact, InboxItem, ModerationAction
from smm.accounts.models import AccountLevel, AuditEvent, Membership, User
from smm.accounts.services import account_level_for, audit_record
from smm.networks.base import Capability, NetworkError
from smm.networks.registry import adapter_class, adapter_for

# action -> the capability the adapter must declare
CAPABILITIES = {
    ModerationAction.Action.HIDE: Capability.HIDE,
    ModerationAction.Action.UNHIDE: Capability.HIDE,
    ModerationAction.Action.DELETE: Capability.DELETE,
    ModerationAction.Action.BLOCK: Capability.BLOCK,
    ModerationAction.Action.UNBLOCK: Capability.BLOCK,
    ModerationAction.Action.MUTE: Capability.MUTE,
    ModerationAction.Action.UNMUTE: Capability.MUTE,
    ModerationAction.Action.REPORT: Capability.REPORT,
}


def available_actions(item: InboxItem) -> list[str]:
    """The moderation actions this item's network supports (our own replies can only be deleted)."""
    capabilities = adapter_class(item.account.network).capabilities
    if item.kind == InboxItem.Kind.OURS:
        return [ModerationAction.Action.DELETE] if Capability.DELETE in capabilities else []
    actions: list[str] = []
    for action, capability in CAPABILITIES.items():
        if action == ModerationAction.Action.DELETE or capability not in capabilities:
            continue
        if action in (ModerationAction.Action.HIDE, ModerationAction.Action.UNHIDE) and item.kind not in (
            InboxItem.Kind.COMMENT,
            InboxItem.Kind.REPLY,
        ):
            continue  # only replies in our own threads can be hidden
        actions.append(action)
    return actions


def moderation_apply(
    *,
    item: InboxItem,
    action: str,
    actor: Membership | None,
    actor_id: int | None = None,
    reason: str = "",
    automatic: bool = False,
) -> ModerationAction:
    """Do one moderation action on the network, record and audit it; ValidationError in plain words if refused."""
    if action not in available_actions(item):
        raise ValidationError(
            _("%(network)s does not allow that here.") % {"network": item.account.get_network_display()}
        )
    user: User | None = actor.user if actor else (User.objects.filter(pk=actor_id).first() if actor_id else None)
    if actor is not None and account_level_for(membership=actor, account=item.account) < AccountLevel.PUBLISH:
        raise PermissionDenied
    adapter = adapter_for(item.account)
    author_id = item.identity.remote_id if item.identity else ""
    record = ModerationAction(item=item, actor=user, action=action)
    try:
        if action == ModerationAction.Action.HIDE:
            adapter.hide_reply(item.remote_id, item.conversation.root_remote_id)
        elif action == ModerationAction.Action.UNHIDE:
            adapter.unhide_reply(item.remote_id, item.conversation.root_remote_id)
        elif action == ModerationAction.Action.DELETE:
            adapter.delete(item.remote_id)
        elif action == ModerationAction.Action.BLOCK:
            adapter.block(author_id)
        elif action == ModerationAction.Action.UNBLOCK:
            adapter.unblock(author_id)
        elif action == ModerationAction.Action.MUTE:
            adapter.mute(author_id)
        elif action == ModerationAction.Action.UNMUTE:
            adapter.unmute(author_id)
        elif action == ModerationAction.Action.REPORT:
            adapter.report(remote_id=item.remote_id, author_id=author_id, reason=reason)
        record.succeeded = True
    except NetworkError as error:
        record.error = error.message
    with transaction.atomic():
        record.save()
        if record.succeeded:
            _apply_locally(item, action)
        audit_record(
            action=AuditEvent.Action.INBOX_MODERATED,
            actor=user,
            workspace=item.conversation.workspace,
            target=f"{item.get_kind_display()} {item.author_handle}"[:300],
            data={
                "item": item.pk,
                "action": action,
                "succeeded": record.succeeded,
                "error": record.error[:300],
                "automatic": automatic,
            },
        )
    if not record.succeeded:
        raise ValidationError(_("The network refused: %(error)s") % {"error": record.error})
    return record


def _apply_locally(item: InboxItem, action: str) -> None:
    if action == ModerationAction.Action.HIDE:
        InboxItem.objects.filter(pk=item.pk).update(hidden=True)
    elif action == ModerationAction.Action.UNHIDE:
        InboxItem.objects.filter(pk=item.pk).update(hidden=False)
    elif action == ModerationAction.Action.DELETE:
        InboxItem.objects.filter(pk=item.pk).update(deleted=True)
    elif action in (ModerationAction.Action.BLOCK, ModerationAction.Action.UNBLOCK) and item.contact_id:
        Contact.objects.filter(pk=item.contact_id).update(blocked=action == ModerationAction.Action.BLOCK)
