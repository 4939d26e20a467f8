"""Connected accounts of a workspace: list with health, check now, disconnect."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from smm.accounts import access
from smm.accounts.models import AccountLevel, Membership
from smm.accounts.selectors import visible_accounts
from smm.networks import services
from smm.networks.models import AccountAvatar, ConnectedAccount
from smm.networks.registry import adapter_class, enabled_networks


@access.workspace_view()
def accounts_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    rows = visible_accounts(membership)
    context = {
        "rows": [row for row in rows if row.account.is_connected],
        "disconnected": [row for row in rows if not row.account.is_connected],
        "networks": [(name, adapter_class(name).label) for name in enabled_networks()],
    }
    return render(request, "networks/accounts.html", context)


@access.workspace_view()
@require_POST
def account_check(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponse:
    """Check the account now: fetch its profile, which also proves the credentials work."""
    account = access.get_account_for_user(membership, account_id, AccountLevel.MANAGE)
    if not account.is_connected:
        messages.error(request, _("The account is disconnected. Connect it again first."))
    else:
        services.account_refresh_profile(account=account)
        account.refresh_from_db()
        if account.status == ConnectedAccount.Status.OK:
            messages.success(request, _("%(account)s works.") % {"account": account})
        else:
            messages.error(
                request,
                _("%(account)s: %(status)s. %(detail)s")
                % {"account": account, "status": account.get_status_display(), "detail": account.status_detail},
            )
    return redirect("workspace-account", slug=membership.workspace.slug, account_id=account.pk)


@access.workspace_view()
@require_POST
def account_disconnect(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponse:
    account = access.get_account_for_user(membership, account_id, AccountLevel.MANAGE)
    services.account_disconnect(account=account, actor_membership=membership, request=request)
    messages.success(request, _("%(account)s is disconnected and its access keys are deleted.") % {"account": account})
    return redirect("workspace-accounts", slug=membership.workspace.slug)


@access.workspace_view()
@require_GET
def account_avatar(request: HttpRequest, membership: Membership, account_id: int, version: str) -> HttpResponse:
    """The avatar smm keeps for the account; its version is in the address, so it is cached for good."""
    account = access.get_account_for_user(membership, account_id)
    avatar = AccountAvatar.objects.filter(account=account).first()
    if avatar is None or account.avatar_version != version:
        raise Http404
    response = HttpResponse(bytes(avatar.image), content_type="image/webp")
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
