"""Inbox objects looked up for a member: another workspace's rows are 404, and so are rows of
accounts the member may not see; too low a level for a write is 403."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from participation.models import Conversation, InboxItem, InboxRule, InboxTag, InboxView, Reply, SavedReply
from smm.accounts.access import require
from smm.accounts.models import AccountLevel, Membership
from smm.accounts.selectors import account_access_for_member


def visible_account_ids(membership: Membership) -> list[int]:
    return [
        access.account.pk for access in account_access_for_member(membership) if access.effective >= AccountLevel.VIEW
    ]


def writable_account_ids(membership: Membership) -> list[int]:
    """Accounts on which the member may work the inbox (reply needs more: see replies.reply_send)."""
    return [
        access.account.pk for access in account_access_for_member(membership) if access.effective >= AccountLevel.DRAFT
    ]


def visible_conversations(membership: Membership) -> QuerySet[Conversation]:
    return Conversation.objects.for_workspace(membership.workspace_id).filter(
        account_id__in=visible_account_ids(membership)
    )


def get_conversation_for_user(membership: Membership, conversation_id: int, *, write: bool = False) -> Conversation:
    conversation = (
        visible_conversations(membership)
        .select_related("account", "assignee", "contact")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise Http404
    if write and (not membership.can_draft or conversation.account_id not in writable_account_ids(membership)):
        raise PermissionDenied
    return conversation


def get_item_for_user(membership: Membership, item_id: int) -> InboxItem:
    item = (
        InboxItem.objects.filter(workspace_id=membership.workspace_id, account_id__in=visible_account_ids(membership))
        .select_related("account", "conversation__workspace", "identity", "contact")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404
    return item


def get_reply_for_user(membership: Membership, reply_id: int) -> Reply:
    reply = (
        Reply.objects.filter(conversation__workspace_id=membership.workspace_id)
        .filter(conversation__account_id__in=visible_account_ids(membership))
        .select_related("in_reply_to__account", "conversation")
        .filter(pk=reply_id)
        .first()
    )
    if reply is None:
        raise Http404
    return reply


def _workspace_row(model: Any, membership: Membership, pk: int, *, write: bool, capability: str = "can_publish") -> Any:
    row = model.objects.filter(workspace_id=membership.workspace_id, pk=pk).first()
    if row is None:
        raise Http404
    if write:
        require(membership, capability)
    return row


def get_saved_reply_for_user(membership: Membership, pk: int, *, write: bool = False) -> SavedReply:
    return _workspace_row(SavedReply, membership, pk, write=write)


def get_tag_for_user(membership: Membership, pk: int, *, write: bool = False) -> InboxTag:
    return _workspace_row(InboxTag, membership, pk, write=write)


def get_rule_for_user(membership: Membership, pk: int, *, write: bool = False) -> InboxRule:
    return _workspace_row(InboxRule, membership, pk, write=write)


def get_view_for_user(membership: Membership, pk: int, *, write: bool = False) -> InboxView:
    """A shared saved view, or one of the member's own (others' own views are 404)."""
    view = InboxView.objects.filter(workspace_id=membership.workspace_id, pk=pk).first()
    if view is None or (view.owner_id is not None and view.owner_id != membership.user_id):
        raise Http404
    if write and view.owner_id is None:
        require(membership, "can_publish")
    return view
