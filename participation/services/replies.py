"""Replies from the inbox, sent through the network in the right thread, once; likes and boosts.

A reply is a row with an idempotency key before the call (like a publishing attempt): the
network de-duplicates a retry with the same key (Mastodon Idempotency-Key, Bluesky record key).
Members chosen by the workspace send replies through approval first (collaboration rules).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participation.models import Conversation, InboxItem, Presence, Reply, SavedReply
from publishing.services.validation import account_limits
from smm.accounts.models import AccountLevel, Membership, User
from smm.accounts.services import account_level_for
from smm.networks.base import (
    Adapter,
    NetworkError,
    PostDraft,
    PublishedPost,
    TransientError,
    UnknownOutcomeError,
)
from smm.networks.models import ConnectedAccount
from smm.networks.registry import adapter_class, adapter_for

logger = logging.getLogger(__name__)

# A second reply to the same message within this time asks "really?" (two people answering at once).
COLLISION_WINDOW = timedelta(minutes=10)
PRESENCE_TTL = timedelta(seconds=30)


class AlreadyAnswered(ValidationError):
    """Someone replied to this message a moment ago; send anyway only if the person confirms."""


def fill_saved_reply(saved: SavedReply, item: InboxItem) -> str:
    """The saved reply's text with {author_name}, {handle} and {account} filled in (no other braces used)."""
    values = {
        "{author_name}": item.author_name or item.author_handle,
        "{handle}": item.author_handle,
        "{account}": item.account.display_name or item.account.handle,
    }
    text = saved.body
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def reply_check(*, item: InboxItem, text: str) -> list[str]:
    """What the network would refuse in this reply (empty when it may be sent)."""
    limits = account_limits(item.account)
    problems: list[str] = []
    if not text.strip():
        problems.append(_("Write a reply first."))
    if limits is not None and limits.count(text) > limits.max_characters:
        problems.append(
            _("The reply is %(length)s characters long; %(network)s allows %(limit)s.")
            % {
                "length": limits.count(text),
                "network": item.account.get_network_display(),
                "limit": limits.max_characters,
            }
        )
    return problems


def others_present(*, conversation: Conversation, user: User) -> list[Presence]:
    """Other members viewing or typing in this conversation right now."""
    return list(
        Presence.objects.filter(conversation=conversation, seen_at__gte=timezone.now() - PRESENCE_TTL)
        .exclude(user=user)
        .select_related("user")
    )


def presence_ping(*, conversation: Conversation, user: User, typing: bool) -> None:
    """I am here; `typing` when my reply box had a keystroke since the last ping."""
    now = timezone.now()
    defaults: dict[str, Any] = {"seen_at": now}
    if typing:
        defaults["typing_at"] = now
    Presence.objects.update_or_create(conversation=conversation, user=user, defaults=defaults)


def reply_needs_approval(membership: Membership) -> bool:
    """Replies of members the workspace chose wait for approval (collaboration's reply approval list)."""
    from collaboration.models import ReplyApproval

    return ReplyApproval.objects.filter(workspace_id=membership.workspace_id, members=membership).exists()


def reply_send(*, item: InboxItem, membership: Membership, text: str, confirmed: bool = False) -> Reply:
    """Reply to an inbox item from the account that received it, in the same thread.

    Raises ValidationError for what the network would refuse, AlreadyAnswered when another reply
    went to the same message moments ago (unless `confirmed`), PermissionDenied below the publish
    level on the account (or the draft level, when the reply goes to approval)."""
    level = account_level_for(membership=membership, account=item.account)
    needs_approval = reply_needs_approval(membership) or level < AccountLevel.PUBLISH
    if level < (AccountLevel.DRAFT if needs_approval else AccountLevel.PUBLISH) or not membership.can_draft:
        raise PermissionDenied
    problems = reply_check(item=item, text=text)
    if problems:
        raise ValidationError(problems)
    recent = Reply.objects.filter(in_reply_to=item, created_at__gte=timezone.now() - COLLISION_WINDOW).exclude(
        status__in=[Reply.Status.FAILED, Reply.Status.REJECTED]
    )
    if recent.exists() and not confirmed:
        other = recent.select_related("author").first()
        raise AlreadyAnswered(
            _("%(who)s already answered this message a moment ago. Send yours too?")
            % {"who": other.author.display_name if other and other.author else _("Someone")},
            code="confirm",
        )
    reply = Reply.objects.create(
        conversation=item.conversation,
        in_reply_to=item,
        author=membership.user,
        text=text,
        status=Reply.Status.IN_REVIEW if needs_approval else Reply.Status.SENDING,
        idempotency_key=adapter_class(item.account.network).new_idempotency_key(),
    )
    if needs_approval:
        _ask_for_approval(reply, membership)
        return reply
    return reply_deliver(reply=reply)


def reply_send_automatic(*, item: InboxItem, saved_reply: SavedReply, actor_id: int | None) -> Reply:
    """An inbox rule's auto-reply (once per author per day is the rule's business)."""
    text = fill_saved_reply(saved_reply, item)
    problems = reply_check(item=item, text=text)
    if problems:
        raise ValidationError(problems)
    reply = Reply.objects.create(
        conversation=item.conversation,
        in_reply_to=item,
        author_id=actor_id,
        text=text,
        idempotency_key=adapter_class(item.account.network).new_idempotency_key(),
    )
    return reply_deliver(reply=reply)


def reply_deliver(*, reply: Reply) -> Reply:
    """Send a reply once: one call with its idempotency key; the outcome is stored on the row."""
    reply = Reply.objects.select_related("in_reply_to__account", "conversation").get(pk=reply.pk)
    item = reply.in_reply_to
    if item.kind == InboxItem.Kind.DIRECT and adapter_class(item.account.network).chat:
        return _deliver_direct(reply)
    visibility = "direct" if item.kind == InboxItem.Kind.DIRECT else "public"
    draft = PostDraft(
        text=reply.text,
        idempotency_key=reply.idempotency_key,
        reply_to=item.remote_id,
        visibility=visibility,
    )
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.SENDING)
    try:
        published = adapter_for(item.account).publish(draft)
    except UnknownOutcomeError as error:
        return _reply_failed(reply, error, Reply.Status.UNCONFIRMED)
    except TransientError:
        # The key makes one retry safe: the network returns the reply if the first call made it.
        try:
            published = adapter_for(item.account).publish(draft)
        except NetworkError as again:
            return _reply_failed(
                reply,
                again,
                Reply.Status.FAILED if not isinstance(again, UnknownOutcomeError) else Reply.Status.UNCONFIRMED,
            )
    except NetworkError as error:
        return _reply_failed(reply, error, Reply.Status.FAILED)
    return _reply_sent(reply, published)


def _reply_sent(reply: Reply, published: PublishedPost) -> Reply:
    """Record a reply the network has: the row, our item in the conversation, the response timers."""
    item = reply.in_reply_to
    now = timezone.now()
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(
            status=Reply.Status.SENT,
            remote_id=published.remote_id[:300],
            url=published.url[:1000],
            sent_at=now,
            error="",
        )
        InboxItem.objects.get_or_create(
            account=item.account,
            kind=InboxItem.Kind.OURS,
            remote_id=published.remote_id[:300],
            defaults={
                "workspace_id": item.workspace_id,
                "conversation": reply.conversation,
                "parent_remote_id": item.remote_id,
                "url": published.url[:1000],
                "author_handle": item.account.handle,
                "author_name": item.account.display_name,
                "text": reply.text,
                "created_at": now,
                "sent_by_id": reply.author_id,
            },
        )
        conversation = Conversation.objects.select_for_update().get(pk=reply.conversation_id)
        fields = ["waiting_since", "last_activity_at", "status"]
        conversation.waiting_since = None
        conversation.last_activity_at = now
        if conversation.first_response_at is None:
            conversation.first_response_at = now
            conversation.first_responder_id = reply.author_id
            fields += ["first_response_at", "first_responder"]
        if conversation.status in (Conversation.Status.NEW, Conversation.Status.OPEN):
            conversation.status = Conversation.Status.WAITING
        conversation.save(update_fields=fields)
    reply.refresh_from_db()
    return reply


def _reply_failed(reply: Reply, error: NetworkError, status: str) -> Reply:
    Reply.objects.filter(pk=reply.pk).update(status=status, error=error.message)
    reply.refresh_from_db()
    return reply


# Replies in a chat of its own (Bluesky DMs) -------------------------------------------------------
# An unconfirmed DM is looked for again by the next collection; one still missing this long after
# it was sent did not arrive, and is left for a person to send again.
DIRECT_SETTLE = timedelta(minutes=2)


def _accounted_for(reply: Reply) -> set[str]:
    """Messages of ours in the conversation that smm already knows (never mistaken for this reply)."""
    ours = set(
        InboxItem.objects.filter(conversation_id=reply.conversation_id, kind=InboxItem.Kind.OURS).values_list(
            "remote_id", flat=True
        )
    )
    return ours | set(
        Reply.objects.filter(conversation_id=reply.conversation_id)
        .exclude(pk=reply.pk)
        .exclude(remote_id="")
        .values_list("remote_id", flat=True)
    )


def _find_direct(adapter: Adapter, reply: Reply, since: datetime) -> PublishedPost | None:
    return adapter.find_direct(
        conversation_id=reply.conversation.root_remote_id,
        text=reply.text,
        sent_after=since,
        exclude=_accounted_for(reply),
    )


def _deliver_direct(reply: Reply) -> Reply:
    """Send a DM reply into its chat conversation, once.

    The chat takes no idempotency key, so nothing is ever sent twice on a guess: after a
    TransientError the conversation's latest messages are read first (found: that is the reply;
    absent: one more attempt); after an UnknownOutcomeError they are read once, and a reply not
    (yet) there stays unconfirmed for the next collection to look for (replies_reconcile_direct)."""
    item = reply.in_reply_to
    started = timezone.now()
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.SENDING)
    send = {"conversation_id": reply.conversation.root_remote_id, "text": reply.text}
    try:
        adapter = adapter_for(item.account)
    except NetworkError as error:
        return _reply_failed(reply, error, Reply.Status.FAILED)
    try:
        published = adapter.send_direct(**send)
    except UnknownOutcomeError as error:
        return _direct_unknown(reply, adapter, started, error)
    except TransientError as error:
        try:
            published_or_none = _find_direct(adapter, reply, started)
            if published_or_none is None:
                published_or_none = adapter.send_direct(**send)
            published = published_or_none
        except UnknownOutcomeError as again:
            return _direct_unknown(reply, adapter, started, again)
        except NetworkError as again:
            logger.info("DM reply %s failed twice: %s, then %s", reply.pk, error.message, again.message)
            return _reply_failed(reply, again, Reply.Status.FAILED)
    except NetworkError as error:
        return _reply_failed(reply, error, Reply.Status.FAILED)
    return _reply_sent(reply, published)


def _direct_unknown(reply: Reply, adapter: Adapter, started: datetime, error: NetworkError) -> Reply:
    try:
        found = _find_direct(adapter, reply, started)
    except NetworkError:
        found = None
    if found is not None:
        return _reply_sent(reply, found)
    # sent_at: when the message may have been sent (replies_reconcile_direct looks from there).
    Reply.objects.filter(pk=reply.pk).update(sent_at=started)
    return _reply_failed(reply, error, Reply.Status.UNCONFIRMED)


def replies_reconcile_direct(*, account: ConnectedAccount, adapter: Adapter) -> int:
    """Look for the account's unconfirmed DM replies in their conversations (each collection).

    Found: sent. Provably absent once DIRECT_SETTLE has passed since sending: failed, with a message
    saying so (a person sends it again). Cannot tell: left for the next collection. Returns how
    many were settled."""
    settled = 0
    waiting = Reply.objects.filter(
        status=Reply.Status.UNCONFIRMED,
        in_reply_to__account=account,
        in_reply_to__kind=InboxItem.Kind.DIRECT,
    ).select_related("in_reply_to__account", "conversation")
    for reply in waiting[:20]:
        since = reply.sent_at or reply.created_at
        try:
            found = _find_direct(adapter, reply, since)
        except NetworkError as error:
            logger.info("unconfirmed DM reply %s: cannot tell yet (%s)", reply.pk, error.message)
            continue
        if found is not None:
            _reply_sent(reply, found)
            settled += 1
        elif since <= timezone.now() - DIRECT_SETTLE:
            Reply.objects.filter(pk=reply.pk, status=Reply.Status.UNCONFIRMED).update(
                status=Reply.Status.FAILED,
                error=_("The message did not reach the conversation on the network. Send it again."),
            )
            settled += 1
    return settled


def _ask_for_approval(reply: Reply, membership: Membership) -> None:
    """Tell the people who may approve replies (editors and above who may publish to the account)."""
    from django.urls import reverse

    from collaboration.models import Notification
    from collaboration.services import notification_send

    approvers = [
        member.user
        for member in Membership.objects.filter(workspace_id=membership.workspace_id).select_related(
            "user", "workspace"
        )
        if member.can_publish
        and member.user_id != membership.user_id
        and account_level_for(membership=member, account=reply.in_reply_to.account) >= AccountLevel.PUBLISH
    ]
    values = {"who": membership.user.display_name, "text": reply.text[:120]}
    url = reverse("participation:conversation", args=[membership.workspace.slug, reply.conversation_id])
    transaction.on_commit(
        lambda: notification_send(
            recipients=approvers,
            workspace=membership.workspace,
            kind=Notification.Kind.APPROVAL_REQUESTED,
            message=lambda: _("%(who)s wrote a reply that waits for your approval: %(text)s") % values,
            url=url,
            email="notification",
        )
    )


def reply_review(*, reply: Reply, membership: Membership, approve: bool, comment: str = "") -> Reply:
    """An approver sends (approve) or returns (reject, with a comment) a reply waiting for approval."""
    if reply.status != Reply.Status.IN_REVIEW:
        raise ValidationError(_("This reply is not waiting for approval."))
    item = reply.in_reply_to
    if (
        reply.author_id == membership.user_id
        or not membership.can_publish
        or account_level_for(membership=membership, account=item.account) < AccountLevel.PUBLISH
    ):
        raise PermissionDenied
    if not approve and not comment.strip():
        raise ValidationError(_("Say why you reject it, so the author knows what to change."))
    Reply.objects.filter(pk=reply.pk).update(reviewed_by=membership.user, review_comment=comment.strip())
    if not approve:
        Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.REJECTED)
        reply.refresh_from_db()
        return reply
    return reply_deliver(reply=reply)


def item_react(*, item: InboxItem, membership: Membership, action: str) -> None:
    """Like or boost (repost) an item from the account that received it."""
    if account_level_for(membership=membership, account=item.account) < AccountLevel.PUBLISH:
        raise PermissionDenied
    adapter = adapter_for(item.account)
    try:
        if action == "like":
            adapter.like(item.remote_id)
        elif action == "boost":
            adapter.boost(item.remote_id)
        else:
            raise ValidationError(_("Choose like or boost."))
    except NetworkError as error:
        raise ValidationError(error.message) from error
