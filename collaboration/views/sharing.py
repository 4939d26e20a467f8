"""Employee sharing: the sharing page (every member), sharing to one's own account or copying the
text, the member's own accounts for sharing, and share-ready items (members who can publish)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from collaboration import selectors
from collaboration.access import get_personal_account_for_member, get_share_suggestion_for_member
from collaboration.forms import ShareForm, ShareLinkForm
from collaboration.models import ShareSuggestion
from collaboration.services import sharing as services
from publishing import access as publishing_access
from publishing.services.validation import TargetCheck, check_target
from smm.accounts import access
from smm.accounts.models import Membership
from smm.networks import services as network_services
from smm.networks.models import ConnectedAccount
from smm.networks.registry import adapter_class, enabled_networks

# The networks a member can connect their own account on from the sharing page (see urls.py).
PERSONAL_NETWORKS = ("mastodon", "bluesky")


@dataclass(frozen=True)
class Row:
    item: ShareSuggestion
    form: ShareForm
    check: TargetCheck | None


def _share_form(item: ShareSuggestion, accounts: list[ConnectedAccount], data: object = None) -> ShareForm:
    initial = {"text": services.share_text(item), "account": accounts[0].pk if accounts else None}
    return ShareForm(data, accounts=accounts, initial=initial, auto_id=f"id_share_{item.pk}_%s")


def _check(form: ShareForm, accounts: list[ConnectedAccount]) -> TargetCheck | None:
    """The length check of the form's text on its chosen account (the network's own way of counting)."""
    if form.is_bound:
        form.is_valid()  # the account may be valid while the text is not (yet): still count it
        account = form.cleaned_data.get("account")
        text = form.data.get("text", "")
    else:
        account = next((a for a in accounts if a.pk == form.initial.get("account")), None)
        text = form.initial.get("text", "")
    if account is None:
        return None
    return check_target(account=account, text=str(text), media=[])


def _page(
    request: HttpRequest,
    membership: Membership,
    *,
    bound: ShareForm | None = None,
    bound_item: int | None = None,
    link_form: ShareLinkForm | None = None,
    status: int = 200,
) -> HttpResponse:
    accounts = selectors.personal_accounts(membership)
    usable = [account for account in accounts if services.can_share_to(account)]
    rows = []
    for item in selectors.share_suggestions(membership):
        form = bound if bound is not None and item.pk == bound_item else _share_form(item, usable)
        rows.append(Row(item=item, form=form, check=_check(form, usable)))
    context = {
        "rows": rows,
        "accounts": accounts,
        "usable_accounts": usable,
        "networks": [(name, adapter_class(name).label) for name in enabled_networks() if name in PERSONAL_NETWORKS],
        "link_form": link_form or (ShareLinkForm() if membership.can_publish else None),
    }
    return render(request, "collaboration/sharing.html", context, status=status)


def _sharing_url(membership: Membership, item_id: int | None = None) -> str:
    url = reverse("collaboration:sharing", args=[membership.workspace.slug])
    return f"{url}#item-{item_id}" if item_id else url


@access.workspace_view()
@require_GET
def sharing(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _page(request, membership)


@access.workspace_view()
@require_POST
def sharing_count(request: HttpRequest, membership: Membership) -> HttpResponse:
    """htmx: the live character count of a text on one of the member's accounts."""
    usable = [a for a in selectors.personal_accounts(membership) if services.can_share_to(a)]
    form = ShareForm(request.POST, accounts=usable)
    return render(request, "collaboration/_sharing_count.html", {"check": _check(form, usable)})


@access.workspace_view()
@require_POST
def sharing_publish(request: HttpRequest, membership: Membership, suggestion_id: int) -> HttpResponse:
    """Share to my account: publish the (edited) text now on one of the member's own accounts."""
    item = get_share_suggestion_for_member(membership, suggestion_id)
    usable = [a for a in selectors.personal_accounts(membership) if services.can_share_to(a)]
    form = ShareForm(request.POST, accounts=usable, require_account=True, auto_id=f"id_share_{item.pk}_%s")
    if form.is_valid():
        try:
            share = services.share_publish(
                membership=membership,
                suggestion=item,
                account=form.cleaned_data["account"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request, _("On its way to %(account)s: it appears there in a moment.") % {"account": share.account}
            )
            return redirect(_sharing_url(membership, item.pk))
    return _page(request, membership, bound=form, bound_item=item.pk, status=400)


@access.workspace_view()
@require_POST
def sharing_copy(request: HttpRequest, membership: Membership, suggestion_id: int) -> HttpResponse:
    """Copy the text: record the copy. The page's script has copied the text already and gets an
    empty answer; without scripts the text is shown on a page of its own, selected for copying."""
    item = get_share_suggestion_for_member(membership, suggestion_id)
    services.share_copy(membership=membership, suggestion=item)
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    text = request.POST.get("text", "").strip() or services.share_text(item)
    return render(request, "collaboration/sharing_copy.html", {"item": item, "text": text})


@access.workspace_view("can_publish")
@require_POST
def sharing_post_add(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    """Mark a post share-ready (the button on the post's page)."""
    post = publishing_access.get_post_for_user(membership, post_id)
    try:
        item = services.share_suggestion_from_post(membership=membership, post=post)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(title)s” is on the sharing page now.") % {"title": item.title})
    return redirect("publishing:post-detail", slug=membership.workspace.slug, post_id=post.pk)


@access.workspace_view("can_publish")
@require_POST
def sharing_link_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ShareLinkForm(request.POST)
    if form.is_valid():
        try:
            item = services.share_suggestion_create(
                membership=membership,
                url=form.cleaned_data["url"],
                title=form.cleaned_data["title"],
                suggested_text=form.cleaned_data["suggested_text"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("“%(title)s” is on the sharing page now.") % {"title": item.title})
            return redirect(_sharing_url(membership, item.pk))
    return _page(request, membership, link_form=form, status=400)


@access.workspace_view("can_publish")
@require_POST
def sharing_deactivate(request: HttpRequest, membership: Membership, suggestion_id: int) -> HttpResponse:
    item = get_share_suggestion_for_member(membership, suggestion_id, write=True)
    services.share_suggestion_deactivate(membership=membership, suggestion=item)
    messages.success(request, _("“%(title)s” is no longer on the sharing page.") % {"title": item.title})
    return redirect(_sharing_url(membership))


@access.workspace_view()
@require_POST
def sharing_account_disconnect(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponse:
    """Disconnect one of the member's own accounts: its access keys are deleted."""
    account = get_personal_account_for_member(membership, account_id)
    network_services.account_disconnect(account=account, actor_membership=membership, request=request)
    messages.success(request, _("%(account)s is disconnected and its access keys are deleted.") % {"account": account})
    return redirect(_sharing_url(membership))
