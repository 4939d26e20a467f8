"""Inbox rows built directly with the ORM for the settings, rules, columns, report and access tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from participation.models import Conversation, InboxItem
from smm.networks.models import ConnectedAccount
from tests.fixtures import Personas

_numbers = itertools.count(1)


def make_item(
    p: Personas,
    *,
    text: str = "Is the shop open on Sunday?",
    account: ConnectedAccount | None = None,
    kind: str = InboxItem.Kind.MENTION,
    author: str = "anna",
    at: datetime | None = None,
    conversation: dict[str, Any] | None = None,
    **fields: Any,
) -> InboxItem:
    """A customer's item in a conversation of its own (fields for the conversation in `conversation`)."""
    number = next(_numbers)
    at = at or timezone.now()
    account = account or p.account
    thread = Conversation.objects.create(
        workspace=account.workspace,
        account=account,
        kind=Conversation.Kind.DIRECT if kind == InboxItem.Kind.DIRECT else Conversation.Kind.MENTION,
        root_remote_id=f"root{number}",
        subject=text[:300],
        first_item_at=at,
        last_activity_at=at,
        item_count=1,
        **(conversation or {}),
    )
    return InboxItem.objects.create(
        workspace=account.workspace,
        account=account,
        conversation=thread,
        kind=kind,
        remote_id=f"item{number}",
        author_handle=f"@{author}@fake.example",
        author_name=author.title(),
        text=text,
        created_at=at,
        **fields,
    )


def answered(item: InboxItem, *, after: timedelta, by: Any, resolved_after: timedelta | None = None) -> Conversation:
    """Mark the item's conversation answered `after` its first item (and closed `resolved_after`)."""
    conversation = item.conversation
    assert conversation.first_item_at is not None
    conversation.first_response_at = conversation.first_item_at + after
    conversation.first_responder = by
    fields = ["first_response_at", "first_responder"]
    if resolved_after is not None:
        conversation.resolved_at = conversation.first_item_at + resolved_after
        conversation.status = Conversation.Status.CLOSED
        fields += ["resolved_at", "status"]
    conversation.save(update_fields=fields)
    return conversation
