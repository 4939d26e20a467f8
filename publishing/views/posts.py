"""Posts: the list, one post with its targets and attempts, held posts, and what a person can do with them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from publishing import access as publishing_access
from publishing.forms import PostFilterForm
from publishing.models import Attempt, Post, Target
from publishing.services import engine, posts
from smm.accounts import access
from smm.accounts.models import AccountLevel, Membership

PAGE_SIZE = 25
WAITING = [Target.Status.HELD, Target.Status.ATTENTION, Target.Status.UNCONFIRMED, Target.Status.FAILED]


def _targets_prefetch(membership: Membership) -> Prefetch:
    visible = publishing_access.visible_account_ids(membership)
    return Prefetch(
        "targets",
        queryset=Target.objects.filter(account_id__in=visible).select_related("account").order_by("scheduled_at"),
        to_attr="visible_targets",
    )


@access.workspace_view()
def post_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = PostFilterForm(request.GET or None, membership=membership)
    queryset = publishing_access.visible_posts(membership)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            queryset = queryset.filter(text__icontains=data["q"])
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["account"]:
            queryset = queryset.filter(targets__account=data["account"])
        if data["campaign"]:
            queryset = queryset.filter(campaign=data["campaign"])
        if data["label"]:
            queryset = queryset.filter(labels=data["label"])
        if data["author"]:
            queryset = queryset.filter(author=data["author"].user)
    queryset = (
        queryset.select_related("campaign", "author")
        .prefetch_related(_targets_prefetch(membership), "labels")
        .order_by("-updated_at")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "publishing/post_list.html", context)


@access.workspace_view()
def post_detail(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    post = publishing_access.get_post_for_user(membership, post_id)
    visible = publishing_access.visible_account_ids(membership)
    targets = list(
        post.targets.filter(account_id__in=visible)
        .select_related("account")
        .prefetch_related(Prefetch("attempts", queryset=Attempt.objects.order_by("number")))
        .order_by("scheduled_at", "pk")
    )
    from smm.accounts.services import account_level_for

    for target in targets:
        level = account_level_for(membership=membership, account=target.account)
        target.can_publish = level >= AccountLevel.PUBLISH  # type: ignore[attr-defined]
        target.can_draft = level >= AccountLevel.DRAFT  # type: ignore[attr-defined]
    context = {
        "post": post,
        "targets": targets,
        "media": [item.asset for item in post.post_media.select_related("asset")],
        "can_edit": membership.can_draft and all(t.is_editable for t in targets),
        **_collaboration_context(membership, post),
    }
    return render(request, "publishing/post_detail.html", context)


def _collaboration_context(membership: Membership, post: Post) -> dict[str, object]:
    """The approval panel and the timeline of comments and activity."""
    from collaboration.forms import CommentForm
    from collaboration.models import ApprovalDecision
    from collaboration.services import approvals, conversation

    approval = post.approval_requests.order_by("-created_at").first()
    return {
        "approval": approval,
        "can_decide_approval": approval is not None and approvals.can_decide(membership, approval),
        "approval_history": ApprovalDecision.objects.filter(request__post=post)
        .select_related("user")
        .order_by("-created_at")[:30],
        "timeline": conversation.post_timeline(post),
        "comment_form": CommentForm(),
        "handles": sorted(
            conversation.mention_handle(m.user)
            for m in Membership.objects.filter(workspace_id=membership.workspace_id).select_related("user")
        ),
    }


@access.workspace_view("can_draft")
@require_POST
def post_delete(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    post = publishing_access.get_post_for_user(membership, post_id, write=True)
    try:
        posts.post_delete(membership=membership, post=post)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("publishing:post-detail", slug=membership.workspace.slug, post_id=post.pk)
    messages.success(request, _("The post was deleted."))
    return redirect("publishing:posts", slug=membership.workspace.slug)


TARGET_ACTIONS = {
    "now": AccountLevel.PUBLISH,
    "queue": AccountLevel.PUBLISH,
    "cancel": AccountLevel.DRAFT,
    "mark-published": AccountLevel.PUBLISH,
}


@access.workspace_view("can_draft")
@require_POST
def target_action(request: HttpRequest, membership: Membership, target_id: int, action: str) -> HttpResponse:
    """Publish now, put in the next queue slot, cancel, or (after checking the network) mark published."""
    if action not in TARGET_ACTIONS:
        return HttpResponse(status=404)
    target = publishing_access.get_target_for_user(membership, target_id, level=TARGET_ACTIONS[action])
    try:
        if action == "cancel":
            posts.target_cancel(membership=membership, target=target)
            messages.success(request, _("Cancelled for %(account)s.") % {"account": target.account})
        elif action == "mark-published":
            engine.target_mark_published(
                target=target, remote_url=request.POST.get("url", "").strip(), actor=membership.user
            )
            messages.success(request, _("Marked as published on %(account)s.") % {"account": target.account})
        else:
            target = posts.target_resume(membership=membership, target=target, how=action)
            if action == "now":
                messages.success(request, _("Publishing to %(account)s now.") % {"account": target.account})
            else:
                messages.success(request, _("Put in %(account)s's next queue time.") % {"account": target.account})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    back = request.POST.get("next", "")
    if back == "held":
        return redirect("publishing:held", slug=membership.workspace.slug)
    return redirect("publishing:post-detail", slug=membership.workspace.slug, post_id=target.post_id)


@access.workspace_view()
def held(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Posts waiting for a person: held (paused, late, account), failed, and unclear ones."""
    visible = publishing_access.visible_account_ids(membership)
    waiting = (
        Target.objects.for_workspace(membership.workspace_id)
        .filter(account_id__in=visible)
        .filter(
            Q(status__in=[Target.Status.HELD, Target.Status.ATTENTION, Target.Status.UNCONFIRMED, Target.Status.FAILED])
        )
        .select_related("account", "post")
        .order_by("status", "scheduled_at")
    )
    page = Paginator(waiting, 50).get_page(request.GET.get("page"))
    settings_row = posts.publishing_settings(membership.workspace_id)
    return render(request, "publishing/held.html", {"page": page, "policy": settings_row})
