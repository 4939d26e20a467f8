"""Comments on posts (internal, with @mentions) and the post's timeline fragment."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collaboration import access as collaboration_access
from collaboration.forms import CommentForm
from collaboration.services import conversation
from publishing import access as publishing_access
from smm.accounts import access
from smm.accounts.models import Membership


def _timeline(
    request: HttpRequest, membership: Membership, post_id: int, *, form: CommentForm | None = None
) -> HttpResponse:
    post = publishing_access.get_post_for_user(membership, post_id)
    context = {
        "post": post,
        "timeline": conversation.post_timeline(post),
        "comment_form": form or CommentForm(),
        "handles": sorted(
            conversation.mention_handle(m.user)
            for m in Membership.objects.filter(workspace_id=membership.workspace_id).select_related("user")
        ),
    }
    return render(request, "collaboration/_timeline.html", context, status=400 if form and form.errors else 200)


def _back(request: HttpRequest, membership: Membership, post_id: int, form: CommentForm | None = None) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return _timeline(request, membership, post_id, form=form)
    return redirect("publishing:post-detail", slug=membership.workspace.slug, post_id=post_id)


@access.workspace_view()
@require_POST
def comment_add(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    """Every member who can see the post may comment on it, viewers included (staff outside the team)."""
    post = publishing_access.get_post_for_user(membership, post_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            conversation.comment_add(post=post, author=membership, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error("body", error)
        else:
            return _back(request, membership, post.pk)
    if not request.headers.get("HX-Request"):
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return _back(request, membership, post.pk, form)


@access.workspace_view()
@require_POST
def comment_edit(request: HttpRequest, membership: Membership, comment_id: int) -> HttpResponse:
    comment = collaboration_access.get_comment_for_author(membership, comment_id)
    try:
        conversation.comment_edit(comment=comment, author=membership, body=request.POST.get("body", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _back(request, membership, comment.post_id)


@access.workspace_view()
@require_POST
def comment_delete(request: HttpRequest, membership: Membership, comment_id: int) -> HttpResponse:
    comment = collaboration_access.get_comment_for_author(membership, comment_id)
    conversation.comment_delete(comment=comment, author=membership)
    if not request.headers.get("HX-Request"):
        messages.success(request, _("Comment deleted."))
    return _back(request, membership, comment.post_id)
