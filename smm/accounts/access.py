"""Every object lookup in a view goes through here.

Non-members get a 404 (we do not even confirm a workspace exists); members whose role or
account level is too low get a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from smm.accounts.models import AccountLevel, Invitation, Membership
from smm.accounts.services import account_level_for
from smm.networks.models import ConnectedAccount

P = ParamSpec("P")
WorkspaceView = Callable[Concatenate[HttpRequest, Membership, P], HttpResponseBase]


def get_membership_for_user(user: Any, slug: str) -> Membership:
    """The user's membership in the workspace `slug`; 404 for anyone who is not a member."""
    if not user.is_authenticated:
        raise Http404
    membership = Membership.objects.select_related("workspace", "user").filter(workspace__slug=slug, user=user).first()
    if membership is None:
        raise Http404
    return membership


def require(membership: Membership, capability: str) -> None:
    """403 unless the member's role has `capability` (a Membership property such as can_publish)."""
    if not getattr(membership, capability):
        raise PermissionDenied


def workspace_view(capability: str | None = None) -> Callable[[WorkspaceView[P]], Callable[..., HttpResponseBase]]:
    """Decorate a view taking (request, membership, ...) that is routed with a workspace slug."""

    def decorator(view: WorkspaceView[P]) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            membership = get_membership_for_user(request.user, slug)
            if membership.needs_2fa_setup():
                messages.warning(
                    request,
                    _("%(workspace)s requires two-factor authentication for owners and admins. Set it up to continue.")
                    % {"workspace": membership.workspace.name},
                )
                return redirect("accounts:security")
            if capability:
                require(membership, capability)
            request.membership = membership  # type: ignore[attr-defined]
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorator


def require_network_enabled(network: str) -> None:
    """404 for a network whose <NAME>_ENABLED setting is off: it does not exist for users."""
    from smm.networks.registry import is_enabled

    if not is_enabled(network):
        raise Http404


def get_member_for_manager(membership: Membership, member_id: int) -> Membership:
    """Another membership of the same workspace, for an admin to change (404 across workspaces)."""
    require(membership, "can_manage_members")
    member = (
        Membership.objects.select_related("user", "workspace")
        .filter(workspace_id=membership.workspace_id, pk=member_id)
        .first()
    )
    if member is None:
        raise Http404
    return member


def get_invitation_for_manager(membership: Membership, invitation_id: int) -> Invitation:
    require(membership, "can_manage_members")
    invitation = Invitation.objects.filter(workspace_id=membership.workspace_id, pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation


def get_account_for_user(membership: Membership, account_id: int, level: int = AccountLevel.VIEW) -> ConnectedAccount:
    """A connected account of this workspace on which the member has at least `level`."""
    account = ConnectedAccount.objects.for_workspace(membership.workspace_id).filter(pk=account_id).first()
    if account is None:
        raise Http404
    effective = account_level_for(membership=membership, account=account)
    if effective < AccountLevel.VIEW:
        raise Http404
    if effective < level:
        raise PermissionDenied
    return account
