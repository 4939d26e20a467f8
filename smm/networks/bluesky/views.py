"""Connect a Bluesky account with its handle and an app password."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from smm.accounts import access
from smm.accounts.models import Membership
from smm.lib.http import UnsafeURLError
from smm.networks import services
from smm.networks.base import NetworkError
from smm.networks.bluesky import client
from smm.networks.bluesky.adapter import BlueskyAdapter
from smm.networks.bluesky.forms import BlueskyConnectForm
from smm.networks.models import ConnectedAccount

NETWORK = ConnectedAccount.Network.BLUESKY


@access.workspace_view("can_connect_accounts")
def connect(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _connect(request, membership, personal=False)


@access.workspace_view()
def connect_personal(request: HttpRequest, membership: Membership) -> HttpResponse:
    """A member's own account, to share the workspace's posts on (any role)."""
    return _connect(request, membership, personal=True)


def _connect(request: HttpRequest, membership: Membership, *, personal: bool) -> HttpResponse:
    access.require_network_enabled(NETWORK)
    form = BlueskyConnectForm(request.POST or None, initial={"identifier": request.GET.get("handle", "")})
    if request.method == "POST" and form.is_valid():
        try:
            credentials, config = client.connect(
                form.cleaned_data["identifier"], form.cleaned_data["app_password"], form.cleaned_data["pds_url"]
            )
            profile = BlueskyAdapter(credentials=credentials, config=config).profile()
        except UnsafeURLError as error:
            form.add_error("pds_url", str(error))
        except NetworkError as error:
            form.add_error(None, error.message)
        else:
            account = services.account_connect(
                workspace=membership.workspace,
                network=NETWORK,
                profile=profile,
                credentials=credentials,
                config=config,
                actor_membership=membership,
                request=request,
                personal=personal,
            )
            messages.success(request, _("%(account)s is connected.") % {"account": account})
            if personal:
                return redirect("collaboration:sharing", slug=membership.workspace.slug)
            return redirect("workspace-accounts", slug=membership.workspace.slug)
    context = {"form": form, "personal": personal}
    return render(request, "networks/bluesky_connect.html", context, status=400 if form.errors else 200)
