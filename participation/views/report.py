"""The response-time report: median and 90th percentile first response per member, per account and
per ISO week, against the targets, for a period in the user's time zone; also as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from participation import access as inbox_access
from participation import selectors
from participation.services import conversations
from participation.setup_forms import ReportPeriodForm
from smm.accounts import access
from smm.accounts.models import Membership
from smm.networks.models import ConnectedAccount


def _weeks(start: date, end: date) -> list[str]:
    """Every ISO week the period touches, as response_report names them ("2026-W07")."""
    monday = start - timedelta(days=start.weekday())
    weeks = []
    while monday <= end:
        year, week, _day = monday.isocalendar()
        weeks.append(f"{year}-W{week:02d}")
        monday += timedelta(days=7)
    return weeks


def _report(membership: Membership, start: date, end: date) -> dict[str, Any]:
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    numbers = conversations.response_report(workspace_id=membership.workspace_id, since=since, until=until)
    # The report covers the whole workspace; rows of accounts the member may not see are left out.
    visible = {
        str(account) for account in ConnectedAccount.objects.filter(pk__in=inbox_access.visible_account_ids(membership))
    }
    accounts = [row for row in numbers["account"] if row["key"] in visible]
    hidden = len(numbers["account"]) - len(accounts)
    targets = conversations.targets_for(membership.workspace_id)
    by_week = {row["key"]: row["median"] for row in numbers["week"]}
    weeks = _weeks(start, end)
    return {
        "members": numbers["member"],
        "accounts": accounts,
        "accounts_note": ngettext(
            "One account you cannot see is left out of this table.",
            "%(count)s accounts you cannot see are left out of this table.",
            hidden,
        )
        % {"count": hidden}
        if hidden
        else "",
        "weeks": numbers["week"],
        "targets": targets,
        "breaches": selectors.breaches_in_period(
            workspace_id=membership.workspace_id, since=since, until=until, targets=targets
        ),
        "chart": {
            "labels": weeks,
            "medians": [round(by_week[week], 1) if week in by_week else None for week in weeks],
            "target": targets.first_response_minutes,
            "label": _("Median first response (minutes)"),
            "targetLabel": _("Target (minutes)"),
        },
        "zone": str(zone),
    }


def _csv_safe(value: str) -> str:
    """Keep spreadsheet apps from running a cell as a formula (CSV injection): names come from people."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _csv(membership: Membership, start: date, end: date, report: dict[str, Any]) -> HttpResponse:
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow([_("Group"), _("Name"), _("Conversations"), _("Median (minutes)"), _("90th percentile (minutes)")])
    for group, rows in (
        (_("Member"), report["members"]),
        (_("Account"), report["accounts"]),
        (_("Week"), report["weeks"]),
    ):
        for row in rows:
            writer.writerow([group, _csv_safe(row["key"]), row["count"], f"{row['median']:.1f}", f"{row['p90']:.1f}"])
    targets, breaches = report["targets"], report["breaches"]
    writer.writerow([_("Conversations"), _("All in the period"), breaches.conversations, "", ""])
    first = _("First response later than %(minutes)s minutes") % {"minutes": targets.first_response_minutes}
    resolution = _("Resolved later than %(minutes)s minutes") % {"minutes": targets.resolution_minutes}
    writer.writerow([_("Missed targets"), first, breaches.first_response, "", ""])
    writer.writerow([_("Missed targets"), resolution, breaches.resolution, "", ""])
    # A byte order mark, so spreadsheet apps read the names (ä, ö) as UTF-8.
    response = HttpResponse("\ufeff" + output.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"response-times-{membership.workspace.slug}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@access.workspace_view()
@require_GET
def report(request: HttpRequest, membership: Membership) -> HttpResponse:
    start, end = ReportPeriodForm.default_period()
    asked = "date_from" in request.GET or "date_to" in request.GET
    form = ReportPeriodForm(request.GET if asked else None, initial={"date_from": start, "date_to": end})
    if asked and not form.is_valid():
        return render(request, "participation/report.html", {"form": form}, status=400)
    if asked:
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    numbers = _report(membership, start, end)
    if request.GET.get("download") == "csv":
        return _csv(membership, start, end, numbers)
    query = f"date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}"
    context = {"form": form, "start": start, "end": end, "csv_query": f"{query}&download=csv", **numbers}
    return render(request, "participation/report.html", context)
