"""Inbox rules: on every new item, conditions (words, author, account, network, type, sentiment,
language) → actions (tag, assign, priority, spam, hide, notify, auto-reply once per author per day).
A rule can be tried on recent items before it is switched on."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from participation.models import Conversation, InboxItem, InboxRule, InboxTag, RuleFiring, SavedReply

logger = logging.getLogger(__name__)

CONDITION_KEYS = ("words", "authors", "accounts", "networks", "kinds", "sentiments", "languages")
ACTION_KEYS = ("tag", "assign", "priority", "spam", "hide", "notify", "reply")


@dataclass(frozen=True)
class Match:
    rule: InboxRule
    item: InboxItem


def _word_hit(text: str, words: Sequence[str]) -> bool:
    from collaboration.models import WordRule
    from collaboration.services.rules import find_words

    rules = [WordRule(phrase=word, level=WordRule.Level.WARNED) for word in words if word.strip()]
    return bool(find_words(text, rules))


def matches(rule: InboxRule, item: InboxItem) -> bool:
    """Does every condition the rule sets hold for the item? (A rule without conditions matches all.)"""
    conditions: dict[str, Any] = rule.conditions or {}
    if conditions.get("words") and not _word_hit(item.text, conditions["words"]):
        return False
    authors = [author.casefold().lstrip("@") for author in conditions.get("authors") or []]
    if authors and item.author_handle.casefold().lstrip("@") not in authors:
        return False
    checks = (
        ("accounts", item.account_id),
        ("networks", item.account.network),
        ("kinds", item.kind),
        ("sentiments", item.sentiment),
        ("languages", item.language),
    )
    return all(not conditions.get(key) or value in conditions[key] for key, value in checks)


def rule_validate(*, workspace_id: int, conditions: dict[str, Any], actions: dict[str, Any]) -> None:
    unknown = (set(conditions) - set(CONDITION_KEYS)) | (set(actions) - set(ACTION_KEYS))
    if unknown:
        raise ValidationError(_("Unknown rule fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    if not any(actions.get(key) not in (None, "", [], False) for key in ACTION_KEYS):
        raise ValidationError(_("Choose at least one thing for the rule to do."))
    if actions.get("tag") and not InboxTag.objects.filter(workspace_id=workspace_id, pk=actions["tag"]).exists():
        raise ValidationError(_("Choose a tag of this workspace."))
    if actions.get("reply") and not SavedReply.objects.filter(workspace_id=workspace_id, pk=actions["reply"]).exists():
        raise ValidationError(_("Choose a saved reply of this workspace."))


def rule_try(*, rule: InboxRule, limit: int = 200) -> list[InboxItem]:
    """The recent items (newest first) the rule would have matched; nothing is changed."""
    recent = (
        InboxItem.objects.filter(workspace_id=rule.workspace_id)
        .exclude(kind=InboxItem.Kind.OURS)
        .select_related("account", "conversation")
        .order_by("-created_at")[:limit]
    )
    return [item for item in recent if matches(rule, item)]


def rules_run(*, item_ids: Sequence[int]) -> list[Match]:
    """Run the switched-on rules of the items' workspaces on new items (each rule once per item)."""
    items = list(
        InboxItem.objects.filter(pk__in=list(item_ids))
        .exclude(kind=InboxItem.Kind.OURS)
        .select_related("account", "conversation", "contact")
        .order_by("created_at")
    )
    if not items:
        return []
    rules: dict[int, list[InboxRule]] = {}
    for rule in InboxRule.objects.filter(workspace_id__in={item.workspace_id for item in items}, enabled=True):
        rules.setdefault(rule.workspace_id, []).append(rule)
    fired: list[Match] = []
    for item in items:
        for rule in sorted(rules.get(item.workspace_id, []), key=lambda r: (r.position, r.pk)):
            if not matches(rule, item):
                continue
            try:
                with transaction.atomic():
                    firing = RuleFiring.objects.create(rule=rule, item=item, contact=item.contact)
                    _apply(rule, item, firing)
            except IntegrityError:
                continue  # this rule already fired for this item
            fired.append(Match(rule, item))
    return fired


def _apply(rule: InboxRule, item: InboxItem, firing: RuleFiring) -> None:
    actions: dict[str, Any] = rule.actions or {}
    conversation = item.conversation
    updates: dict[str, Any] = {}
    if actions.get("tag"):
        tag = InboxTag.objects.filter(workspace_id=rule.workspace_id, pk=actions["tag"]).first()
        if tag is not None:
            conversation.tags.add(tag)
    if actions.get("assign") and conversation.assignee_id is None:
        from smm.accounts.models import Membership

        if Membership.objects.filter(workspace_id=rule.workspace_id, user_id=actions["assign"]).exists():
            updates["assignee_id"] = actions["assign"]
            if conversation.status == Conversation.Status.NEW:
                updates["status"] = Conversation.Status.OPEN
    if actions.get("priority") is not None and str(actions["priority"]).isdigit():
        updates["priority"] = min(2, int(actions["priority"]))
    if actions.get("spam"):
        updates["spam"] = True
    if updates:
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
    if actions.get("notify"):
        _notify(rule, item, actions["notify"])
    if actions.get("hide"):
        transaction.on_commit(lambda: _hide_later(item.pk, rule.created_by_id))
    if actions.get("reply") and item.contact_id:
        since = timezone.now() - timedelta(days=1)
        already = RuleFiring.objects.filter(
            rule=rule, contact_id=item.contact_id, auto_replied=True, created_at__gte=since
        ).exists()
        if not already:
            RuleFiring.objects.filter(pk=firing.pk).update(auto_replied=True)
            saved_reply_id = int(actions["reply"])
            transaction.on_commit(lambda: _auto_reply(item.pk, saved_reply_id, rule.created_by_id))


def _notify(rule: InboxRule, item: InboxItem, user_ids: Sequence[int]) -> None:
    from collaboration.models import Notification
    from collaboration.services import notification_send
    from smm.accounts.models import User

    values = {"rule": rule.name, "text": item.text[:120]}
    url = reverse("participation:conversation", args=[item.conversation.workspace.slug, item.conversation_id])
    transaction.on_commit(
        lambda: notification_send(
            recipients=User.objects.filter(pk__in=list(user_ids)),
            workspace=item.conversation.workspace,
            kind=Notification.Kind.LISTENING_ALERT,
            message=lambda: _("Inbox rule “%(rule)s”: %(text)s") % values,
            url=url,
            email="notification",
        )
    )


def _hide_later(item_id: int, actor_id: int | None) -> None:
    from participation.services.moderation import moderation_apply

    item = InboxItem.objects.select_related("account", "conversation").filter(pk=item_id).first()
    if item is None:
        return
    try:
        moderation_apply(item=item, action="hide", actor=None, actor_id=actor_id, automatic=True)
    except ValidationError as error:
        logger.info("rule could not hide item %s: %s", item_id, error)


def _auto_reply(item_id: int, saved_reply_id: int, actor_id: int | None) -> None:
    from participation.services.replies import reply_send_automatic

    item = InboxItem.objects.select_related("account", "conversation").filter(pk=item_id).first()
    saved = SavedReply.objects.filter(pk=saved_reply_id).first()
    if item is None or saved is None:
        return
    try:
        reply_send_automatic(item=item, saved_reply=saved, actor_id=actor_id)
    except ValidationError as error:
        logger.info("rule could not reply to item %s: %s", item_id, error)
