"""Listening topics: saved with their parsed query (Topic.compiled, so ingest never parses again),
looked up for a member, listed with their recent volume, and tried on mentions already collected.

Who may do what: every member reads topics; members who publish (owners, admins, editors) create,
change and delete them. A topic decides what the team is alerted about, so it is a publishing-level
decision, like the inbox rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from listening import query as q
from listening.models import Mention, Topic
from smm.accounts.models import AuditEvent, Membership, User, Workspace
from smm.accounts.services import audit_record

RECENT_DAYS = 7
TRY_SCAN = 5000
TRY_SHOWN = 20
# The fields a change is audited by (the query's parsed form follows the query).
AUDITED = ("name", "category", "query", "active", "tone_goal_percent")


# Looking up ---------------------------------------------------------------------------------------
def get_topic_for_user(membership: Membership, topic_id: int, *, write: bool = False) -> Topic:
    """A topic of the member's workspace (404 otherwise); 403 for a write by a member who cannot publish."""
    topic = Topic.objects.filter(workspace_id=membership.workspace_id, pk=topic_id).first()
    if topic is None:
        raise Http404
    if write and not membership.can_publish:
        raise PermissionDenied
    return topic


def topics_with_volume(workspace_id: int, *, days: int = RECENT_DAYS) -> QuerySet[Topic]:
    """The workspace's topics, each with `recent_count`: its mentions published in the last `days` days."""
    since = timezone.now() - timedelta(days=days)
    return (
        Topic.objects.filter(workspace_id=workspace_id)
        .annotate(recent_count=Count("mention_links", filter=Q(mention_links__published_at__gte=since)))
        .order_by("category", "name", "pk")
    )


# Checking -----------------------------------------------------------------------------------------
def query_parse(text: str) -> q.Node:
    """The query's tree; ValidationError on the "query" field (with the position) when it cannot be read."""
    try:
        return q.parse(text)
    except q.QueryError as error:
        raise ValidationError({"query": str(error)}, code="query") from error


# Writing ------------------------------------------------------------------------------------------
def _values(topic: Topic) -> dict[str, Any]:
    return {name: getattr(topic, name) for name in AUDITED}


def _save(topic: Topic) -> None:
    topic.name = " ".join(topic.name.split())
    topic.query = topic.query.strip()
    topic.compiled = q.to_json(query_parse(topic.query))
    topic.full_clean(exclude=["created_by", "workspace"])
    try:
        with transaction.atomic():
            topic.save()
    except IntegrityError as error:  # two people saving the same name at once
        raise ValidationError({"name": _("There is already a topic with this name.")}) from error


def _check_name(topic: Topic) -> None:
    taken = Topic.objects.filter(workspace_id=topic.workspace_id, name__iexact=" ".join(topic.name.split()))
    if topic.pk:
        taken = taken.exclude(pk=topic.pk)
    if taken.exists():
        raise ValidationError({"name": _("There is already a topic with this name.")})


def topic_create(
    *,
    workspace: Workspace,
    actor: User,
    name: str,
    query: str,
    category: str = Topic.Category.BRAND,
    active: bool = True,
    tone_goal_percent: int | None = None,
) -> Topic:
    """A new topic with its query parsed and stored; ValidationError for a query that does not parse."""
    topic = Topic(
        workspace=workspace,
        name=name,
        query=query,
        category=category,
        active=active,
        tone_goal_percent=tone_goal_percent,
        created_by=actor,
    )
    _check_name(topic)
    with transaction.atomic():
        _save(topic)
        audit_record(
            action=AuditEvent.Action.TOPIC_CREATED,
            actor=actor,
            workspace=workspace,
            target=topic.name,
            data={"query": topic.query, "category": topic.category},
        )
    return topic


def topic_update(*, topic: Topic, actor: User, **values: Any) -> Topic:
    """Change a topic (any of name, query, category, active, tone_goal_percent); the query is parsed again."""
    unknown = set(values) - set(AUDITED)
    if unknown:
        raise TypeError(f"topic_update: unknown fields {sorted(unknown)}")
    before = _values(topic)
    for name, value in values.items():
        setattr(topic, name, value)
    _check_name(topic)
    with transaction.atomic():
        _save(topic)
        after = _values(topic)
        changes = {key: {"from": before[key], "to": after[key]} for key in AUDITED if before[key] != after[key]}
        if changes:
            audit_record(
                action=AuditEvent.Action.TOPIC_EDITED,
                actor=actor,
                workspace=topic.workspace,
                target=topic.name,
                data={"changes": changes},
            )
    return topic


def topic_delete(*, topic: Topic, actor: User) -> None:
    """Delete a topic and its mention links (the mentions stay: other topics may have them)."""
    with transaction.atomic():
        audit_record(
            action=AuditEvent.Action.TOPIC_DELETED,
            actor=actor,
            workspace=topic.workspace,
            target=topic.name,
            data={"query": topic.query},
        )
        topic.delete()


# Trying -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TriedMention:
    mention: Mention
    title: SafeString  # escaped, with the query's words marked
    text: SafeString


@dataclass(frozen=True)
class TryResult:
    scanned: int  # how many of the latest mentions were looked at
    count: int  # how many of those match
    shown: list[TriedMention]


def topic_try(*, workspace_id: int, node: q.Node, scan: int = TRY_SCAN, shown: int = TRY_SHOWN) -> TryResult:
    """Run the query over the workspace's latest `scan` mentions; changes nothing.

    Reads only the columns matching needs, newest first (the mention_newest index), and loads the
    first `shown` matches whole to show them."""
    matcher = q.compile(node)
    rows = (
        Mention.objects.filter(workspace_id=workspace_id)
        .order_by("-published_at", "-pk")
        .values_list("pk", "title", "text", "author_handle", "language")[:scan]
    )
    scanned = 0
    matched: list[int] = []
    count = 0
    for pk, title, text, author_handle, language in rows.iterator(chunk_size=1000):
        scanned += 1
        doc = q.Doc(f"{title}\n{text}" if title else text, author_handle, language)
        if matcher.matches(doc):
            count += 1
            if len(matched) < shown:
                matched.append(pk)
    terms = q.terms_for_highlight(node)
    mentions = Mention.objects.in_bulk(matched)
    tried = [
        TriedMention(mentions[pk], q.highlight(mentions[pk].title, terms), q.highlight(mentions[pk].text, terms))
        for pk in matched
        if pk in mentions
    ]
    return TryResult(scanned=scanned, count=count, shown=tried)
