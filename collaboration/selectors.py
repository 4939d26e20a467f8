"""Reads for collaboration pages and the navigation bar."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from collaboration.models import (
    NewsroomDigest,
    Notification,
    NotificationPreference,
    Objective,
    ShareSuggestion,
    Task,
)
from publishing.models import Campaign, Post, Target
from smm.accounts.models import Membership, User, Workspace
from smm.networks.models import ConnectedAccount


def unread_count(user: User, workspace: Workspace | None = None) -> int:
    """How many unread notifications the user has (in one workspace, or in all): one COUNT query."""
    notifications = Notification.objects.unread().filter(recipient=user)
    if workspace is not None:
        notifications = notifications.filter(workspace=workspace)
    return notifications.count()


def notifications_for_member(membership: Membership) -> QuerySet[Notification]:
    """The member's own notifications in the member's workspace: unread first, then newest first."""
    return Notification.objects.filter(recipient_id=membership.user_id, workspace_id=membership.workspace_id).order_by(
        Case(When(read_at__isnull=True, then=Value(0)), default=Value(1)), "-created_at", "-pk"
    )


def notification_email_mode(user: User) -> str:
    """How the user wants notifications e-mailed (NotificationPreference.Email); without a row, right away."""
    mode = NotificationPreference.objects.filter(user=user).values_list("email", flat=True).first()
    return mode or NotificationPreference.Email.IMMEDIATE


@dataclass(frozen=True)
class NavigationCounts:
    unread_notifications: int
    open_tasks: int


def _count(queryset: QuerySet[Any]) -> Coalesce:
    # order_by() drops the model's default ordering, which would otherwise join the GROUP BY.
    rows = queryset.order_by().values("workspace_id").annotate(number=Count("pk")).values("number")[:1]
    return Coalesce(Subquery(rows), 0)


def navigation_counts(user: User, workspace: Workspace) -> NavigationCounts:
    """The navigation bar's numbers on a workspace page in one query: the user's unread notifications
    (the bell) and the open tasks assigned to them (the "Team work" badge)."""
    row = (
        Workspace.objects.filter(pk=workspace.pk)
        .values(
            unread_count=_count(Notification.objects.unread().filter(recipient=user, workspace=OuterRef("pk"))),
            open_task_count=_count(
                Task.objects.filter(assignee=user, status=Task.Status.OPEN, workspace=OuterRef("pk"))
            ),
        )
        .first()
    )
    return NavigationCounts(row["unread_count"], row["open_task_count"]) if row else NavigationCounts(0, 0)


# Tasks -------------------------------------------------------------------------------------------
def tasks_for_member(membership: Membership) -> QuerySet[Task]:
    """The workspace's tasks (every member sees them all), each with `post_visible`: whether the member
    may see its linked post (a post on an account the member cannot view is not shown to them)."""
    from publishing.access import visible_account_ids

    visible_target = Target.objects.filter(post_id=OuterRef("post_id"), account_id__in=visible_account_ids(membership))
    return (
        Task.objects.filter(workspace_id=membership.workspace_id)
        .select_related("assignee", "created_by", "post", "campaign")
        .annotate(post_visible=Exists(visible_target))
    )


def tasks_to_show(membership: Membership, *, mine: bool, done: bool) -> QuerySet[Task]:
    """Open tasks by due date (undated last), or done tasks most recently completed first."""
    tasks = tasks_for_member(membership).filter(status=Task.Status.DONE if done else Task.Status.OPEN)
    if mine:
        tasks = tasks.filter(assignee_id=membership.user_id)
    if done:
        return tasks.order_by(F("completed_at").desc(nulls_last=True), "-pk")
    return tasks.order_by(F("due_on").asc(nulls_last=True), "pk")


def task_post_choices(membership: Membership, *, keep: int | None = None, limit: int = 200) -> QuerySet[Post]:
    """Posts a task may link to: the `limit` most recently changed posts the member can see, plus `keep`
    (the task's current post) if the member can see it. A cap, because a select of every post would not do."""
    from publishing.access import visible_posts

    visible = Post.objects.filter(pk__in=visible_posts(membership).values("pk"))
    recent = visible.exclude(status=Post.Status.CANCELLED).order_by("-updated_at").values("pk")[:limit]
    condition = Q(pk__in=recent)
    if keep is not None:
        condition |= Q(pk=keep, pk__in=visible.values("pk"))
    return Post.objects.filter(condition).order_by("-updated_at")


def task_campaign_choices(workspace_id: int, *, keep: int | None = None) -> QuerySet[Campaign]:
    """The workspace's campaigns that are not archived, plus `keep` (the task's current campaign)."""
    condition = Q(archived=False) if keep is None else Q(archived=False) | Q(pk=keep)
    return Campaign.objects.filter(condition, workspace_id=workspace_id).order_by("name")


# Social newsroom ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewsroomPost:
    """One post with its targets in the newsroom window (a post going to three accounts is one item)."""

    post: Post
    targets: list[Target]


@dataclass(frozen=True)
class Newsroom:
    campaigns: list[Campaign]
    scheduled: list[NewsroomPost]
    published: list[NewsroomPost]
    objectives: list[Objective]
    today: date  # in the workspace's time zone: campaigns from today on are "running or coming"
    # Notable mentions come from listening, which is not built yet: always empty for now, and the
    # page and the e-mail show no section for it until there is something to show.
    mentions: Sequence[Any] = field(default_factory=tuple)
    ahead_days: int = 14
    back_days: int = 14

    @property
    def has_news(self) -> bool:
        """Anything beyond the standing objectives: a weekly e-mail without news is not sent."""
        return bool(self.campaigns or self.scheduled or self.published or self.mentions)


def _by_post(targets: list[Target]) -> list[NewsroomPost]:
    groups: dict[int, list[Target]] = {}
    for target in targets:
        groups.setdefault(target.post_id, []).append(target)
    return [NewsroomPost(post=items[0].post, targets=items) for items in groups.values()]


def newsroom(
    *,
    workspace: Workspace,
    account_ids: Sequence[int],
    now: datetime | None = None,
    ahead_days: int = 14,
    back_days: int = 14,
    limit: int = 100,
) -> Newsroom:
    """What is going on in the workspace's social media, on the accounts `account_ids` only: current and
    coming campaigns, posts scheduled in the next `ahead_days`, posts published in the last `back_days`
    and the strategy's objectives. Campaign dates are compared with today in the workspace's time zone."""
    now = now or timezone.now()
    today = timezone.localdate(now, zoneinfo.ZoneInfo(workspace.timezone))
    campaigns = (
        Campaign.objects.filter(workspace=workspace, archived=False)
        # Running or coming: a campaign without any dates cannot be placed in time, so it is left out.
        .filter(Q(ends_on__gte=today) | Q(ends_on__isnull=True, starts_on__isnull=False))
        .order_by(F("starts_on").asc(nulls_first=True), "name")[:limit]
    )
    targets = Target.objects.filter(post__workspace=workspace, account_id__in=list(account_ids)).select_related(
        "post__campaign", "account"
    )
    scheduled = targets.filter(
        status=Target.Status.SCHEDULED, scheduled_at__gte=now, scheduled_at__lt=now + timedelta(days=ahead_days)
    ).order_by("scheduled_at", "pk")[:limit]
    published = targets.filter(
        status=Target.Status.PUBLISHED, published_at__gte=now - timedelta(days=back_days), published_at__lte=now
    ).order_by("-published_at", "-pk")[:limit]
    return Newsroom(
        campaigns=list(campaigns),
        scheduled=_by_post(list(scheduled)),
        published=_by_post(list(published)),
        objectives=list(Objective.objects.filter(workspace=workspace)),
        today=today,
        ahead_days=ahead_days,
        back_days=back_days,
    )


def newsroom_digest_settings(workspace: Workspace) -> NewsroomDigest:
    """The workspace's digest settings; an unsaved default (off, nobody) until an admin saves them."""
    return NewsroomDigest.objects.filter(workspace=workspace).first() or NewsroomDigest(workspace=workspace)


# Employee sharing --------------------------------------------------------------------------------
def personal_accounts(membership: Membership) -> list[ConnectedAccount]:
    """The member's own accounts for sharing in this workspace (nobody else's, ever)."""
    return list(ConnectedAccount.objects.personal(user_id=membership.user_id, workspace_id=membership.workspace_id))


def share_suggestions(membership: Membership) -> list[ShareSuggestion]:
    """The active share-ready items, newest first, each with its counts (`copies`, `published`, and
    `published_ok`: published shares whose post went out) and `mine`: the member's own published
    shares, with their accounts and the post's targets (for the outcome). A fixed number of queries."""
    from django.db.models import Count, Prefetch

    from collaboration.models import Share

    kinds = Share.Kind
    mine = (
        Share.objects.filter(user_id=membership.user_id, kind=kinds.PUBLISHED)
        .select_related("account")
        .prefetch_related("post__targets")
        .order_by("-created_at", "-pk")
    )
    return list(
        ShareSuggestion.objects.filter(workspace_id=membership.workspace_id, active=True)
        .select_related("created_by", "post")
        .annotate(
            copies=Count("shares", filter=Q(shares__kind=kinds.COPIED), distinct=True),
            published=Count("shares", filter=Q(shares__kind=kinds.PUBLISHED), distinct=True),
            published_ok=Count(
                "shares",
                filter=Q(shares__kind=kinds.PUBLISHED, shares__post__targets__status=Target.Status.PUBLISHED),
                distinct=True,
            ),
        )
        .prefetch_related(Prefetch("shares", queryset=mine, to_attr="mine"))
        .order_by("-created_at", "-pk")
    )
