"""Connect a Mastodon account through the server's own OAuth flow (state and PKCE)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from smm.accounts import access
from smm.accounts.models import Membership
from smm.networks import services
from smm.networks.base import NetworkError
from smm.networks.mastodon import client
from smm.networks.mastodon.adapter import MastodonAdapter
from smm.networks.mastodon.forms import InstanceForm
from smm.networks.models import ConnectedAccount, OAuthApp

SESSION_KEY = "mastodon_oauth"
NETWORK = ConnectedAccount.Network.MASTODON


def _redirect_uri() -> str:
    return settings.SITE_URL + reverse("mastodon-callback")


def _app_for(server_url: str) -> OAuthApp:
    """The app smm registered on this server, registering it the first time (one per server)."""
    redirect_uri = _redirect_uri()
    app = OAuthApp.objects.filter(network=NETWORK, server_url=server_url, redirect_uri=redirect_uri).first()
    if app is not None:
        return app
    registration = client.register_app(server_url, redirect_uri, website=settings.SITE_URL)
    with transaction.atomic():
        app = OAuthApp(
            network=NETWORK,
            server_url=server_url,
            redirect_uri=redirect_uri,
            client_id=registration.client_id,
            scopes=" ".join(client.SCOPES),
        )
        app.set_client_secret(registration.client_secret)
        app.save()
    return app


@access.workspace_view("can_connect_accounts")
def connect(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Ask for the server, register smm there once, and send the user to approve access."""
    return _connect(request, membership, personal=False)


@access.workspace_view()
def connect_personal(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The same for a member's own account, to share the workspace's posts on (any role)."""
    return _connect(request, membership, personal=True)


def _connect(request: HttpRequest, membership: Membership, *, personal: bool) -> HttpResponse:
    access.require_network_enabled(NETWORK)
    form = InstanceForm(request.POST or None, initial={"instance": request.GET.get("instance", "")})
    if request.method == "POST" and form.is_valid():
        try:
            info = client.instance_info(form.cleaned_data["instance"])
            app = _app_for(info.base_url)
        except NetworkError as error:
            # Also an address smm refuses to contact (a private network): the guard's words say so.
            form.add_error("instance", error.message)
        else:
            verifier, challenge = client.pkce_pair() if info.supports_pkce else (None, None)
            state = secrets.token_urlsafe(32)
            request.session[SESSION_KEY] = {
                "state": state,
                "verifier": verifier,
                "workspace": membership.workspace.slug,
                "app": app.pk,
                "config": info.config(),
                # The callback is shared: this says whose account comes back (see callback()).
                "personal": personal,
            }
            url = client.authorization_url(
                info.base_url, app.client_id, app.redirect_uri, state=state, code_challenge=challenge
            )
            # Not a redirect: browsers apply our CSP's form-action 'self' to every redirect that
            # follows a form post, which would block the hop to the server. A page that moves on by
            # itself (meta refresh, with a link as fallback) is a plain navigation instead.
            context = {"authorize_url": url, "server": info.base_url}
            return render(request, "networks/oauth_continue.html", context)
    page: dict[str, object] = {"form": form, "personal": personal}
    return render(request, "networks/mastodon_connect.html", page, status=400 if form.errors else 200)


@login_required
def callback(request: HttpRequest) -> HttpResponse:
    """The server sends the user back here with a code (or an error) and our state."""
    pending = request.session.pop(SESSION_KEY, None)
    if not pending or not constant_time_compare(str(request.GET.get("state", "")), pending["state"]):
        messages.error(request, _("That Mastodon sign-in link is not valid any more. Start connecting again."))
        return redirect("home")
    membership = access.get_membership_for_user(request.user, pending["workspace"])
    # The pending state lives in the server-side session, so `personal` is what connect() set: a
    # member's own account needs only membership, a workspace account the right to connect them.
    personal = bool(pending.get("personal"))
    if personal:
        accounts_url = reverse("collaboration:sharing", args=[membership.workspace.slug])
    else:
        access.require(membership, "can_connect_accounts")
        accounts_url = reverse("workspace-accounts", args=[membership.workspace.slug])
    access.require_network_enabled(NETWORK)
    if request.GET.get("error") or not request.GET.get("code"):
        messages.warning(request, _("Access was not granted on Mastodon, so nothing was connected."))
        return redirect(accounts_url)
    app = OAuthApp.objects.filter(pk=pending["app"]).first()
    if app is None:  # removed by an operator while the user was away signing in
        messages.error(request, _("That Mastodon sign-in link is not valid any more. Start connecting again."))
        return redirect(accounts_url)
    try:
        token = client.exchange_code(
            app.server_url,
            app.client_id,
            app.client_secret,
            app.redirect_uri,
            request.GET["code"],
            code_verifier=pending.get("verifier"),
        )
        config = dict(pending["config"])
        adapter = MastodonAdapter(credentials={"access_token": token}, config=config)
        profile = adapter.profile()
    except NetworkError as error:
        messages.error(request, _("Connecting to Mastodon failed: %(reason)s") % {"reason": error.message})
        return redirect(accounts_url)
    config["account_id"] = profile.remote_id
    account = services.account_connect(
        workspace=membership.workspace,
        network=NETWORK,
        profile=profile,
        credentials={"access_token": token},
        config=config,
        actor_membership=membership,
        request=request,
        personal=personal,
    )
    messages.success(request, _("%(account)s is connected.") % {"account": account})
    return redirect(accounts_url)
