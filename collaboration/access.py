"""Object lookups for collaboration views (see smm/accounts/access.py for the rules)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from collaboration.models import (
    ApprovalRequest,
    ApprovalWorkflow,
    Audience,
    Comment,
    Notification,
    Objective,
    ShareSuggestion,
    Task,
    WordRule,
)
from smm.accounts.access import require
from smm.accounts.models import Membership
from smm.networks.models import ConnectedAccount


def get_notification_for_member(membership: Membership, notification_id: int) -> Notification:
    """One of the member's own notifications in this workspace; 404 for anyone else's, even a teammate's."""
    notification = Notification.objects.filter(
        pk=notification_id, recipient_id=membership.user_id, workspace_id=membership.workspace_id
    ).first()
    if notification is None:
        raise Http404
    return notification


def get_approval_request_for_user(membership: Membership, request_id: int) -> ApprovalRequest:
    """An approval request of a post the member can see (404 otherwise)."""
    from publishing.access import visible_posts

    request = (
        ApprovalRequest.objects.filter(workspace_id=membership.workspace_id, pk=request_id)
        .select_related("post__workspace", "post__author", "requested_by")
        .first()
    )
    if request is None or not visible_posts(membership).filter(pk=request.post_id).exists():
        raise Http404
    return request


def get_workflow_for_admin(membership: Membership, workflow_id: int) -> ApprovalWorkflow:
    require(membership, "can_change_settings")
    workflow = ApprovalWorkflow.objects.filter(workspace_id=membership.workspace_id, pk=workflow_id).first()
    if workflow is None:
        raise Http404
    return workflow


def get_comment_for_author(membership: Membership, comment_id: int) -> Comment:
    """A comment on a post the member can see; only its author may change it (403 for others)."""
    from publishing.access import visible_posts

    comment = Comment.objects.filter(pk=comment_id, post__workspace_id=membership.workspace_id).first()
    if comment is None or not visible_posts(membership).filter(pk=comment.post_id).exists():
        raise Http404
    if comment.author_id != membership.user_id:
        raise PermissionDenied
    return comment


def get_word_rule_for_publisher(membership: Membership, rule_id: int) -> WordRule:
    """A word rule of the workspace, for a member who may publish to change (others 403)."""
    require(membership, "can_publish")
    rule = WordRule.objects.filter(workspace_id=membership.workspace_id, pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule


def get_objective_for_admin(membership: Membership, objective_id: int) -> Objective:
    require(membership, "can_change_settings")
    objective = Objective.objects.filter(workspace_id=membership.workspace_id, pk=objective_id).first()
    if objective is None:
        raise Http404
    return objective


def get_audience_for_admin(membership: Membership, audience_id: int) -> Audience:
    require(membership, "can_change_settings")
    audience = Audience.objects.filter(workspace_id=membership.workspace_id, pk=audience_id).first()
    if audience is None:
        raise Http404
    return audience


def get_task_for_member(membership: Membership, task_id: int, *, write: bool = False) -> Task:
    """A task of the member's workspace (404 otherwise); with `write`, only members who can draft (403).

    The task carries `post_visible` (see selectors.tasks_for_member)."""
    from collaboration.selectors import tasks_for_member

    task = tasks_for_member(membership).filter(pk=task_id).first()
    if task is None:
        raise Http404
    if write:
        require(membership, "can_draft")
    return task


def get_task_to_complete(membership: Membership, task_id: int) -> Task:
    """A task the member may mark done or open again: members who can draft any task, a viewer only a
    task assigned to them (403 otherwise)."""
    task = get_task_for_member(membership, task_id)
    if not membership.can_draft and task.assignee_id != membership.user_id:
        raise PermissionDenied
    return task


def get_share_suggestion_for_member(
    membership: Membership, suggestion_id: int, *, write: bool = False
) -> ShareSuggestion:
    """A share-ready item of the member's workspace (404 otherwise; inactive ones only with `write`);
    with `write`, only members who can publish (403)."""
    suggestion = ShareSuggestion.objects.filter(workspace_id=membership.workspace_id, pk=suggestion_id).first()
    if suggestion is None or not (suggestion.active or write):
        raise Http404
    if write:
        require(membership, "can_publish")
    return suggestion


def get_personal_account_for_member(membership: Membership, account_id: int) -> ConnectedAccount:
    """One of the member's own personal accounts (employee sharing); 404 for anyone else's, even an admin's."""
    account = (
        ConnectedAccount.objects.personal(user_id=membership.user_id, workspace_id=membership.workspace_id)
        .filter(pk=account_id)
        .first()
    )
    if account is None:
        raise Http404
    return account
