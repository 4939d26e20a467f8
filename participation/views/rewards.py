"""Reward pages: programmes and their rules (owners and admins), the ledger and the leaderboard
(every member), awards and redemptions by hand (members who publish), reversals (owners and admins)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from participation import access as inbox_access
from participation.community_forms import AwardForm, LeaderboardForm, ProgrammeForm, RedeemForm, ReverseForm, RuleForm
from participation.models import RewardProgramme
from participation.services import rewards
from participation.setup_forms import add_service_errors
from participation.views.community import describe_entries, member_page
from smm.accounts import access
from smm.accounts.models import Membership

PAGE_SIZE = 25


def _to_programme(membership: Membership, programme: RewardProgramme, anchor: str = "") -> HttpResponse:
    response = redirect("community:programme", slug=membership.workspace.slug, programme_id=programme.pk)
    response["Location"] += f"#{anchor}" if anchor else ""
    return response


# Programmes --------------------------------------------------------------------------------------
@access.workspace_view()
@require_GET
def programmes(request: HttpRequest, membership: Membership) -> HttpResponse:
    context = {"programmes": rewards.programme_summaries(membership.workspace_id)}
    return render(request, "participation/community/programmes.html", context)


@access.workspace_view("is_admin")
@require_http_methods(["GET", "POST"])
def programme_edit(request: HttpRequest, membership: Membership, programme_id: int | None = None) -> HttpResponse:
    """Add (no id) or change a programme."""
    programme = (
        inbox_access.get_programme_for_user(membership, programme_id, capability="is_admin") if programme_id else None
    )
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        try:
            saved = rewards.programme_save(
                workspace=membership.workspace,
                programme=programme,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                active=form.cleaned_data["active"],
                actor=membership.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Programme “%(name)s” saved.") % {"name": saved.name})
            return _to_programme(membership, saved)
    context = {"form": form, "programme": programme}
    return render(request, "participation/community/programme_form.html", context, status=400 if form.errors else 200)


@access.workspace_view("is_admin")
@require_POST
def programme_delete(request: HttpRequest, membership: Membership, programme_id: int) -> HttpResponse:
    programme = inbox_access.get_programme_for_user(membership, programme_id, capability="is_admin")
    try:
        rewards.programme_delete(programme=programme, actor=membership.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _to_programme(membership, programme)
    messages.success(request, _("Programme “%(name)s” deleted.") % {"name": programme.name})
    return redirect("community:rewards", slug=membership.workspace.slug)


@access.workspace_view()
@require_GET
def programme(request: HttpRequest, membership: Membership, programme_id: int) -> HttpResponse:
    """One programme: its rules and its leaderboard (all time or a recent period)."""
    programme = inbox_access.get_programme_for_user(membership, programme_id)
    return _programme_page(request, membership, programme)


def _programme_page(
    request: HttpRequest,
    membership: Membership,
    programme: RewardProgramme,
    *,
    rule_form: RuleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    period = LeaderboardForm(request.GET or None)
    delta = period.since_delta()
    context = {
        "programme": programme,
        "rules": programme.rules.all(),
        "rule_form": rule_form or RuleForm(),
        "period": period,
        "leaderboard": rewards.leaderboard(
            programme=programme, since=timezone.now() - delta if delta else None, limit=50
        ),
        "recent_page": describe_entries(
            list(rewards.ledger_for(workspace_id=membership.workspace_id, programme=programme)[:10]), membership
        ),
    }
    return render(request, "participation/community/programme.html", context, status=status)


# Rules -------------------------------------------------------------------------------------------
@access.workspace_view("is_admin")
@require_POST
def rule_new(request: HttpRequest, membership: Membership, programme_id: int) -> HttpResponse:
    programme = inbox_access.get_programme_for_user(membership, programme_id, capability="is_admin")
    form = RuleForm(request.POST)
    if form.is_valid():
        try:
            rewards.rule_save(
                programme=programme,
                action=form.cleaned_data["action"],
                points=form.cleaned_data["points"],
                badge=form.cleaned_data["badge"],
                active=form.cleaned_data["active"],
                actor=membership.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Rule added."))
            return _to_programme(membership, programme, "rules")
    return _programme_page(request, membership, programme, rule_form=form, status=400)


@access.workspace_view("is_admin")
@require_POST
def rule_toggle(request: HttpRequest, membership: Membership, programme_id: int, rule_id: int) -> HttpResponse:
    """Switch a rule on or off (a rule that awarded stays in the ledger's history)."""
    programme = inbox_access.get_programme_for_user(membership, programme_id, capability="is_admin")
    rule = inbox_access.get_reward_rule_for_user(membership, programme, rule_id, capability="is_admin")
    rewards.rule_save(
        programme=programme,
        rule=rule,
        action=rule.action,
        points=rule.points,
        badge=rule.badge,
        active=not rule.active,
        actor=membership.user,
    )
    messages.success(request, _("Rule switched on.") if rule.active else _("Rule switched off."))
    return _to_programme(membership, programme, "rules")


@access.workspace_view("is_admin")
@require_POST
def rule_delete(request: HttpRequest, membership: Membership, programme_id: int, rule_id: int) -> HttpResponse:
    programme = inbox_access.get_programme_for_user(membership, programme_id, capability="is_admin")
    rule = inbox_access.get_reward_rule_for_user(membership, programme, rule_id, capability="is_admin")
    try:
        rewards.rule_delete(rule=rule, actor=membership.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Rule deleted."))
    return _to_programme(membership, programme, "rules")


# The ledger --------------------------------------------------------------------------------------
@access.workspace_view()
@require_GET
def ledger(request: HttpRequest, membership: Membership, programme_id: int) -> HttpResponse:
    programme = inbox_access.get_programme_for_user(membership, programme_id)
    entries = rewards.ledger_for(workspace_id=membership.workspace_id, programme=programme)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    describe_entries(page, membership)
    context = {"programme": programme, "page": page}
    return render(request, "participation/community/ledger.html", context)


@access.workspace_view("is_admin")
@require_POST
def entry_reverse(request: HttpRequest, membership: Membership, entry_id: int) -> HttpResponse:
    entry = inbox_access.get_ledger_entry_for_user(membership, entry_id, capability="is_admin")
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the entry is reversed."))
    else:
        try:
            rewards.reverse(entry=entry, note=form.cleaned_data["note"], actor=membership.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Reversed: %(points)+d points.") % {"points": -entry.points})
    if request.POST.get("next") == "member" and entry.contact_id:
        response = redirect("community:member", slug=membership.workspace.slug, contact_id=entry.contact_id)
        response["Location"] += "#rewards"
        return response
    return redirect("community:ledger", slug=membership.workspace.slug, programme_id=entry.programme_id)


# Awards and redemptions on a member's page -------------------------------------------------------
@access.workspace_view("can_publish")
@require_POST
def member_award(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    contact = inbox_access.get_contact_for_user(membership, contact_id, capability="can_publish")
    form = AwardForm(request.POST, workspace_id=membership.workspace_id)
    if form.is_valid():
        try:
            entry = rewards.award_by_hand(
                contact=contact, rule=form.cleaned_data["rule"], note=form.cleaned_data["note"], actor=membership.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Awarded in %(programme)s: %(points)+d points.")
                % {"programme": entry.programme.name, "points": entry.points},
            )
            return _to_member(membership, contact.pk)
    return member_page(request, membership, contact, status=400, award_form=form)


@access.workspace_view("can_publish")
@require_POST
def member_redeem(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    contact = inbox_access.get_contact_for_user(membership, contact_id, capability="can_publish")
    form = RedeemForm(request.POST, workspace_id=membership.workspace_id)
    if form.is_valid():
        try:
            rewards.redeem(
                contact=contact,
                programme=form.cleaned_data["programme"],
                points=form.cleaned_data["points"],
                note=form.cleaned_data["note"],
                actor=membership.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Redeemed %(points)d points.") % {"points": form.cleaned_data["points"]})
            return _to_member(membership, contact.pk)
    return member_page(request, membership, contact, status=400, redeem_form=form)


def _to_member(membership: Membership, contact_id: int) -> HttpResponse:
    response = redirect("community:member", slug=membership.workspace.slug, contact_id=contact_id)
    response["Location"] += "#rewards"
    return response
