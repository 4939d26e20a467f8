"""The strategy page: every member reads it; owners and admins edit each section with its own form.

Each form posts to its own URL and comes back to the page (at the section's anchor); a form with
errors is shown again, open, on the page with status 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from collaboration.access import get_audience_for_admin, get_objective_for_admin
from collaboration.forms import AudienceForm, ChannelPurposeForm, ObjectiveForm, StrategySectionForm
from collaboration.models import Audience, ChannelPurpose, Objective, Strategy
from collaboration.services import strategy as services
from smm.accounts import access
from smm.accounts.models import Membership
from smm.accounts.selectors import visible_accounts
from smm.networks.models import ConnectedAccount

# Form keys of the page, for a bound form with errors to replace the blank one.
NEW_OBJECTIVE = "new-objective"
NEW_AUDIENCE = "new-audience"


def _back(membership: Membership, anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("collaboration:strategy", args=[membership.workspace.slug]) + f"#{anchor}")


def _page(request: HttpRequest, membership: Membership, *, bound: dict[str, BaseForm] | None = None) -> HttpResponse:
    """The strategy page; `bound` holds a posted form with errors, under its prefix, to show instead of a blank one."""
    workspace = membership.workspace
    strategy = Strategy.objects.filter(workspace=workspace).select_related("updated_by").first()
    objectives = list(Objective.objects.filter(workspace=workspace))
    audiences = list(Audience.objects.filter(workspace=workspace))
    # Only the accounts this member may see: a member without access to an account does not learn of it here.
    accounts = [row.account for row in visible_accounts(membership) if row.account.is_connected]
    purposes = {
        purpose.account_id: purpose
        for purpose in ChannelPurpose.objects.filter(account__in=accounts).prefetch_related("audiences")
    }
    forms = _Forms(membership.can_change_settings, bound or {})
    context: dict[str, Any] = {
        "strategy": strategy,
        "section_forms": {
            section: forms.get(
                section, StrategySectionForm, section=section, initial={"text": getattr(strategy, section, "")}
            )
            for section in services.STRATEGY_SECTIONS
        },
        "objectives": [
            {"objective": objective, "form": forms.get(f"objective-{objective.pk}", ObjectiveForm, instance=objective)}
            for objective in objectives
        ],
        "new_objective_form": forms.get(NEW_OBJECTIVE, ObjectiveForm),
        "audiences": [
            {"audience": audience, "form": forms.get(f"audience-{audience.pk}", AudienceForm, instance=audience)}
            for audience in audiences
        ],
        "new_audience_form": forms.get(NEW_AUDIENCE, AudienceForm),
        "channels": [_channel(account, purposes.get(account.pk), audiences, forms) for account in accounts],
        "team": Membership.objects.filter(workspace=workspace).select_related("user").by_role(),
    }
    return render(request, "collaboration/strategy.html", context, status=400 if bound else 200)


class _Forms:
    """The page's edit forms: none for members who only read; a posted form with errors where there is one."""

    def __init__(self, editing: bool, bound: dict[str, BaseForm]) -> None:
        self.editing = editing
        self.bound = bound

    def get(self, prefix: str, factory: Callable[..., BaseForm], **kwargs: Any) -> BaseForm | None:
        if not self.editing:
            return None
        if prefix in self.bound:
            return self.bound[prefix]
        return factory(prefix=prefix, **kwargs)


def _channel(
    account: ConnectedAccount, purpose: ChannelPurpose | None, audiences: list[Audience], forms: _Forms
) -> dict[str, Any]:
    chosen = list(purpose.audiences.all()) if purpose else []
    initial = {"purpose": purpose.purpose if purpose else "", "audiences": [str(audience.pk) for audience in chosen]}
    form = forms.get(f"account-{account.pk}", ChannelPurposeForm, initial=initial, audiences=audiences)
    return {"account": account, "purpose": purpose, "audiences": chosen, "form": form}


@access.workspace_view()
@require_GET
def strategy(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _page(request, membership)


@access.workspace_view("can_change_settings")
@require_POST
def strategy_section_update(request: HttpRequest, membership: Membership, section: str) -> HttpResponse:
    if section not in services.STRATEGY_SECTIONS:
        raise Http404
    form = StrategySectionForm(request.POST, section=section)
    if not form.is_valid():
        return _page(request, membership, bound={section: form})
    services.strategy_update(
        workspace=membership.workspace, actor=membership.user, section=section, text=form.cleaned_data["text"]
    )
    messages.success(request, _("Strategy saved."))
    return _back(membership, section)


# Objectives --------------------------------------------------------------------------------------
@access.workspace_view("can_change_settings")
@require_POST
def objective_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ObjectiveForm(request.POST, prefix=NEW_OBJECTIVE)
    if not form.is_valid():
        return _page(request, membership, bound={NEW_OBJECTIVE: form})
    services.objective_create(workspace=membership.workspace, **form.cleaned_data)
    messages.success(request, _("Objective added."))
    return _back(membership, "objectives")


@access.workspace_view("can_change_settings")
@require_POST
def objective_update(request: HttpRequest, membership: Membership, objective_id: int) -> HttpResponse:
    objective = get_objective_for_admin(membership, objective_id)
    key = f"objective-{objective.pk}"
    form = ObjectiveForm(request.POST, instance=objective, prefix=key)
    if not form.is_valid():
        return _page(request, membership, bound={key: form})
    services.objective_update(objective=objective, **form.cleaned_data)
    messages.success(request, _("Objective saved."))
    return _back(membership, "objectives")


@access.workspace_view("can_change_settings")
@require_POST
def objective_delete(request: HttpRequest, membership: Membership, objective_id: int) -> HttpResponse:
    objective = get_objective_for_admin(membership, objective_id)
    services.objective_delete(objective=objective)
    messages.success(request, _("Objective “%(title)s” removed.") % {"title": objective.title})
    return _back(membership, "objectives")


@access.workspace_view("can_change_settings")
@require_POST
def objective_move(request: HttpRequest, membership: Membership, objective_id: int) -> HttpResponse:
    objective = get_objective_for_admin(membership, objective_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, _("Choose up or down."))
    else:
        services.objective_move(objective=objective, offset=offset)
    return _back(membership, "objectives")


# Audiences ---------------------------------------------------------------------------------------
@access.workspace_view("can_change_settings")
@require_POST
def audience_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = AudienceForm(request.POST, prefix=NEW_AUDIENCE)
    if form.is_valid():
        try:
            services.audience_create(workspace=membership.workspace, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Target audience added."))
            return _back(membership, "audiences")
    return _page(request, membership, bound={NEW_AUDIENCE: form})


@access.workspace_view("can_change_settings")
@require_POST
def audience_update(request: HttpRequest, membership: Membership, audience_id: int) -> HttpResponse:
    audience = get_audience_for_admin(membership, audience_id)
    key = f"audience-{audience.pk}"
    form = AudienceForm(request.POST, instance=audience, prefix=key)
    if form.is_valid():
        try:
            services.audience_update(audience=audience, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Target audience saved."))
            return _back(membership, "audiences")
    return _page(request, membership, bound={key: form})


@access.workspace_view("can_change_settings")
@require_POST
def audience_delete(request: HttpRequest, membership: Membership, audience_id: int) -> HttpResponse:
    audience = get_audience_for_admin(membership, audience_id)
    services.audience_delete(audience=audience)
    messages.success(request, _("Target audience “%(name)s” removed.") % {"name": audience.name})
    return _back(membership, "audiences")


# Channels ----------------------------------------------------------------------------------------
@access.workspace_view("can_change_settings")
@require_POST
def channel_purpose_update(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponse:
    account = access.get_account_for_user(membership, account_id)
    key = f"account-{account.pk}"
    audiences = list(Audience.objects.filter(workspace_id=membership.workspace_id))
    form = ChannelPurposeForm(request.POST, prefix=key, audiences=audiences)
    if not form.is_valid():
        return _page(request, membership, bound={key: form})
    services.channel_purpose_update(
        account=account, purpose=form.cleaned_data["purpose"], audiences=form.cleaned_data["audiences"]
    )
    messages.success(request, _("Saved what %(account)s is for.") % {"account": account})
    return _back(membership, key)
