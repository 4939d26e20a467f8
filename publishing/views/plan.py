"""The content plan around posts: publishing settings and pause, queues and rhythm, campaigns,
labels and blackout windows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from publishing import access as publishing_access
from publishing.forms import BlackoutForm, CampaignForm, LabelForm, PauseForm, PublishingSettingsForm, QueueForm
from publishing.models import AccountPlan, Blackout, Campaign, Label, QueueSlot, Target
from publishing.services import posts, queues
from smm.accounts import access
from smm.accounts.models import AccountLevel, Membership
from smm.networks.models import ConnectedAccount


# Settings and pause ------------------------------------------------------------------------------
@access.workspace_view()
def publishing_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    policy = posts.publishing_settings(membership.workspace_id)
    if request.method == "POST":
        access.require(membership, "can_change_settings")
    form = PublishingSettingsForm(request.POST or None, instance=policy)
    if not membership.can_change_settings:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        posts.publishing_settings_update(membership=membership, request=request, **form.cleaned_data)
        messages.success(request, _("Publishing settings saved."))
        return redirect("publishing:settings", slug=membership.workspace.slug)
    held = Target.objects.for_workspace(membership.workspace_id).filter(status=Target.Status.HELD).count()
    context = {"form": form, "policy": policy, "pause_form": PauseForm(), "held_count": held}
    return render(request, "publishing/settings.html", context, status=400 if form.errors else 200)


@access.workspace_view("can_publish")
@require_POST
def publishing_pause(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = PauseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    posts.publishing_pause(membership=membership, reason=reason, request=request)
    messages.warning(request, _("Publishing is paused. Nothing goes out until someone resumes it."))
    return redirect(request.POST.get("next") or "publishing:settings", slug=membership.workspace.slug)


@access.workspace_view("can_publish")
@require_POST
def publishing_resume(request: HttpRequest, membership: Membership) -> HttpResponse:
    held = posts.publishing_resume(membership=membership, request=request)
    if held:
        messages.success(
            request,
            _("Publishing resumed. %(count)s held posts wait for your decision below.") % {"count": held},
        )
        return redirect("publishing:held", slug=membership.workspace.slug)
    messages.success(request, _("Publishing resumed."))
    return redirect("publishing:settings", slug=membership.workspace.slug)


# Queues ------------------------------------------------------------------------------------------
@access.workspace_view()
def queue_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    visible = publishing_access.visible_account_ids(membership)
    accounts = list(ConnectedAccount.objects.filter(pk__in=visible).connected().select_related("workspace"))
    slots: dict[int, list[QueueSlot]] = {}
    for slot in QueueSlot.objects.filter(account__in=accounts):
        slots.setdefault(slot.account_id, []).append(slot)
    plans = {plan.account_id: plan for plan in AccountPlan.objects.filter(account__in=accounts)}
    rows = []
    for account in accounts:
        rows.append(
            {
                "account": account,
                "slots": slots.get(account.pk, []),
                "plan": plans.get(account.pk),
                "next": queues.queue_next_slot(account=account) if slots.get(account.pk) else None,
            }
        )
    return render(request, "publishing/queue_list.html", {"rows": rows})


@access.workspace_view()
def queue_edit(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponse:
    account = access.get_account_for_user(membership, account_id)
    if request.method == "POST":
        account = access.get_account_for_user(membership, account_id, AccountLevel.MANAGE)
    plan = AccountPlan.objects.filter(account=account).first()
    initial: dict[str, object] = {
        "timezone": account.timezone,
        "posts_per_period": plan.posts_per_period if plan else 0,
        "period": plan.period if plan else AccountPlan.Period.WEEK,
    }
    for slot in QueueSlot.objects.filter(account=account).order_by("time"):
        key = f"day_{slot.weekday}"
        initial[key] = ", ".join(filter(None, [str(initial.get(key) or ""), slot.time.strftime("%H:%M")]))
    form = QueueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            ConnectedAccount.objects.filter(pk=account.pk).update(timezone=form.cleaned_data["timezone"])
            queues.queue_set_slots(account=account, slots=form.cleaned_data["slots"])
            queues.plan_set(
                account=account,
                posts_per_period=form.cleaned_data["posts_per_period"],
                period=form.cleaned_data["period"],
            )
        messages.success(request, _("Queue times saved for %(account)s.") % {"account": account})
        return redirect("publishing:queues", slug=membership.workspace.slug)
    context = {"account": account, "form": form, "zone": account.zone_name}
    return render(request, "publishing/queue_edit.html", context, status=400 if form.errors else 200)


# Campaigns and labels ----------------------------------------------------------------------------
@access.workspace_view()
def campaign_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    campaigns = Campaign.objects.filter(workspace_id=membership.workspace_id)
    page = Paginator(campaigns, 25).get_page(request.GET.get("page"))
    labels = Label.objects.filter(workspace_id=membership.workspace_id)
    form = CampaignForm(workspace_id=membership.workspace_id)
    label_form = LabelForm(workspace_id=membership.workspace_id)
    context = {"page": page, "labels": labels, "form": form, "label_form": label_form}
    return render(request, "publishing/campaigns.html", context)


@access.workspace_view("can_publish")
def campaign_edit(request: HttpRequest, membership: Membership, campaign_id: int | None = None) -> HttpResponse:
    campaign = publishing_access.get_campaign_for_user(membership, campaign_id, write=True) if campaign_id else None
    form = CampaignForm(request.POST or None, instance=campaign, workspace_id=membership.workspace_id)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Campaign saved."))
        return redirect("publishing:campaigns", slug=membership.workspace.slug)
    return render(
        request,
        "publishing/campaign_edit.html",
        {"form": form, "campaign": campaign},
        status=400 if form.errors else 200,
    )


@access.workspace_view("can_publish")
@require_POST
def label_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = LabelForm(request.POST, workspace_id=membership.workspace_id)
    if form.is_valid():
        form.save()
        messages.success(request, _("Label added."))
    else:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect("publishing:campaigns", slug=membership.workspace.slug)


@access.workspace_view("can_publish")
@require_POST
def label_delete(request: HttpRequest, membership: Membership, label_id: int) -> HttpResponse:
    label = publishing_access.get_label_for_user(membership, label_id, write=True)
    label.delete()
    messages.success(request, _("Label “%(name)s” deleted; posts keep everything else.") % {"name": label.name})
    return redirect("publishing:campaigns", slug=membership.workspace.slug)


# Blackouts ---------------------------------------------------------------------------------------
@access.workspace_view()
def blackout_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = BlackoutForm(request.POST or None, workspace_id=membership.workspace_id)
    if request.method == "POST":
        access.require(membership, "can_publish")
        if form.is_valid():
            try:
                queues.blackout_create(
                    workspace=membership.workspace,
                    title=form.cleaned_data["title"],
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                    accounts=list(form.cleaned_data["accounts"]),
                    created_by=membership.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Blackout added. Queues skip it from now on."))
                return redirect("publishing:blackouts", slug=membership.workspace.slug)
    blackouts = (
        Blackout.objects.filter(workspace_id=membership.workspace_id, ends_at__gte=timezone.now())
        .prefetch_related("accounts")
        .order_by("starts_at")
    )
    page = Paginator(blackouts, 25).get_page(request.GET.get("page"))
    return render(
        request, "publishing/blackouts.html", {"form": form, "page": page}, status=400 if form.errors else 200
    )


@access.workspace_view("can_publish")
@require_POST
def blackout_delete(request: HttpRequest, membership: Membership, blackout_id: int) -> HttpResponse:
    blackout = publishing_access.get_blackout_for_user(membership, blackout_id, write=True)
    blackout.delete()
    messages.success(request, _("Blackout “%(title)s” removed.") % {"title": blackout.title})
    return redirect("publishing:blackouts", slug=membership.workspace.slug)
