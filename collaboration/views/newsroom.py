"""The social newsroom: what is going on in the workspace's social media, for every member (viewers
included), and the settings of its weekly e-mail digest (admins)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from collaboration import selectors
from collaboration.forms import NewsroomDigestForm
from collaboration.services.newsroom import newsroom_digest_send_test, newsroom_digest_update
from publishing.access import visible_account_ids
from smm.accounts import access
from smm.accounts.models import Membership


def _render(
    request: HttpRequest, membership: Membership, digest_form: NewsroomDigestForm | None = None
) -> HttpResponse:
    content = selectors.newsroom(workspace=membership.workspace, account_ids=visible_account_ids(membership))
    context: dict[str, object] = {"newsroom": content}
    if membership.can_change_settings:
        digest = selectors.newsroom_digest_settings(membership.workspace)
        context["digest"] = digest
        context["digest_form"] = digest_form or NewsroomDigestForm(
            initial={"enabled": digest.enabled, "recipients": "\n".join(digest.recipient_list)}
        )
    status = 400 if digest_form is not None and digest_form.errors else 200
    return render(request, "collaboration/newsroom.html", context, status=status)


@access.workspace_view()
@require_GET
def newsroom(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Campaigns, the next two weeks' posts, the last two weeks' published posts and the objectives, on
    the accounts the member may view."""
    return _render(request, membership)


@access.workspace_view("can_change_settings")
@require_POST
def newsroom_digest(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = NewsroomDigestForm(request.POST)
    if form.is_valid():
        try:
            digest = newsroom_digest_update(
                membership=membership,
                enabled=form.cleaned_data["enabled"],
                recipients=form.cleaned_data["recipients"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if digest.enabled:
                messages.success(request, _("Saved. The digest goes out on Monday mornings."))
            else:
                messages.success(request, _("Saved. The weekly digest is off."))
            return redirect("collaboration:newsroom", slug=membership.workspace.slug)
    return _render(request, membership, digest_form=form)


@access.workspace_view("can_change_settings")
@require_POST
def newsroom_digest_test(request: HttpRequest, membership: Membership) -> HttpResponse:
    """E-mail the digest, as the recipients would get it now, to the admin who asked."""
    try:
        address = newsroom_digest_send_test(membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("A test digest was sent to %(address)s.") % {"address": address})
    return redirect("collaboration:newsroom", slug=membership.workspace.slug)
