"""The content calendar: month, week and list views of scheduled and published posts, drag to move."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from publishing import access as publishing_access
from publishing.forms import PostFilterForm
from publishing.models import Post, Target
from publishing.services import posts, queues
from smm.accounts import access
from smm.accounts.models import AccountLevel, Membership
from smm.accounts.services import account_level_for
from smm.networks.models import ConnectedAccount

MAX_RANGE = timedelta(days=62)
# Later in this list is worse; an event with several targets shows its worst one.
SEVERITY: list[str] = [
    Target.Status.SCHEDULED,
    Target.Status.PUBLISHED,
    Target.Status.PUBLISHING,
    Target.Status.RETRYING,
    Target.Status.HELD,
    Target.Status.FAILED,
    Target.Status.UNCONFIRMED,
    Target.Status.ATTENTION,
]
MOVABLE = (Target.Status.SCHEDULED, Target.Status.HELD)
STATUS_COLOURS: dict[str, str] = {
    Target.Status.SCHEDULED: "#0d6efd",
    Target.Status.PUBLISHED: "#198754",
    Target.Status.PUBLISHING: "#6f42c1",
    Target.Status.RETRYING: "#6f42c1",
    Target.Status.HELD: "#fd7e14",
    Target.Status.FAILED: "#dc3545",
    Target.Status.UNCONFIRMED: "#dc3545",
    Target.Status.ATTENTION: "#dc3545",
}


@access.workspace_view()
def calendar(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = PostFilterForm(request.GET or None, membership=membership)
    context = {
        "form": form,
        "zone": timezone.get_current_timezone_name(),
        "can_publish": membership.can_publish,
    }
    return render(request, "publishing/calendar.html", context)


def _parse_bound(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value.replace(" ", "+"))
    if parsed is None:
        try:
            parsed = datetime.combine(date.fromisoformat(value[:10]), datetime.min.time())
        except ValueError:
            return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _local_iso(instant: datetime) -> str:
    """A wall time in the viewer's zone without an offset: the calendar shows it as it is."""
    return timezone.localtime(instant).replace(tzinfo=None).isoformat(timespec="minutes")


@access.workspace_view()
@require_GET
def calendar_events(request: HttpRequest, membership: Membership) -> JsonResponse:
    """FullCalendar's event feed: one event per post and time, plus rhythm gaps as background."""
    start, end = _parse_bound(request.GET.get("start")), _parse_bound(request.GET.get("end"))
    if start is None or end is None or end <= start:
        return JsonResponse({"error": _("Give a start and an end.")}, status=400)
    end = min(end, start + MAX_RANGE)
    visible = publishing_access.visible_account_ids(membership)
    targets = (
        Target.objects.for_workspace(membership.workspace_id)
        .filter(account_id__in=visible, scheduled_at__gte=start, scheduled_at__lt=end)
        .exclude(status__in=[Target.Status.DRAFT, Target.Status.CANCELLED])
        .select_related("account", "post__campaign")
    )
    form = PostFilterForm(request.GET, membership=membership)
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            targets = targets.filter(post__status=data["status"])
        if data["account"]:
            targets = targets.filter(account=data["account"])
        if data["campaign"]:
            targets = targets.filter(post__campaign=data["campaign"])
        if data["label"]:
            targets = targets.filter(post__labels=data["label"])
        if data["author"]:
            targets = targets.filter(post__author=data["author"].user)
        if data["q"]:
            targets = targets.filter(post__text__icontains=data["q"])
    levels: dict[int, int] = {}
    groups: dict[tuple[int, datetime], list[Target]] = defaultdict(list)
    for target in targets:
        groups[(target.post_id, target.scheduled_at)].append(target)  # type: ignore[index]
    events: list[dict[str, Any]] = []
    for (post_id, scheduled_at), group in groups.items():
        post: Post = group[0].post
        for target in group:
            if target.account_id not in levels:
                levels[target.account_id] = account_level_for(membership=membership, account=target.account)
        movable = all(t.status in MOVABLE and levels[t.account_id] >= AccountLevel.PUBLISH for t in group)
        worst = max(group, key=lambda t: SEVERITY.index(t.status) if t.status in SEVERITY else 0)
        colour = STATUS_COLOURS.get(worst.status, "#6c757d")
        events.append(
            {
                "id": f"{post_id}@{scheduled_at.isoformat()}",
                "title": str(post),
                "start": _local_iso(scheduled_at),
                "allDay": False,
                "editable": movable,
                "backgroundColor": colour,
                "borderColor": post.campaign.color if post.campaign else colour,
                "url": reverse("publishing:post-detail", args=[membership.workspace.slug, post_id]),
                "extendedProps": {
                    "targets": [t.pk for t in group],
                    "accounts": [f"{t.account.get_network_display()} {t.account.handle}" for t in group],
                    "status": worst.get_status_display(),
                    "campaign": post.campaign.name if post.campaign else "",
                },
            }
        )
    accounts = list(ConnectedAccount.objects.filter(pk__in=visible).connected())
    if form.is_valid() and form.cleaned_data["account"]:
        accounts = [a for a in accounts if a.pk == form.cleaned_data["account"].pk]
    today = timezone.localdate()
    first_day = max(timezone.localtime(start).date(), today)
    last_day = timezone.localtime(end).date()
    if first_day < last_day:
        weeks = (last_day - first_day).days // 7 + 1
        for gap in queues.rhythm_gaps(accounts=accounts, start=first_day, weeks=weeks):
            if gap.end <= today or gap.start >= last_day:
                continue
            events.append(
                {
                    "id": f"gap-{gap.account.pk}-{gap.start.isoformat()}",
                    "start": gap.start.isoformat(),
                    "end": gap.end.isoformat(),
                    "allDay": True,
                    "display": "background",
                    "classNames": ["rhythm-gap"],
                    "title": ngettext(
                        "%(account)s: %(planned)s of %(wanted)s post planned",
                        "%(account)s: %(planned)s of %(wanted)s posts planned",
                        gap.wanted,
                    )
                    % {
                        "account": gap.account.display_name or gap.account.handle,
                        "planned": gap.planned,
                        "wanted": gap.wanted,
                    },
                    "extendedProps": {"gap": True},
                }
            )
    return JsonResponse(events, safe=False)


@access.workspace_view("can_publish")
@require_POST
def calendar_move(request: HttpRequest, membership: Membership) -> JsonResponse:
    """A drag in the calendar: move the event's targets to the new wall time (checked like a new schedule)."""
    raw_ids = [part for part in request.POST.get("targets", "").split(",") if part.strip().isdigit()]
    new_start = parse_datetime(request.POST.get("start", "").replace(" ", "+"))
    if not raw_ids or new_start is None:
        return JsonResponse({"error": _("That move did not say what to move where.")}, status=400)
    targets = [
        publishing_access.get_target_for_user(membership, int(target_id), level=AccountLevel.PUBLISH)
        for target_id in raw_ids
    ]
    if len({target.post_id for target in targets}) != 1:
        return JsonResponse({"error": _("Move one post at a time.")}, status=400)
    wall = new_start.replace(tzinfo=None)
    try:
        moved = posts.targets_reschedule(
            membership=membership,
            targets=targets,
            at_local=wall,
            zone=timezone.get_current_timezone_name(),
            confirmed=request.POST.get("confirmed") == "1",
        )
    except posts.NeedsConfirmation as error:
        return JsonResponse({"confirm": list(error.messages)}, status=409)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse({"ok": True, "start": _local_iso(moved[0].scheduled_at) if moved[0].scheduled_at else ""})
