"""Inbox objects looked up for a member: another workspace's rows are 404, and so are rows of
accounts the member may not see; too low a level for a write is 403."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from participation.models import (
    Contact,
    ContactIdentity,
    ContactNote,
    Conversation,
    Idea,
    IdeaStatusChange,
    InboxItem,
    InboxRule,
    InboxTag,
    InboxView,
    LedgerEntry,
    Reply,
    RewardProgramme,
    RewardRule,
    SavedReply,
    Segment,
)
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


# Ideas (docs/community.md) -----------------------------------------------------------------------
def get_idea_for_user(membership: Membership, idea_id: int, *, capability: str | None = None) -> Idea:
    """An idea of the member's workspace (404 otherwise); 403 without `capability` (a Membership
    property: can_draft to edit or vote, can_publish to change the status or moderate)."""
    idea = (
        Idea.objects.filter(workspace_id=membership.workspace_id, pk=idea_id)
        .select_related("contact", "source_item__account", "source_item__conversation", "created_by", "workspace")
        .first()
    )
    if idea is None:
        raise Http404
    if capability:
        require(membership, capability)
    return idea


def get_idea_change_for_user(
    membership: Membership, idea_id: int, change_id: int, *, capability: str
) -> IdeaStatusChange:
    """One status change of an idea of the member's workspace (404 otherwise; 403 without `capability`)."""
    idea = get_idea_for_user(membership, idea_id, capability=capability)
    change = idea.changes.filter(pk=change_id).select_related("reply").first()
    if change is None:
        raise Http404
    change.idea = idea
    return change


def get_public_idea(workspace_id: int, idea_id: int) -> Idea:
    """An idea shown on the workspace's public page (approved by the team); 404 for any other."""
    idea = Idea.objects.filter(workspace_id=workspace_id, pk=idea_id, moderation=Idea.Moderation.APPROVED).first()
    if idea is None:
        raise Http404
    return idea


# Community members and rewards (docs/community.md) -----------------------------------------------
def get_contact_for_user(membership: Membership, contact_id: int, *, capability: str | None = None) -> Contact:
    """A community member (contact) of the member's workspace (404 otherwise); 403 without `capability`."""
    contact = Contact.objects.filter(workspace_id=membership.workspace_id, pk=contact_id).first()
    if contact is None:
        raise Http404
    if capability:
        require(membership, capability)
    return contact


def get_contact_note_for_user(membership: Membership, contact: Contact, note_id: int) -> ContactNote:
    """One of the notes about `contact`; only its author may delete it (403 for others)."""
    note = ContactNote.objects.filter(contact=contact, pk=note_id).first()
    if note is None:
        raise Http404
    if note.author_id != membership.user_id:
        raise PermissionDenied
    return note


def get_identity_for_user(contact: Contact, identity_id: int) -> ContactIdentity:
    identity = ContactIdentity.objects.filter(contact=contact, pk=identity_id).first()
    if identity is None:
        raise Http404
    return identity


def get_segment_for_user(membership: Membership, pk: int, *, write: bool = False) -> Segment:
    return _workspace_row(Segment, membership, pk, write=write)


def get_programme_for_user(membership: Membership, pk: int, *, capability: str | None = None) -> RewardProgramme:
    programme = RewardProgramme.objects.filter(workspace_id=membership.workspace_id, pk=pk).first()
    if programme is None:
        raise Http404
    if capability:
        require(membership, capability)
    return programme


def get_reward_rule_for_user(
    membership: Membership, programme: RewardProgramme, pk: int, *, capability: str
) -> RewardRule:
    rule = RewardRule.objects.filter(programme=programme, pk=pk).first()
    if rule is None:
        raise Http404
    require(membership, capability)
    return rule


def get_ledger_entry_for_user(membership: Membership, pk: int, *, capability: str) -> LedgerEntry:
    entry = (
        LedgerEntry.objects.filter(workspace_id=membership.workspace_id, pk=pk)
        .select_related("programme__workspace", "contact")
        .first()
    )
    if entry is None:
        raise Http404
    require(membership, capability)
    return entry
