"""Approval workflows: who must approve a post, review requests, decisions, external review links,
reminders and expiry. The rules are in docs/collaboration.md."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from collaboration.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStep,
    ApprovalWorkflow,
    Notification,
    PostActivity,
    ReviewLink,
)
from collaboration.services.notifications import notification_send
from publishing.models import Post, PublishingSettings, Target
from publishing.services.snapshots import post_snapshot, snapshot_diff, snapshot_hash
from smm.accounts.models import AccountLevel, AuditEvent, Membership, User, Workspace
from smm.accounts.services import account_level_for, audit_record

ROLE_RANK: dict[str, int] = {
    Membership.Role.VIEWER: 0,
    Membership.Role.CONTRIBUTOR: 1,
    Membership.Role.EDITOR: 2,
    Membership.Role.ADMIN: 3,
    Membership.Role.OWNER: 4,
}
REVIEW_LINK_DAYS = 7
REVIEW_LINK_SALT = "smm.collaboration.review-link"
REMIND_AFTER = timedelta(hours=24)


# Which steps apply ------------------------------------------------------------------------------
def workflows_for(post: Post) -> list[ApprovalWorkflow]:
    """The campaign's workflow, each account's, else the workspace default (in that order)."""
    account_ids = list(post.targets.exclude(status=Target.Status.CANCELLED).values_list("account_id", flat=True))
    found = list(
        ApprovalWorkflow.objects.filter(workspace_id=post.workspace_id)
        .filter(Q(campaign_id=post.campaign_id, campaign__isnull=False) | Q(account_id__in=account_ids))
        .prefetch_related("steps__members")
        .order_by("campaign_id", "account_id")
    )
    if not found:
        default = (
            ApprovalWorkflow.objects.filter(workspace_id=post.workspace_id, account__isnull=True, campaign__isnull=True)
            .prefetch_related("steps__members")
            .first()
        )
        found = [default] if default else []
    return found


def _step_snapshot(step: ApprovalStep) -> dict[str, Any]:
    if step.kind == ApprovalStep.Kind.ROLE:
        label = _("%(role)s or above") % {"role": dict(Membership.Role.choices).get(step.role, step.role)}
    elif step.kind == ApprovalStep.Kind.MEMBERS:
        label = ", ".join(str(member.user.display_name) for member in step.members.all())
    else:
        label = _("External reviewers: %(emails)s") % {"emails": ", ".join(_emails(step.external_emails))}
    return {
        "kind": step.kind,
        "role": step.role,
        "members": [member.user_id for member in step.members.all()],
        "emails": _emails(step.external_emails),
        "rule": step.rule,
        "label": label,
    }


def _emails(text: str) -> list[str]:
    return sorted({line.strip().lower() for line in text.replace(",", "\n").splitlines() if line.strip()})


def _is_personal_share(post: Post, actor: Membership) -> bool:
    """Employee sharing: a share on its author's own personal account is the employee's own speech,
    not the workspace's, so no workflow (not even the contributors' rule) applies to it. Banned
    words still block it: publishing.services.posts.post_save checks them for every post."""
    if post.source != Post.Source.SHARE or post.author_id != actor.user_id:
        return False
    owners = {
        target.account.personal_owner_id
        for target in post.targets.exclude(status=Target.Status.CANCELLED).select_related("account")
    }
    return owners == {actor.user_id}


def steps_for(post: Post, actor: Membership) -> list[dict[str, Any]]:
    """The steps a post must pass. A post whose author or current editor may not publish to all
    its accounts (contributors never may) always needs at least one approver."""
    if _is_personal_share(post, actor):
        return []
    steps: list[dict[str, Any]] = []
    for workflow in workflows_for(post):
        for step in workflow.steps.all():
            snapshot = _step_snapshot(step)
            if snapshot not in steps:
                steps.append(snapshot)
    people = [actor]
    if post.author_id and post.author_id != actor.user_id:
        author = Membership.objects.filter(workspace_id=post.workspace_id, user_id=post.author_id).first()
        if author is not None:
            people.append(author)
    accounts = [
        target.account for target in post.targets.exclude(status=Target.Status.CANCELLED).select_related("account")
    ]
    may_not_publish = any(
        person.role == Membership.Role.CONTRIBUTOR
        or any(account_level_for(membership=person, account=account) < AccountLevel.PUBLISH for account in accounts)
        for person in people
    )
    if not steps and may_not_publish:
        steps.append(
            {
                "kind": ApprovalStep.Kind.ROLE,
                "role": Membership.Role.EDITOR,
                "members": [],
                "emails": [],
                "rule": ApprovalStep.Rule.ANY,
                "label": _("An editor or above (contributors' posts always need approval)"),
            }
        )
    return steps


# Who may decide ----------------------------------------------------------------------------------
def can_decide(membership: Membership, request: ApprovalRequest) -> bool:
    """A member may decide the current step if the step names them (by name or role), they may
    publish to every account of the post, they have not decided this step yet, and it is not
    their own post."""
    step = request.step
    if request.status != ApprovalRequest.Status.PENDING or step is None:
        return False
    if membership.workspace_id != request.workspace_id or step["kind"] == ApprovalStep.Kind.EXTERNAL:
        return False
    post = request.post
    if post.author_id == membership.user_id:
        return False
    if step["kind"] == ApprovalStep.Kind.ROLE:
        if ROLE_RANK.get(membership.role, 0) < ROLE_RANK.get(step["role"], 99):
            return False
    elif membership.user_id not in step["members"]:
        return False
    if request.decisions.filter(step=request.current_step, user_id=membership.user_id).exists():
        return False
    for target in post.targets.exclude(status=Target.Status.CANCELLED).select_related("account"):
        if account_level_for(membership=membership, account=target.account) < AccountLevel.PUBLISH:
            return False
    return True


def approvers_for_step(request: ApprovalRequest) -> list[User]:
    """The members who may decide the current step now (to notify them)."""
    memberships = Membership.objects.filter(workspace_id=request.workspace_id).select_related("user", "workspace")
    return [m.user for m in memberships if m.user.is_active and can_decide(m, request)]


# Submitting --------------------------------------------------------------------------------------
def approval_sync(*, post: Post, membership: Membership, submit: bool, publish_on_approval: bool = False) -> str:
    """After the post or its targets changed: decide whether it needs (new) approval.

    Returns "draft" (not submitted), "approved" (no approval needed, or the approved content is
    unchanged: the targets may be scheduled) or "in_review" (targets wait; a request is pending).
    Precondition: runs inside the caller's transaction, after the targets got their times."""
    steps = steps_for(post, membership)
    required = bool(steps)
    snapshot = post_snapshot(post)
    content_hash = snapshot_hash(snapshot)
    if post.approval_required != required:
        Post.objects.filter(pk=post.pk).update(approval_required=required)
        post.approval_required = required
    if not required:
        return "approved" if submit else "draft"
    if post.approved_hash and post.approved_hash == content_hash:
        return "approved" if submit else "draft"
    pending = ApprovalRequest.objects.select_for_update().filter(post=post, status=ApprovalRequest.Status.PENDING)
    previous = (
        ApprovalRequest.objects.filter(post=post, status=ApprovalRequest.Status.APPROVED)
        .order_by("-decided_at", "-pk")
        .first()
    )
    was_approved = bool(post.approved_hash)
    if was_approved:
        # A change after approval voids it: the post goes back to review with what changed.
        Post.objects.filter(pk=post.pk).update(approved_hash="")
        post.approved_hash = ""
        _activity(post, membership.user, PostActivity.Kind.VOIDED)
        audit_record(
            action=AuditEvent.Action.APPROVAL_VOIDED,
            actor=membership.user,
            workspace=post.workspace,
            target=str(post)[:300],
            data={"post": post.pk},
        )
    for request in pending:
        if request.content_hash == content_hash and request.steps == steps:
            return "in_review" if submit else "draft"
        request.status = ApprovalRequest.Status.VOIDED
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at"])
    if not submit:
        return "draft"
    policy = PublishingSettings.objects.get_or_create(workspace_id=post.workspace_id)[0]
    request = ApprovalRequest.objects.create(
        workspace_id=post.workspace_id,
        post=post,
        requested_by=membership.user,
        steps=steps,
        snapshot=snapshot,
        content_hash=content_hash,
        diff=snapshot_diff(previous.snapshot, snapshot) if previous else [],
        publish_on_approval=publish_on_approval,
        expires_at=timezone.now() + timedelta(days=policy.approval_expiry_days),
    )
    _activity(post, membership.user, PostActivity.Kind.SUBMITTED)
    transaction.on_commit(lambda: _announce_step(request.pk))
    return "in_review"


def _activity(
    post: Post, actor: User | None, kind: str, *, label: str = "", data: dict[str, Any] | None = None
) -> None:
    PostActivity.objects.create(post=post, actor=actor, actor_label=label, kind=kind, data=data or {})


def _post_url(request: ApprovalRequest) -> str:
    return reverse("publishing:post-detail", args=[request.post.workspace.slug, request.post_id])


def _announce_step(request_id: int) -> None:
    """Tell the current step's approvers (members in the app and by e-mail; external reviewers by link)."""
    request = ApprovalRequest.objects.select_related("post__workspace", "requested_by").filter(pk=request_id).first()
    if request is None or request.status != ApprovalRequest.Status.PENDING or request.step is None:
        return
    step = request.step
    workspace = request.post.workspace
    if step["kind"] == ApprovalStep.Kind.EXTERNAL:
        for email in step["emails"]:
            review_link_create(workspace=workspace, email=email, requests=[request], created_by=request.requested_by)
        return
    values = {"post": str(request.post), "author": request.requested_by.display_name if request.requested_by else "–"}
    notification_send(
        recipients=approvers_for_step(request),
        workspace=workspace,
        kind=Notification.Kind.APPROVAL_REQUESTED,
        message=lambda: _("%(author)s asks you to approve “%(post)s”.") % values,
        url=_post_url(request),
        email="notification",
    )


# Deciding ----------------------------------------------------------------------------------------
def approval_decide(
    *,
    request: ApprovalRequest,
    decision: str,
    comment: str = "",
    membership: Membership | None = None,
    reviewer: tuple[str, str] | None = None,
    http_request: HttpRequest | None = None,
) -> ApprovalRequest:
    """Approve or reject the current step, as a member or as an external reviewer (email, name)."""
    comment = comment.strip()
    if decision not in ApprovalDecision.Decision.values:
        raise ValidationError(_("Choose approve or reject."))
    if decision == ApprovalDecision.Decision.REJECT and not comment:
        raise ValidationError(_("Say why you reject it, so the author knows what to change."))
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().select_related("post__workspace").get(pk=request.pk)
        post = request.post
        if request.status != ApprovalRequest.Status.PENDING:
            raise ValidationError(
                _("This approval request is no longer open (%(status)s).")
                % {"status": request.get_status_display().lower()}
            )
        if snapshot_hash(post_snapshot(post)) != request.content_hash:
            raise ValidationError(_("The post changed after it was sent for approval. Reload to see the new version."))
        step = request.step
        if step is None:
            raise ValidationError(_("This approval request has no open step."))
        actor: User | None = None
        email, name = "", ""
        if membership is not None:
            if not can_decide(membership, request):
                raise PermissionDenied
            actor = membership.user
        elif reviewer is not None:
            email, name = reviewer[0].lower(), reviewer[1]
            if step["kind"] != ApprovalStep.Kind.EXTERNAL or email not in step["emails"]:
                raise PermissionDenied
            if request.decisions.filter(step=request.current_step, reviewer_email=email).exists():
                raise ValidationError(_("You have already decided this one."))
        else:
            raise PermissionDenied
        ApprovalDecision.objects.create(
            request=request,
            step=request.current_step,
            user=actor,
            reviewer_email=email,
            reviewer_name=name,
            decision=decision,
            comment=comment,
        )
        label = "" if actor else (f"{name} <{email}>" if name else email)
        audit_record(
            action=AuditEvent.Action.APPROVAL_APPROVED
            if decision == "approve"
            else AuditEvent.Action.APPROVAL_REJECTED,
            actor=actor,
            actor_email=email,
            workspace=post.workspace,
            target=str(post)[:300],
            data={"post": post.pk, "request": request.pk, "step": request.current_step, "comment": comment[:500]},
            request=http_request,
        )
        if decision == ApprovalDecision.Decision.REJECT:
            _activity(post, actor, PostActivity.Kind.REJECTED, label=label, data={"comment": comment})
            _finish(request, ApprovalRequest.Status.REJECTED)
            Target.objects.filter(post=post, status=Target.Status.IN_REVIEW).update(
                status=Target.Status.DRAFT, scheduled_at=None, due_at=None, local_date=None, local_time=None
            )
            _refresh(post)
            transaction.on_commit(lambda: _tell_author(request.pk, comment))
            return request
        _activity(post, actor, PostActivity.Kind.APPROVED, label=label)
        if not _step_done(request, step):
            return request
        request.current_step += 1
        request.save(update_fields=["current_step"])
        if request.step is not None:
            transaction.on_commit(lambda: _announce_step(request.pk))
            return request
        _finish(request, ApprovalRequest.Status.APPROVED)
        _release(request)
        transaction.on_commit(lambda: _tell_author(request.pk, ""))
    return request


def _step_done(request: ApprovalRequest, step: dict[str, Any]) -> bool:
    decided = request.decisions.filter(step=request.current_step, decision=ApprovalDecision.Decision.APPROVE)
    if step["rule"] == ApprovalStep.Rule.ANY:
        return decided.exists()
    if step["kind"] == ApprovalStep.Kind.EXTERNAL:
        return set(step["emails"]) <= set(decided.values_list("reviewer_email", flat=True))
    if step["kind"] == ApprovalStep.Kind.MEMBERS:
        return set(step["members"]) <= set(decided.values_list("user_id", flat=True))
    # "All" of a role: every member who could decide it when it opened, and at least one.
    remaining = [user for user in approvers_for_step(request)]
    return decided.exists() and not remaining


def _finish(request: ApprovalRequest, status: str) -> None:
    request.status = status
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])


def _release(request: ApprovalRequest) -> None:
    """The post is approved: its targets go on the schedule (now, if that was asked for)."""
    post = request.post
    now = timezone.now()
    targets = Target.objects.select_for_update().filter(post=post, status=Target.Status.IN_REVIEW)
    for target in targets:
        if request.publish_on_approval or (target.scheduled_at and target.scheduled_at < now):
            # Asked to go out at once, or its time passed during review: it goes now.
            from smm.lib.tz import utc_to_wall

            zone = target.timezone or target.account.zone_name
            wall = utc_to_wall(now, zone)
            target.scheduled_at = target.due_at = now
            target.local_date, target.local_time, target.timezone = wall.date(), wall.time(), zone
        target.status = Target.Status.SCHEDULED
        target.due_at = target.scheduled_at
        target.save(
            update_fields=["status", "scheduled_at", "due_at", "local_date", "local_time", "timezone", "updated_at"]
        )
    approved = snapshot_hash(post_snapshot(post))
    Post.objects.filter(pk=post.pk).update(approved_hash=approved)
    post.approved_hash = approved
    _activity(post, None, PostActivity.Kind.SCHEDULED, label="smm")
    _refresh(post)


def _refresh(post: Post) -> None:
    from publishing.services.posts import post_refresh_status

    post_refresh_status(post=post)


def _tell_author(request_id: int, comment: str) -> None:
    request = ApprovalRequest.objects.select_related("post__workspace", "post__author").filter(pk=request_id).first()
    if request is None or request.post.author is None:
        return
    values = {"post": str(request.post), "comment": comment}
    if request.status == ApprovalRequest.Status.APPROVED:

        def message() -> str:
            return _("“%(post)s” was approved and is scheduled.") % values
    elif request.status == ApprovalRequest.Status.REJECTED:

        def message() -> str:
            return _("“%(post)s” was rejected: %(comment)s") % values
    else:

        def message() -> str:
            return _("Nobody approved “%(post)s” in time; it is a draft again.") % values

    notification_send(
        recipients=[request.post.author],
        workspace=request.post.workspace,
        kind=Notification.Kind.APPROVAL_DECIDED,
        message=message,
        url=_post_url(request),
        email="notification",
    )


# External review links ---------------------------------------------------------------------------
def review_link_create(
    *, workspace: Workspace, email: str, requests: Sequence[ApprovalRequest], created_by: User | None, name: str = ""
) -> tuple[ReviewLink, str]:
    """An expiring signed link for one reviewer covering one or more pending requests; e-mailed to them."""
    if not requests:
        raise ValidationError(_("Choose at least one post to review."))
    if any(request.workspace_id != workspace.pk for request in requests):
        raise PermissionDenied
    email = email.strip().lower()
    for request in requests:
        step = request.step
        if not step or step["kind"] != ApprovalStep.Kind.EXTERNAL or email not in step["emails"]:
            raise ValidationError(
                _("%(email)s is not a reviewer of “%(post)s” at this step.") % {"email": email, "post": request.post}
            )
    link = ReviewLink.objects.create(
        workspace=workspace,
        email=email.strip().lower(),
        name=name,
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=REVIEW_LINK_DAYS),
    )
    link.requests.set(requests)
    token = signing.dumps({"link": link.pk}, salt=REVIEW_LINK_SALT)
    url = settings.SITE_URL + reverse("review", args=[token])
    audit_record(
        action=AuditEvent.Action.REVIEW_LINK_SENT,
        actor=created_by,
        workspace=workspace,
        target=link.email,
        data={"link": link.pk, "requests": [request.pk for request in requests]},
    )
    transaction.on_commit(lambda: _send_review_link(link.pk, url))
    return link, url


def _send_review_link(link_id: int, url: str) -> None:
    from smm.lib.emails import send_templated

    link = ReviewLink.objects.select_related("workspace", "created_by").filter(pk=link_id).first()
    if link is None:
        return
    send_templated(
        "review_link",
        to=link.email,
        language=link.workspace.language,
        context={"link": link, "url": url, "count": link.requests.count(), "workspace": link.workspace},
    )


def review_link_open(*, token: str, http_request: HttpRequest | None = None, count_use: bool = True) -> ReviewLink:
    """The link a token names, if it is genuine, unexpired and not revoked; every use is audited
    (`count_use` False only for the pictures a page shows, not a use of its own)."""
    try:
        data = signing.loads(token, salt=REVIEW_LINK_SALT, max_age=timedelta(days=REVIEW_LINK_DAYS))
    except signing.BadSignature as error:
        raise PermissionDenied from error
    link = ReviewLink.objects.select_related("workspace").filter(pk=data.get("link")).first()
    if link is None or link.revoked or link.expires_at < timezone.now():
        raise PermissionDenied
    if not count_use:
        return link
    ReviewLink.objects.filter(pk=link.pk).update(uses=link.uses + 1, last_used_at=timezone.now())
    audit_record(
        action=AuditEvent.Action.REVIEW_LINK_USED,
        actor_email=link.email,
        workspace=link.workspace,
        target=link.email,
        data={"link": link.pk},
        request=http_request,
    )
    return link


# Reminders and expiry ----------------------------------------------------------------------------
def approvals_remind_and_expire(*, now: datetime | None = None) -> tuple[int, int]:
    """Remind approvers of requests waiting over a day (once a day); expire the old ones."""
    now = now or timezone.now()
    expired = 0
    for request in ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING, expires_at__lt=now):
        with transaction.atomic():
            locked = ApprovalRequest.objects.select_for_update().filter(pk=request.pk, status="pending").first()
            if locked is None:
                continue
            _finish(locked, ApprovalRequest.Status.EXPIRED)
            Target.objects.filter(post_id=locked.post_id, status=Target.Status.IN_REVIEW).update(
                status=Target.Status.DRAFT, scheduled_at=None, due_at=None, local_date=None, local_time=None
            )
            _refresh(locked.post)
            transaction.on_commit(partial(_tell_author, locked.pk, ""))
            expired += 1
    reminded = 0
    waiting = ApprovalRequest.objects.filter(
        status=ApprovalRequest.Status.PENDING, created_at__lt=now - REMIND_AFTER
    ).filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=now - REMIND_AFTER))
    for request in waiting:
        ApprovalRequest.objects.filter(pk=request.pk).update(last_reminded_at=now)
        _announce_step(request.pk)
        reminded += 1
    return reminded, expired


def pending_for(membership: Membership) -> list[ApprovalRequest]:
    """Requests whose current step this member may decide."""
    requests = (
        ApprovalRequest.objects.filter(workspace_id=membership.workspace_id, status=ApprovalRequest.Status.PENDING)
        .select_related("post__author", "post__workspace", "requested_by")
        .order_by("created_at")
    )
    return [request for request in requests if can_decide(membership, request)]
