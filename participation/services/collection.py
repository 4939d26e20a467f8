"""Collecting an account's notifications and messages into the inbox: incremental, deduplicated,
grouped into conversations, with every author a contact. Network I/O happens outside transactions;
each item is stored in its own short transaction, so an error mid-run loses nothing collected so far.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from participation.models import CollectionState, Conversation, InboxItem, Sentiment
from participation.services.contacts import identity_upsert
from participation.services.rewards import item_awards
from smm.networks.base import (
    Adapter,
    Capability,
    CapabilityUnavailableError,
    NetworkError,
    Notification,
    RemotePost,
)
from smm.networks.models import ConnectedAccount
from smm.networks.registry import adapter_for

logger = logging.getLogger(__name__)

# At most this many pages of notifications per run (a first run, or an account that was busy):
# the rest waits for the next minute rather than holding a worker for long.
MAX_PAGES = 10
PAGE_SIZE = 40
MAX_TEXT = 20_000  # characters kept of one item (a huge message is cut, not refused)

# Notification kinds → inbox item kinds (likes and follows are metrics, not conversations).
KINDS = {
    "mention": InboxItem.Kind.MENTION,
    "reply": InboxItem.Kind.REPLY,
    "direct": InboxItem.Kind.DIRECT,
    "quote": InboxItem.Kind.QUOTE,
    "repost": InboxItem.Kind.REPOST,
}


@dataclass
class CollectionResult:
    new_items: list[int] = field(default_factory=list)
    pages: int = 0
    error: str = ""


def inbox_collect(*, account: ConnectedAccount, adapter: Adapter | None = None) -> CollectionResult:
    """Collect what is new for one account since the last run, and run the inbox rules on it."""
    from participation.services.rules import rules_run

    result = CollectionResult()
    state, _created = CollectionState.objects.get_or_create(
        account=account, stream=CollectionState.Stream.NOTIFICATIONS
    )
    now = timezone.now()
    CollectionState.objects.filter(pk=state.pk).update(last_run_at=now)
    if adapter is None:
        try:
            adapter = adapter_for(account)
        except NetworkError as error:  # e.g. an account whose stored settings are incomplete
            from smm.networks.services import account_record_failure

            result.error = error.message
            account_record_failure(account=account, error=error)
            CollectionState.objects.filter(pk=state.pk).update(last_error=result.error)
            return result
    if not adapter.supports(Capability.READ_INBOX):
        return result
    newest_seen = state.newest_remote_id
    first_of_run: Notification | None = None
    roots: dict[str, tuple[str, str, str]] = {}  # a run's cache: remote id -> (root id, url, author)
    cursor: str | None = None
    try:
        for _page in range(MAX_PAGES):
            page = adapter.notifications(limit=PAGE_SIZE, cursor=cursor, since_id=newest_seen or None)
            result.pages += 1
            reached_known = False
            for notification in page.items:
                if newest_seen and notification.remote_id == newest_seen:
                    reached_known = True
                    break
                if first_of_run is None:
                    first_of_run = notification
                item_id = _store(account, adapter, notification, roots)
                if item_id is not None:
                    result.new_items.append(item_id)
            if reached_known or page.cursor is None:
                break
            cursor = page.cursor
    except NetworkError as error:
        # Whatever was stored stays; the cursor only moves when the run reached what it knew.
        result.error = error.message
        logger.info("inbox collection for account %s stopped: %s", account.pk, error.message)
        from smm.networks.services import account_record_failure

        account_record_failure(account=account, error=error)
    updates: dict[str, Any] = {
        "last_error": result.error,
        "items_collected": F("items_collected") + len(result.new_items),
    }
    if not result.error:
        updates["last_success_at"] = timezone.now()
        if first_of_run is not None:
            updates["newest_remote_id"] = first_of_run.remote_id
            updates["newest_at"] = first_of_run.created_at
    CollectionState.objects.filter(pk=state.pk).update(**updates)
    _collect_direct(account, adapter, result)  # Bluesky chat: a stream of its own
    if result.new_items:
        from participation.services.community import scores_for_items

        rules_run(item_ids=result.new_items)
        scores_for_items(result.new_items)
    return result


def store_notification(
    account: ConnectedAccount, notification: Notification, adapter: Adapter | None = None
) -> int | None:
    """Store one notification as collection does (the demo workspace's examples); returns the new item's id."""
    return _store(account, adapter, notification, {})  # type: ignore[arg-type]  # no adapter: no thread lookups


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """Text as PostgreSQL can store it: NUL characters (which it refuses) removed, length capped."""
    return text.replace("\x00", "")[:limit]


def _analyse(text: str) -> tuple[str, str, float | None]:
    """(language, sentiment, score) of an item's text; empty when there is nothing to analyse."""
    if not text.strip():
        return "", "", None
    from django.conf import settings

    from smm.lib.textanalysis import analyse, detect_language

    language = detect_language(text)
    verdict = analyse(text, language, backend=settings.SENTIMENT_BACKEND)
    return language, verdict.label, verdict.score


def _root(adapter: Adapter, post: RemotePost, roots: dict[str, tuple[str, str, str]]) -> tuple[str, str, str]:
    """The remote id, URL and author id (when known) of the thread a post belongs to (itself when it starts one)."""
    if post.visibility == "direct" and post.thread_root:
        return post.thread_root, post.url, ""  # a chat message names its conversation (Bluesky)
    if not post.reply_to:
        return post.remote_id, post.url, post.author_id
    root_id = post.thread_root
    if root_id:
        return root_id, "", ""
    if post.remote_id in roots:
        return roots[post.remote_id]
    known = InboxItem.objects.filter(remote_id=post.reply_to).select_related("conversation").first()
    if known is not None:
        roots[post.remote_id] = (known.conversation.root_remote_id, known.conversation.root_url, "")
        return roots[post.remote_id]
    try:
        thread = adapter.thread(post.remote_id)
        root = (thread.root.remote_id, thread.root.url, thread.root.author_id)
    except (NetworkError, AttributeError):
        root = (post.reply_to, "", "")  # the parent, at least: its thread could not be read
    roots[post.remote_id] = root
    return root


def _store(
    account: ConnectedAccount, adapter: Adapter, notification: Notification, roots: dict[str, tuple[str, str, str]]
) -> int | None:
    """Store one notification as an inbox item (once); returns the new item's id, None if known or skipped."""
    kind = KINDS.get(notification.kind)
    post = notification.post
    if kind is None or post is None:
        return None
    remote_id = post.remote_id if kind not in (InboxItem.Kind.REPOST,) else notification.remote_id
    if InboxItem.objects.filter(account=account, kind=kind, remote_id=remote_id).exists():
        return None
    own_id = str(account.remote_id or account.config.get("account_id") or "")
    if kind == InboxItem.Kind.REPOST:
        # Someone reposted our post: the conversation is about our post.
        root_id, root_url = post.remote_id, post.url
        conversation_kind = Conversation.Kind.SHARE
        text = ""
    elif kind == InboxItem.Kind.QUOTE:
        root_id, root_url = post.remote_id, post.url
        conversation_kind = Conversation.Kind.SHARE
        text = post.text
    else:
        root_id, root_url, root_author = _root(adapter, post, roots)
        text = post.text
        if kind == InboxItem.Kind.DIRECT or post.visibility == "direct":
            kind, conversation_kind = InboxItem.Kind.DIRECT, Conversation.Kind.DIRECT
        elif post.reply_to:
            root_is_ours = bool(own_id) and root_author == own_id
            root_is_ours = (
                root_is_ours
                or InboxItem.objects.filter(account=account, remote_id=root_id, kind=InboxItem.Kind.OURS).exists()
            )
            root_is_ours = root_is_ours or _is_ours(account, root_id, own_id)
            root_is_ours = (
                root_is_ours
                or Conversation.objects.filter(
                    account=account, kind=Conversation.Kind.THREAD, root_remote_id=root_id[:300]
                ).exists()
            )
            conversation_kind = Conversation.Kind.THREAD if root_is_ours else Conversation.Kind.MENTION
            if root_is_ours:
                kind = InboxItem.Kind.COMMENT if post.reply_to == root_id else InboxItem.Kind.REPLY
        else:
            conversation_kind = Conversation.Kind.MENTION
    created_at = notification.created_at or post.created_at or timezone.now()
    identity = identity_upsert(
        workspace_id=account.workspace_id,
        network=account.network,
        remote_id=notification.author_id or post.author_id or notification.author_handle,
        handle=notification.author_handle,
        display_name=notification.author_display_name,
        avatar_url=notification.author_avatar_url or "",
        profile_url=notification.author_url or "",
        seen_at=created_at,
    )
    text = clean_text(text)
    language, sentiment, score = _analyse(text)
    lower = kind in InboxItem.LOWER_PRIORITY
    with transaction.atomic():
        conversation, created = Conversation.objects.select_for_update().get_or_create(
            account=account,
            kind=conversation_kind,
            root_remote_id=root_id[:300],
            defaults={
                "workspace_id": account.workspace_id,
                "root_url": root_url[:1000],
                "subject": clean_text(text or post.text or _("(no text)"))[:300],
                "contact": identity.contact,
                "last_activity_at": created_at,
                "lower_priority": lower,
                "first_item_at": None if lower else created_at,
                "waiting_since": None if lower else created_at,
            },
        )
        try:
            with transaction.atomic():
                item = InboxItem.objects.create(
                    workspace_id=account.workspace_id,
                    account=account,
                    conversation=conversation,
                    kind=kind,
                    remote_id=remote_id[:300],
                    parent_remote_id=(post.reply_to or "")[:300],
                    url=post.url[:1000],
                    identity=identity,
                    contact=identity.contact,
                    author_handle=clean_text(notification.author_handle)[:300],
                    author_name=clean_text(notification.author_display_name)[:200],
                    text=text,
                    html=clean_text(post.raw_html or "", MAX_TEXT * 2),
                    language=language,
                    sentiment=sentiment,
                    sentiment_score=score,
                    created_at=created_at,
                )
        except IntegrityError:
            return None  # collected meanwhile by another run
        _after_new_item(conversation, item, created)
        item_awards(item=item)  # reward programmes: a positive mention, an answer to another customer
    return item.pk


def _is_ours(account: ConnectedAccount, remote_id: str, own_id: str) -> bool:
    """Is the post `remote_id` one of this account's own (published from smm, or its id says so)?"""
    from publishing.models import Target

    if Target.objects.filter(account=account, remote_id=remote_id).exists():
        return True
    # Bluesky ids name their author: at://<did>/app.bsky.feed.post/<rkey>.
    return bool(own_id) and remote_id.startswith(f"at://{own_id}/")


def _after_new_item(conversation: Conversation, item: InboxItem, created: bool) -> None:
    """Keep the conversation's counters, status, sentiment and timers up to date."""
    updates: dict[str, Any] = {"item_count": F("item_count") + 1}
    if item.created_at >= conversation.last_activity_at:
        updates["last_activity_at"] = item.created_at
    if item.kind not in InboxItem.LOWER_PRIORITY:
        updates["lower_priority"] = False
        if conversation.first_item_at is None or created:
            updates["first_item_at"] = min(conversation.first_item_at or item.created_at, item.created_at)
        if conversation.waiting_since is None:
            updates["waiting_since"] = item.created_at
        if conversation.status in (Conversation.Status.CLOSED, Conversation.Status.WAITING):
            # They wrote again: back on the team's desk.
            updates["status"] = Conversation.Status.OPEN
            updates["resolved_at"] = None
    if item.sentiment == Sentiment.NEGATIVE or (item.sentiment and not conversation.sentiment):
        updates["sentiment"] = item.sentiment
    Conversation.objects.filter(pk=conversation.pk).update(**updates)


# Direct messages in a chat of their own (Bluesky) ------------------------------------------------
# How long an account whose access lacks direct messages is left alone before it is asked again
# (reconnecting it with another app password clears the mark at once).
DIRECT_RECHECK = timedelta(days=1)


def _collect_direct(account: ConnectedAccount, adapter: Adapter, result: CollectionResult) -> None:
    """The account's DMs where they are not notifications (Adapter.chat): the DIRECT stream.

    Its position (newest_remote_id) is the adapter's, stored after each batch's items are, so an
    error mid-run re-reads at most one batch (stored items are skipped). An account without DM
    access is marked on the account (the account page says what to do) instead of failing every
    minute, and everything else keeps being collected."""
    if not adapter.chat or not adapter.supports(Capability.DIRECT_MESSAGES) or account.needs_reconnect:
        return
    marked = (account.config.get(Adapter.UNAVAILABLE_KEY) or {}).get(Capability.DIRECT_MESSAGES.value)
    checked = parse_datetime(marked) if isinstance(marked, str) else None
    if marked and checked is not None and checked > timezone.now() - DIRECT_RECHECK:
        return
    state, _created = CollectionState.objects.get_or_create(account=account, stream=CollectionState.Stream.DIRECT)
    CollectionState.objects.filter(pk=state.pk).update(last_run_at=timezone.now())
    position = state.newest_remote_id or None
    new_items: list[int] = []
    error_message = ""
    try:
        for _round in range(MAX_PAGES):
            batch = adapter.direct_messages(since=position)
            result.pages += 1
            for message in batch.items:
                item_id = _store(account, adapter, message, {})
                if item_id is not None:
                    new_items.append(item_id)
            if batch.position and batch.position != position:
                position = batch.position
                moved: dict[str, Any] = {"newest_remote_id": position[:300]}
                newest = max((message.created_at for message in batch.items if message.created_at), default=None)
                if newest is not None:
                    moved["newest_at"] = newest
                CollectionState.objects.filter(pk=state.pk).update(**moved)
            if batch.complete:
                break
        _capability_record(account, Capability.DIRECT_MESSAGES, available=True)
        from participation.services.replies import replies_reconcile_direct

        replies_reconcile_direct(account=account, adapter=adapter)
    except CapabilityUnavailableError as error:
        logger.info("account %s has no access to direct messages: %s", account.pk, error.detail)
        _capability_record(account, error.capability, available=False)
    except NetworkError as error:
        error_message = error.message
        logger.info("direct-message collection for account %s stopped: %s", account.pk, error.message)
        from smm.networks.services import account_record_failure

        account_record_failure(account=account, error=error)
    updates: dict[str, Any] = {"last_error": error_message, "items_collected": F("items_collected") + len(new_items)}
    if not error_message:
        updates["last_success_at"] = timezone.now()
    CollectionState.objects.filter(pk=state.pk).update(**updates)
    result.new_items += new_items
    result.error = result.error or error_message


def _capability_record(account: ConnectedAccount, capability: Capability, *, available: bool) -> None:
    """Mark (or unmark) a capability the account's access lacks in its config (Adapter.unavailable_capabilities)."""
    if available and capability.value not in (account.config.get(Adapter.UNAVAILABLE_KEY) or {}):
        return  # nothing marked: no write every minute (a mark is written at most once a day)
    with transaction.atomic():
        locked = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        marks = dict(locked.config.get(Adapter.UNAVAILABLE_KEY) or {})
        if available:
            marks.pop(capability.value, None)
        else:
            marks[capability.value] = timezone.now().isoformat()
        locked.config = {**locked.config, Adapter.UNAVAILABLE_KEY: marks}
        locked.save(update_fields=["config"])
    account.config = locked.config


def accounts_to_collect() -> list[int]:
    """Connected workspace accounts whose network has an inbox (personal sharing accounts are not)."""
    return list(
        ConnectedAccount.objects.connected()
        .filter(personal_owner__isnull=True)
        .exclude(status=ConnectedAccount.Status.RECONNECT)
        .values_list("pk", flat=True)
    )


def collection_summary(account: ConnectedAccount) -> dict[str, datetime | str | None]:
    state = CollectionState.objects.filter(account=account, stream=CollectionState.Stream.NOTIFICATIONS).first()
    if state is None:
        return {"last_run_at": None, "last_success_at": None, "last_error": ""}
    return {"last_run_at": state.last_run_at, "last_success_at": state.last_success_at, "last_error": state.last_error}
