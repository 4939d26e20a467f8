"""Listening alerts: the alerts (with the mentions behind each), acknowledging, and the rules."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from listening.alert_forms import AlertRuleForm
from listening.models import AlertRule
from listening.services import alerts
from smm.accounts import access
from smm.accounts.models import Membership

PAGE_SIZE = 25
RULE_FIELDS = (
    "topic",
    "name",
    "kind",
    "sensitivity",
    "min_mentions",
    "keywords",
    "send_email",
    "slack_url",
    "teams_url",
    "discord_url",
    "webhook_secret",
    "active",
)


@access.workspace_view()
@require_GET
def alert_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    page = Paginator(alerts.alerts_for_member(membership), PAGE_SIZE).get_page(request.GET.get("page"))
    for alert in page:
        alert.summary = alerts.alert_summary(alert)  # type: ignore[attr-defined]
    context = {"page": page, "rules": alerts.rules_for_member(membership)[:100]}
    return render(request, "listening/alerts.html", context)


@access.workspace_view()
@require_GET
def alert_detail(request: HttpRequest, membership: Membership, alert_id: int) -> HttpResponse:
    alert = alerts.get_alert_for_user(membership, alert_id)
    day = timezone.localdate(alert.bucket_start)
    filters: dict[str, str | int] = {"topic": alert.topic_id, "date_from": day.isoformat(), "date_to": day.isoformat()}
    if alert.kind == AlertRule.Kind.NEGATIVE:
        filters["sentiment"] = "negative"
    search_url = reverse("listening:search", args=[membership.workspace.slug]) + "?" + urlencode(filters)
    context = {
        "search_url": search_url,
        "alert": alert,
        "summary": alerts.alert_summary(alert),
        "mentions": alerts.alert_mentions(alert),
        "bucket_end": alert.bucket_start + alerts.BUCKET,
    }
    return render(request, "listening/alert_detail.html", context)


@access.workspace_view("can_publish")
@require_POST
def alert_acknowledge(request: HttpRequest, membership: Membership, alert_id: int) -> HttpResponse:
    alert = alerts.get_alert_for_user(membership, alert_id, write=True)
    if alerts.alert_acknowledge(membership=membership, alert=alert):
        messages.success(request, _("Alert acknowledged."))
    else:
        messages.info(request, _("The alert was already acknowledged."))
    return redirect("listening:alert-detail", membership.workspace.slug, alert.pk)


@access.workspace_view("can_publish")
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, membership: Membership, rule_id: int | None = None) -> HttpResponse:
    rule = alerts.get_rule_for_user(membership, rule_id, write=True) if rule_id else None
    if rule is not None:
        initial = {name: getattr(rule, name) for name in RULE_FIELDS if name != "webhook_secret"}
        initial["notify_members"] = list(rule.notify_members.all())
    else:
        initial = {"active": True, "sensitivity": 3, "min_mentions": 10, "notify_members": [membership.user]}
        if request.GET.get("topic", "").isdigit():
            initial["topic"] = int(request.GET["topic"])
    form = AlertRuleForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        topics=alerts.topics_for_rules(membership),
        members=alerts.members_for_rules(membership),
    )
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in (*RULE_FIELDS, "notify_members")}
        if form.cleaned_data["clear_secret"]:
            values["webhook_secret"] = ""
        elif not values["webhook_secret"] and rule is not None:
            values["webhook_secret"] = rule.webhook_secret
        try:
            rule = alerts.rule_save(membership=membership, rule=rule, values=values)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(request, _("Alert rule saved. It is checked every minute."))
            return redirect("listening:alerts", membership.workspace.slug)
    status = 400 if form.errors else 200
    context = {"form": form, "rule": rule, "kinds": AlertRule.Kind}
    return render(request, "listening/alert_rule_form.html", context, status=status)


@access.workspace_view("can_publish")
@require_POST
def rule_delete(request: HttpRequest, membership: Membership, rule_id: int) -> HttpResponse:
    rule = alerts.get_rule_for_user(membership, rule_id, write=True)
    alerts.rule_delete(membership=membership, rule=rule)
    messages.success(request, _("Alert rule deleted."))
    return redirect("listening:alerts", membership.workspace.slug)


@access.workspace_view("can_publish")
@require_POST
def rule_test(request: HttpRequest, membership: Membership, rule_id: int) -> HttpResponse:
    rule = alerts.get_rule_for_user(membership, rule_id, write=True)
    results = alerts.alert_send_test(rule=rule)
    if not results:
        messages.warning(request, _("The rule has no members to notify and no webhooks."))
    for channel, error in results.items():
        label = alerts.channel_labels().get(channel, channel)
        if error:
            messages.error(request, _("%(channel)s: %(error)s") % {"channel": label, "error": error})
        else:
            messages.success(request, _("%(channel)s: test alert sent.") % {"channel": label})
    return redirect("listening:rule-edit", membership.workspace.slug, rule.pk)
