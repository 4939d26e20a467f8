"""Writing, scheduling, rescheduling and cancelling posts (the composer, calendar and batches)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from publishing.models import Campaign, Label, MediaAsset, Post, PostMedia, PublishingSettings, Target
from publishing.services import queues, snapshots, validation
from smm.accounts.models import AccountLevel, Membership
from smm.accounts.services import account_level_for
from smm.lib.tz import utc_to_wall, wall_to_utc
from smm.networks.models import ConnectedAccount

DUPLICATE_SIMILARITY = 0.8
# "Now" is due at once; a time more than this far in the past is refused as a mistake.
PAST_TOLERANCE = timedelta(minutes=1)


class When(enum.StrEnum):
    DRAFT = "draft"
    NOW = "now"
    AT = "at"
    QUEUE = "queue"


@dataclass
class PostInput:
    """Everything the composer (or an import) says about a post."""

    text: str
    accounts: Sequence[ConnectedAccount]
    network_texts: dict[str, str] = field(default_factory=dict)
    media: Sequence[MediaAsset] = ()
    content_warning: str = ""
    language: str = ""
    campaign: Campaign | None = None
    labels: Sequence[Label] = ()


@dataclass(frozen=True)
class Duplicate:
    post: Post
    account: ConnectedAccount
    similarity: float
    at: datetime | None


class NeedsConfirmation(ValidationError):
    """Scheduling would go into a blackout or repeat recent text: the person must confirm."""


def publishing_settings(workspace_id: int) -> PublishingSettings:
    return PublishingSettings.objects.get_or_create(workspace_id=workspace_id)[0]


def check_post(*, workspace_id: int, data: PostInput) -> dict[int, validation.TargetCheck]:
    """The verdict per selected account (see validation.check_target)."""
    policy = publishing_settings(workspace_id)
    return {
        account.pk: validation.check_target(
            account=account,
            text=data.network_texts.get(account.network) or data.text,
            media=data.media,
            content_warning=data.content_warning,
            campaign=data.campaign,
            policy=policy,
        )
        for account in data.accounts
    }


def post_duplicates(
    *, workspace_id: int, data: PostInput, exclude_post_id: int | None = None, now: datetime | None = None
) -> list[Duplicate]:
    """Posts with the same or nearly the same text on the same accounts in the workspace's window."""
    policy = publishing_settings(workspace_id)
    if not policy.duplicate_window_days or not data.text.strip() or not data.accounts:
        return []
    now = now or timezone.now()
    window = timedelta(days=policy.duplicate_window_days)
    targets = (
        Target.objects.filter(
            account__in=data.accounts,
            status__in=(*Target.OPEN, Target.Status.PUBLISHED),
            scheduled_at__gte=now - window,
            scheduled_at__lte=now + window,
        )
        .exclude(post_id=exclude_post_id or 0)
        .annotate(similarity=TrigramSimilarity("post__text", data.text))
        .filter(similarity__gte=DUPLICATE_SIMILARITY)
        .select_related("post", "account")
        .order_by("-similarity")[:10]
    )
    return [Duplicate(t.post, t.account, float(t.similarity), t.scheduled_at) for t in targets]


def _require_level(membership: Membership, accounts: Sequence[ConnectedAccount], level: int) -> None:
    for account in accounts:
        if account.workspace_id != membership.workspace_id:
            raise PermissionDenied
        if account_level_for(membership=membership, account=account) < level:
            if level >= AccountLevel.PUBLISH:
                raise ValidationError(
                    _("You may write drafts for %(account)s but not publish to it. Save a draft instead.")
                    % {"account": account}
                )
            raise ValidationError(_("You may not write posts for %(account)s.") % {"account": account})


def _timing(
    *,
    when: When,
    accounts: Sequence[ConnectedAccount],
    at_local: datetime | None,
    zone: str,
    now: datetime,
) -> dict[int, queues.Slot | None]:
    """The time each account's target gets (None for a draft)."""
    if when == When.DRAFT:
        return {account.pk: None for account in accounts}
    if when == When.NOW:
        return {account.pk: queues.Slot(at=now, local=utc_to_wall(now, zone), zone=zone) for account in accounts}
    if when == When.AT:
        if at_local is None:
            raise ValidationError(_("Choose a date and time."))
        instant = wall_to_utc(at_local, zone)
        if instant < now - PAST_TOLERANCE:
            raise ValidationError(_("That time has already passed. Choose a later time or publish now."))
        return {
            account.pk: queues.Slot(at=instant, local=utc_to_wall(instant, zone), zone=zone) for account in accounts
        }
    slots: dict[int, queues.Slot | None] = {}
    for account in accounts:
        slot = queues.queue_next_slot(account=account, after=now)
        if slot is None:
            raise ValidationError(
                _("%(account)s has no free queue time. Add queue times on its queue page.") % {"account": account}
            )
        slots[account.pk] = slot
    return slots


def _confirmations(
    *, membership: Membership, data: PostInput, times: dict[int, queues.Slot | None], exclude_post_id: int | None
) -> list[str]:
    reasons: list[str] = []
    for account in data.accounts:
        slot = times.get(account.pk)
        if slot is None:
            continue
        blackout = queues.blackout_at(account=account, instant=slot.at)
        if blackout is not None:
            reasons.append(
                _("%(time)s on %(account)s falls in the blackout “%(title)s”.")
                % {"time": slot.local.strftime("%Y-%m-%d %H:%M"), "account": account, "title": blackout.title}
            )
    for duplicate in post_duplicates(workspace_id=membership.workspace_id, data=data, exclude_post_id=exclude_post_id):
        reasons.append(
            _("%(account)s already has a very similar post: “%(post)s”.")
            % {"account": duplicate.account, "post": duplicate.post}
        )
    return reasons


def post_save(
    *,
    membership: Membership,
    data: PostInput,
    when: When,
    post: Post | None = None,
    at_local: datetime | None = None,
    zone: str | None = None,
    confirmed: bool = False,
    source: str = Post.Source.COMPOSER,
    now: datetime | None = None,
) -> Post:
    """Create or change a post and its targets, and schedule them as `when` says.

    Raises ValidationError with every problem (the networks' refusals first, banned words), and
    NeedsConfirmation for a blackout or a near-duplicate unless `confirmed`. A post that needs
    approval (collaboration.services.approvals) goes to review instead of onto the schedule: a
    member who may only draft on an account can still send it for approval.
    """
    from collaboration.services.rules import word_hits

    now = now or timezone.now()
    zone = zone or membership.workspace.timezone
    accounts = list(dict.fromkeys(data.accounts))
    if not accounts:
        raise ValidationError(_("Choose at least one account."))
    data.accounts = accounts
    _require_level(membership, accounts, AccountLevel.DRAFT)
    if any(account.personal_owner_id for account in accounts) and (
        source != Post.Source.SHARE or post is not None or len(accounts) > 1
    ):
        # A member's personal account (employee sharing) takes only that member's new shares, alone.
        raise PermissionDenied
    if when != When.DRAFT:
        problems = [
            f"{check.account}: {issue.message}"
            for check in check_post(workspace_id=membership.workspace_id, data=data).values()
            for issue in check.errors
        ]
        texts = [data.text, *data.network_texts.values(), data.content_warning]
        problems += [hit.message for hit in word_hits(workspace_id=membership.workspace_id, texts=texts) if hit.banned]
        if problems:
            raise ValidationError(problems)
    for asset in data.media:
        if asset.workspace_id != membership.workspace_id or asset.kind == MediaAsset.Kind.SUBTITLE:
            raise ValidationError(_("Choose pictures or videos from this workspace's media library."))
    times = _timing(when=when, accounts=accounts, at_local=at_local, zone=zone, now=now)
    if when != When.DRAFT and not confirmed:
        reasons = _confirmations(
            membership=membership, data=data, times=times, exclude_post_id=post.pk if post else None
        )
        if reasons:
            raise NeedsConfirmation(reasons, code="confirm")

    with transaction.atomic():
        before: dict[str, Any] | None = None
        if post is None:
            post = Post(workspace=membership.workspace, author=membership.user, source=source)
        else:
            post = Post.objects.select_for_update().get(pk=post.pk, workspace=membership.workspace)
            before = snapshots.post_snapshot(post)
        post.text = data.text
        post.network_texts = {network: text for network, text in data.network_texts.items() if text.strip()}
        post.content_warning = data.content_warning
        post.language = data.language
        post.campaign = data.campaign
        post.full_clean()
        post.save()
        post.labels.set(data.labels)
        PostMedia.objects.filter(post=post).delete()
        PostMedia.objects.bulk_create(
            [PostMedia(post=post, asset=asset, position=n) for n, asset in enumerate(data.media)]
        )
        existing = {t.account_id: t for t in Target.objects.select_for_update().filter(post=post)}
        for target in existing.values():
            if not target.is_editable:
                raise ValidationError(
                    _("%(account)s: this post is being published or already went out, so it cannot be changed.")
                    % {"account": target.account}
                )
        chosen = {account.pk for account in accounts}
        Target.objects.filter(post=post).exclude(account_id__in=chosen).delete()
        for account in accounts:
            target = existing.get(account.pk) or Target(post=post, account=account)
            _set_time(target, times[account.pk], from_queue=when == When.QUEUE)
            target.save()
        _after_change(post=post, membership=membership, submit=when != When.DRAFT, now_requested=when == When.NOW)
        _record_edit(post=post, actor=membership.user, before=before)
        post_refresh_status(post=post)
    return post


def _after_change(*, post: Post, membership: Membership, submit: bool, now_requested: bool = False) -> str:
    """Approval bookkeeping after the post or its targets changed: scheduled targets of a post that
    needs (new) approval wait in review. Returns what approvals.approval_sync said."""
    from collaboration.services.approvals import approval_sync

    outcome = approval_sync(post=post, membership=membership, submit=submit, publish_on_approval=now_requested)
    if outcome == "in_review":
        Target.objects.filter(post=post, status=Target.Status.SCHEDULED).update(status=Target.Status.IN_REVIEW)
    elif outcome == "approved":
        Target.objects.filter(post=post, status=Target.Status.IN_REVIEW).update(status=Target.Status.SCHEDULED)
    elif not submit:
        return outcome
    if outcome == "approved" and submit:
        from collaboration.models import PostActivity

        PostActivity.objects.create(post=post, actor=membership.user, kind=PostActivity.Kind.SCHEDULED)
    return outcome


def _record_edit(*, post: Post, actor: Any, before: dict[str, Any] | None) -> None:
    from collaboration.models import PostActivity

    if before is None:
        PostActivity.objects.create(post=post, actor=actor, kind=PostActivity.Kind.CREATED)
        return
    changes = snapshots.snapshot_diff(before, snapshots.post_snapshot(post))
    if changes:
        PostActivity.objects.create(post=post, actor=actor, kind=PostActivity.Kind.EDITED, data={"changes": changes})


def _set_time(target: Target, slot: queues.Slot | None, *, from_queue: bool) -> None:
    target.hold_reason = ""
    target.held_at = None
    target.last_error = ""
    if slot is None:
        target.status = Target.Status.DRAFT
        target.scheduled_at = target.due_at = target.local_date = target.local_time = None
        target.timezone = ""
        target.from_queue = False
        return
    target.status = Target.Status.SCHEDULED
    target.scheduled_at = target.due_at = slot.at
    target.local_date, target.local_time = slot.local.date(), slot.local.time()
    target.timezone = slot.zone
    target.from_queue = from_queue


def post_input_from(post: Post) -> PostInput:
    """The stored post as composer input (for re-validating a rescheduled or resumed post)."""
    return PostInput(
        text=post.text,
        accounts=[target.account for target in post.targets.select_related("account")],
        network_texts=dict(post.network_texts),
        media=[item.asset for item in post.post_media.select_related("asset")],
        content_warning=post.content_warning,
        language=post.language,
        campaign=post.campaign,
        labels=list(post.labels.all()),
    )


def targets_reschedule(
    *,
    membership: Membership,
    targets: Sequence[Target],
    at_local: datetime,
    zone: str,
    confirmed: bool = False,
    now: datetime | None = None,
) -> list[Target]:
    """Move targets (a calendar drag) to a new wall time, checked again like a new schedule."""
    now = now or timezone.now()
    if not targets:
        raise ValidationError(_("Nothing to move."))
    post = targets[0].post
    accounts = [target.account for target in targets]
    _require_level(membership, accounts, AccountLevel.PUBLISH)
    data = post_input_from(post)
    data.accounts = accounts
    problems = [
        f"{check.account}: {issue.message}"
        for check in check_post(workspace_id=membership.workspace_id, data=data).values()
        for issue in check.errors
    ]
    if problems:
        raise ValidationError(problems)
    times = _timing(when=When.AT, accounts=accounts, at_local=at_local, zone=zone, now=now)
    if not confirmed:
        reasons = _confirmations(membership=membership, data=data, times=times, exclude_post_id=post.pk)
        if reasons:
            raise NeedsConfirmation(reasons, code="confirm")
    with transaction.atomic():
        locked = list(Target.objects.select_for_update().filter(pk__in=[t.pk for t in targets]))
        for target in locked:
            if target.status not in (
                Target.Status.SCHEDULED,
                Target.Status.IN_REVIEW,
                Target.Status.HELD,
                Target.Status.DRAFT,
            ):
                raise ValidationError(
                    _("%(account)s: the post is %(status)s and cannot be moved.")
                    % {"account": target.account, "status": target.get_status_display().lower()}
                )
            _set_time(target, times[target.account_id], from_queue=False)
            target.save()
        from collaboration.models import PostActivity

        PostActivity.objects.create(post=post, actor=membership.user, kind=PostActivity.Kind.MOVED)
        _after_change(post=post, membership=membership, submit=True)
        post_refresh_status(post=post)
        for target in locked:
            target.refresh_from_db()
    return locked


def target_resume(*, membership: Membership, target: Target, how: str, now: datetime | None = None) -> Target:
    """A held (or failed) target: publish it now, put it in the next queue slot, or cancel it."""
    now = now or timezone.now()
    _require_level(membership, [target.account], AccountLevel.PUBLISH)
    if how == "cancel":
        return target_cancel(membership=membership, target=target)
    zone = target.timezone or target.account.zone_name
    slot: queues.Slot | None
    if how == "now":
        slot = queues.Slot(at=now, local=utc_to_wall(now, zone), zone=zone)
    elif how == "queue":
        slot = queues.queue_next_slot(account=target.account, after=now)
        if slot is None:
            raise ValidationError(_("%(account)s has no free queue time.") % {"account": target.account})
    else:
        raise ValidationError(_("Choose what to do with the post."))
    data = post_input_from(target.post)
    data.accounts = [target.account]
    checks = check_post(workspace_id=membership.workspace_id, data=data).values()
    problems = [issue.message for check in checks for issue in check.errors]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        target = Target.objects.select_for_update().select_related("account", "post").get(pk=target.pk)
        if slot is None or target.status not in (Target.Status.HELD, Target.Status.FAILED, Target.Status.ATTENTION):
            raise ValidationError(_("The post is no longer held."))
        # The target keeps its idempotency key, so sending it again cannot make a second post where
        # the network honours the key (Bluesky always, Mastodon for an hour).
        _set_time(target, slot, from_queue=how == "queue")
        target.save()
        post_refresh_status(post=target.post)
    return target


def target_cancel(*, membership: Membership, target: Target) -> Target:
    _require_level(membership, [target.account], AccountLevel.DRAFT)
    with transaction.atomic():
        target = Target.objects.select_for_update().select_related("post").get(pk=target.pk)
        if target.status in (Target.Status.PUBLISHING, Target.Status.PUBLISHED, Target.Status.UNCONFIRMED):
            raise ValidationError(_("It is being published or already went out, so it cannot be cancelled."))
        post = target.post
        was_approved = bool(post.approved_hash) and post.approved_hash == snapshots.post_content_hash(post)
        target.status = Target.Status.CANCELLED
        target.due_at = None
        target.save(update_fields=["status", "due_at", "updated_at"])
        if was_approved:
            # Leaving an account out is no new content: the approval still covers the rest.
            Post.objects.filter(pk=post.pk).update(approved_hash=snapshots.post_content_hash(post))
        from collaboration.models import PostActivity

        PostActivity.objects.create(
            post=post, actor=membership.user, kind=PostActivity.Kind.CANCELLED, data={"account": str(target.account)}
        )
        post_refresh_status(post=post)
    return target


def post_delete(*, membership: Membership, post: Post) -> None:
    """Delete a post that never went out (drafts, cancelled, failed before sending)."""
    accounts = [target.account for target in post.targets.select_related("account")]
    _require_level(membership, accounts, AccountLevel.DRAFT)
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if (
            post.targets.filter(attempts__sent_at__isnull=False).exists()
            or post.targets.exclude(
                status__in=(Target.Status.DRAFT, Target.Status.CANCELLED, Target.Status.SCHEDULED, Target.Status.HELD)
            ).exists()
        ):
            raise ValidationError(_("This post has been sent to a network; cancel it instead of deleting it."))
        post.delete()


def post_refresh_status(*, post: Post) -> str:
    """Derive the post's status from its targets' and store it if it changed."""
    statuses = list(Target.objects.filter(post_id=post.pk).values_list("status", flat=True))
    status = derive_status(statuses)
    if post.status != status:
        Post.objects.filter(pk=post.pk).update(status=status)
        post.status = status
    return status


def derive_status(statuses: Sequence[str]) -> str:
    S, P = Target.Status, Post.Status
    live = [status for status in statuses if status != S.CANCELLED]
    if not statuses:
        return P.DRAFT
    if not live:
        return P.CANCELLED
    present = set(live)
    if present & {S.ATTENTION, S.UNCONFIRMED}:
        return P.ATTENTION
    if S.FAILED in present:
        return P.PARTIAL if S.PUBLISHED in present else P.FAILED
    if S.HELD in present:
        return P.HELD
    if present & {S.PUBLISHING, S.RETRYING}:
        return P.PUBLISHING
    if S.IN_REVIEW in present:
        return P.IN_REVIEW
    if S.SCHEDULED in present:
        return P.SCHEDULED
    if present == {S.PUBLISHED}:
        return P.PUBLISHED
    if S.PUBLISHED in present:
        return P.PARTIAL
    return P.DRAFT


def publishing_pause(*, membership: Membership, reason: str = "", request: object = None) -> PublishingSettings:
    """Crisis mode: nothing of this workspace goes out until someone resumes; due posts are held."""
    from smm.accounts.models import AuditEvent
    from smm.accounts.services import audit_record

    with transaction.atomic():
        policy = PublishingSettings.objects.select_for_update().get_or_create(workspace_id=membership.workspace_id)[0]
        if not policy.paused:
            policy.paused, policy.paused_at, policy.paused_by = True, timezone.now(), membership.user
            policy.pause_reason = reason[:300]
            policy.save(update_fields=["paused", "paused_at", "paused_by", "pause_reason"])
            audit_record(
                action=AuditEvent.Action.PUBLISHING_PAUSED,
                actor=membership.user,
                workspace=membership.workspace,
                data={"reason": policy.pause_reason},
                request=request,  # type: ignore[arg-type]
            )
    return policy


def publishing_resume(*, membership: Membership, request: object = None) -> int:
    """Lift the pause; returns how many posts are held and wait for the team's decision."""
    from smm.accounts.models import AuditEvent
    from smm.accounts.services import audit_record

    with transaction.atomic():
        policy = PublishingSettings.objects.select_for_update().get_or_create(workspace_id=membership.workspace_id)[0]
        if policy.paused:
            policy.paused, policy.paused_at, policy.paused_by, policy.pause_reason = False, None, None, ""
            policy.save(update_fields=["paused", "paused_at", "paused_by", "pause_reason"])
            audit_record(
                action=AuditEvent.Action.PUBLISHING_RESUMED,
                actor=membership.user,
                workspace=membership.workspace,
                request=request,  # type: ignore[arg-type]
            )
    return Target.objects.for_workspace(membership.workspace_id).filter(status=Target.Status.HELD).count()


def publishing_settings_update(
    *,
    membership: Membership,
    late_grace_minutes: int,
    require_alt_text: bool,
    duplicate_window_days: int,
    request: object = None,
) -> PublishingSettings:
    from smm.accounts.models import AuditEvent
    from smm.accounts.services import audit_record

    with transaction.atomic():
        policy = PublishingSettings.objects.select_for_update().get_or_create(workspace_id=membership.workspace_id)[0]
        before = {
            "late_grace_minutes": policy.late_grace_minutes,
            "require_alt_text": policy.require_alt_text,
            "duplicate_window_days": policy.duplicate_window_days,
        }
        policy.late_grace_minutes = late_grace_minutes
        policy.require_alt_text = require_alt_text
        policy.duplicate_window_days = duplicate_window_days
        policy.full_clean()
        policy.save()
        after = {
            "late_grace_minutes": late_grace_minutes,
            "require_alt_text": require_alt_text,
            "duplicate_window_days": duplicate_window_days,
        }
        changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if changed:
            audit_record(
                action=AuditEvent.Action.PUBLISHING_SETTINGS_CHANGED,
                actor=membership.user,
                workspace=membership.workspace,
                data=changed,
                request=request,  # type: ignore[arg-type]
            )
    return policy


def targets_recompute_instants() -> int:
    """After a change in time-zone rules (a tzdata update), keep every future post at its wall time.

    A scheduled target stores the wall time and zone it was given; its instant is computed from
    them again, and the rows whose instant changed are updated. Returns how many moved."""
    moved = 0
    now = timezone.now()
    candidates = Target.objects.filter(
        status=Target.Status.SCHEDULED, scheduled_at__gt=now, local_date__isnull=False, local_time__isnull=False
    ).exclude(timezone="")
    for target in candidates.iterator():
        wall = target.local_datetime
        if wall is None:
            continue
        instant = wall_to_utc(wall, target.timezone)
        if instant != target.scheduled_at:
            # Only a target still waiting is moved (the engine may have claimed it meanwhile).
            moved += Target.objects.filter(
                pk=target.pk, status=Target.Status.SCHEDULED, scheduled_at=target.scheduled_at
            ).update(scheduled_at=instant, due_at=instant)
    return moved
