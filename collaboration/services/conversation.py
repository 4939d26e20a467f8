"""The conversation around work: comments with @mentions, the post's timeline, and tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import regex
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from collaboration.models import Comment, Notification, PostActivity, Task
from collaboration.services.notifications import notification_send
from publishing.models import Campaign, Post
from smm.accounts.models import Membership, User

# @eeva.editor, @eeva.editor@example.com: the part of a member's e-mail before the @, or all of it.
MENTION = regex.compile(r"(?<![\w.@])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)", regex.UNICODE)


def mention_handle(user: User) -> str:
    return user.email.split("@", 1)[0]


def mentioned_members(*, workspace_id: int, text: str) -> list[User]:
    """The workspace's members mentioned in `text` (by e-mail, or by the part before the @)."""
    wanted = {match.group(1).casefold().rstrip(".") for match in MENTION.finditer(text)}
    if not wanted:
        return []
    members = Membership.objects.filter(workspace_id=workspace_id, user__is_active=True).select_related("user")
    return [
        member.user
        for member in members
        if member.user.email.casefold() in wanted or mention_handle(member.user).casefold() in wanted
    ]


def comment_add(*, post: Post, author: Membership, body: str) -> Comment:
    """Add an internal comment; mentioned members are notified (in the app and by e-mail)."""
    body = body.strip()
    if not body:
        raise ValidationError(_("Write a comment first."))
    if len(body) > 5000:
        raise ValidationError(_("A comment can be at most 5,000 characters."))
    with transaction.atomic():
        comment = Comment.objects.create(post=post, author=author.user, body=body)
        mentioned = [
            user for user in mentioned_members(workspace_id=post.workspace_id, text=body) if user != author.user
        ]
        comment.mentions.set(mentioned)
        PostActivity.objects.create(post=post, actor=author.user, kind=PostActivity.Kind.COMMENTED)
        if mentioned:
            transaction.on_commit(lambda: _notify_mentions(comment.pk, [user.pk for user in mentioned]))
    return comment


def _notify_mentions(comment_id: int, user_ids: list[int]) -> None:
    comment = Comment.objects.select_related("post__workspace", "author").filter(pk=comment_id).first()
    if comment is None:
        return
    values = {
        "author": comment.author.display_name if comment.author else "–",
        "post": str(comment.post),
        "comment": comment.body[:300],
    }
    notification_send(
        recipients=User.objects.filter(pk__in=user_ids),
        workspace=comment.post.workspace,
        kind=Notification.Kind.MENTION,
        message=lambda: _("%(author)s mentioned you on “%(post)s”: %(comment)s") % values,
        url=reverse("publishing:post-detail", args=[comment.post.workspace.slug, comment.post_id])
        + f"#comment-{comment.pk}",
        email="notification",
    )


def comment_edit(*, comment: Comment, author: Membership, body: str) -> Comment:
    if comment.author_id != author.user_id or comment.deleted_at:
        raise PermissionDenied
    body = body.strip()
    if not body:
        raise ValidationError(_("Write a comment first."))
    comment.body = body[:5000]
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    return comment


def comment_delete(*, comment: Comment, author: Membership) -> None:
    """Own comments only; the row stays as "deleted" so the timeline keeps its order."""
    if comment.author_id != author.user_id:
        raise PermissionDenied
    comment.body = ""
    comment.deleted_at = timezone.now()
    comment.save(update_fields=["body", "deleted_at"])


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "activity" or "comment"
    item: Any


def post_timeline(post: Post) -> list[TimelineEntry]:
    """The post's activity and comments, oldest first."""
    entries = [
        TimelineEntry(activity.created_at, "activity", activity) for activity in post.activity.select_related("actor")
    ] + [TimelineEntry(comment.created_at, "comment", comment) for comment in post.comments.select_related("author")]
    return sorted(entries, key=lambda entry: entry.at)


def activity_record(*, post: Post, actor: User | None, kind: str, data: dict[str, Any] | None = None) -> None:
    PostActivity.objects.create(post=post, actor=actor, kind=kind, data=data or {})


# Tasks -------------------------------------------------------------------------------------------
def task_save(
    *,
    membership: Membership,
    title: str,
    description: str = "",
    assignee: User | None = None,
    due_on: date | None = None,
    post: Post | None = None,
    campaign: Campaign | None = None,
    link: str = "",
    task: Task | None = None,
) -> Task:
    """Create or change a task; a new assignee is notified."""
    from collaboration.services.notifications import is_local_url

    if (
        assignee is not None
        and not Membership.objects.filter(workspace_id=membership.workspace_id, user=assignee).exists()
    ):
        raise ValidationError(_("Choose a member of this workspace."))
    for linked in (post, campaign):
        if linked is not None and linked.workspace_id != membership.workspace_id:
            raise PermissionDenied
    if link and not is_local_url(link):
        raise ValidationError(_("Link to a page in smm (an address that starts with /)."))
    with transaction.atomic():
        previous_assignee = task.assignee_id if task else None
        if task is None:
            task = Task(workspace_id=membership.workspace_id, created_by=membership.user)
        task.title, task.description, task.assignee, task.due_on = title.strip(), description, assignee, due_on
        task.post, task.campaign, task.link = post, campaign, link
        task.full_clean(exclude=["workspace", "created_by"])
        task.save()
        if assignee is not None and assignee.pk != previous_assignee and assignee != membership.user:
            task_id = task.pk
            transaction.on_commit(lambda: _notify_task(task_id, membership.user.display_name))
    return task


def _notify_task(task_id: int, by: str) -> None:
    task = Task.objects.select_related("workspace", "assignee").filter(pk=task_id).first()
    if task is None or task.assignee is None:
        return
    values = {"by": by, "task": task.title, "due": task.due_on.isoformat() if task.due_on else "–"}
    notification_send(
        recipients=[task.assignee],
        workspace=task.workspace,
        kind=Notification.Kind.TASK_ASSIGNED,
        message=lambda: _("%(by)s gave you a task: %(task)s (due %(due)s)") % values,
        url=reverse("collaboration:tasks", args=[task.workspace.slug]),
        email="notification",
    )


def task_set_done(*, task: Task, done: bool) -> Task:
    task.status = Task.Status.DONE if done else Task.Status.OPEN
    task.completed_at = timezone.now() if done else None
    task.save(update_fields=["status", "completed_at"])
    return task
