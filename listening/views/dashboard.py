"""A topic's dashboard (listening/services/dashboard.py), its mentions (drill-down with highlights,
CSV), a member's correction of a mention's sentiment, and adding an opinion leader to the community."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from listening import query as q
from listening.models import Mention, MentionTopic, Topic
from listening.services import dashboard as dashboard_service
from listening.services import pipeline
from listening.services import search as search_service
from listening.services import topics as topics_service
from listening.views.search import MentionFilterForm, filter_query, page_number
from participation.models import Sentiment
from participation.services.contacts import identity_upsert
from smm.accounts import access
from smm.accounts.models import Membership

CSV_MAX_ROWS = 100_000


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(days, gettext_lazy("%(days)s days") % {"days": days}) for days in dashboard_service.PERIOD_CHOICES],
    )
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False)
    leaders = forms.ChoiceField(
        label=gettext_lazy("Rank opinion leaders by"),
        required=False,
        choices=[
            ("reach", gettext_lazy("Reach")),
            ("engagement", gettext_lazy("Engagement")),
            ("frequency", gettext_lazy("Frequency")),
        ],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if bool(start) != bool(end) and not self.errors:
            raise ValidationError(_("Give both the first and the last day, or choose a period."))
        if start and end:
            if start > end:
                self.add_error("date_to", _("The last day is before the first."))
            elif (end - start).days + 1 > dashboard_service.MAX_DAYS:
                self.add_error("date_to", _("Choose at most %(days)s days.") % {"days": dashboard_service.MAX_DAYS})
        return data

    def period(self) -> dashboard_service.Period:
        zone = timezone.get_current_timezone()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("date_from") and data.get("date_to"):
            return dashboard_service.Period(data["date_from"], data["date_to"], zone)
        days = data.get("days") or dashboard_service.DEFAULT_DAYS
        return dashboard_service.last_days(days, today=timezone.localdate(), zone=zone)


def _period_form(request: HttpRequest) -> PeriodForm:
    asked = any(name in request.GET for name in ("days", "date_from", "date_to", "leaders"))
    return PeriodForm(request.GET if asked else None, initial={"days": dashboard_service.DEFAULT_DAYS})


@access.workspace_view()
@require_GET
def topic_dashboard(request: HttpRequest, membership: Membership, topic_id: int) -> HttpResponse:
    topic = topics_service.get_topic_for_user(membership, topic_id)
    form = _period_form(request)
    if form.is_bound and not form.is_valid():
        context = {"topic": topic, "form": form, "zone": str(timezone.get_current_timezone())}
        return render(request, "listening/dashboard.html", context, status=400)
    period = form.period()
    board = dashboard_service.dashboard(
        topic=topic, period=period, leaders_by=(form.cleaned_data.get("leaders") if form.is_bound else "") or "reach"
    )
    period_query = urlencode({"date_from": period.start.isoformat(), "date_to": period.end.isoformat()})
    context = {
        "topic": topic,
        "form": form,
        "board": board,
        "chart": board.chart(),
        "zone": str(timezone.get_current_timezone()),
        "period_query": period_query,
    }
    return render(request, "listening/dashboard.html", context)


def _topic_mentions(
    request: HttpRequest, membership: Membership, topic: Topic
) -> tuple[MentionFilterForm, PeriodForm, Any]:
    """The topic's mentions in the period that pass the filters, newest first (None: bad filters)."""
    filters = MentionFilterForm(request.GET, workspace_id=membership.workspace_id)
    period_form = _period_form(request)
    if not filters.is_valid() or (period_form.is_bound and not period_form.is_valid()):
        return filters, period_form, None
    period = period_form.period()
    mentions = search_service.search(
        workspace_id=membership.workspace_id,
        topic_id=topic.pk,
        since=period.since,
        until=period.until,
        **filters.service_filters(),
    )
    return filters, period_form, filters.filter(mentions)


def _highlight_terms(topic: Topic) -> q.Highlight | None:
    try:
        return q.terms_for_highlight(q.parse(topic.query))
    except q.QueryError:
        return None


@access.workspace_view()
@require_GET
def topic_mentions(request: HttpRequest, membership: Membership, topic_id: int) -> HttpResponse:
    topic = topics_service.get_topic_for_user(membership, topic_id)
    filters, period_form, mentions = _topic_mentions(request, membership, topic)
    context: dict[str, Any] = {"topic": topic, "filters": filters, "period_form": period_form}
    if mentions is None:
        return render(request, "listening/dashboard_mentions.html", context, status=400)
    period = period_form.period()
    result = search_service.page(mentions.select_related("source"), page_number(request))
    terms = _highlight_terms(topic)
    for mention in result.mentions:
        mention.highlighted = q.highlight(mention.text, terms) if terms else None  # type: ignore[attr-defined]
    query = "&".join(
        part
        for part in (
            filter_query(filters),
            urlencode({"date_from": period.start.isoformat(), "date_to": period.end.isoformat()}),
        )
        if part
    )
    context.update(
        {
            "period": period,
            "result": result,
            "query": query,
            "sentiments": Sentiment.choices,
            "zone": str(timezone.get_current_timezone()),
        }
    )
    return render(request, "listening/dashboard_mentions.html", context)


def _csv_safe(value: str) -> str:
    """Keep spreadsheet apps from running a cell as a formula (CSV injection): mentions come from anyone."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(mentions: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    zone = timezone.get_current_timezone()
    yield "\ufeff" + writer.writerow(  # a byte order mark, so spreadsheet apps read ä and ö as UTF-8
        [
            _("Published"),
            _("Network"),
            _("Author"),
            _("Name"),
            _("Followers"),
            _("Language"),
            _("Sentiment"),
            _("Likes"),
            _("Reposts"),
            _("Replies"),
            _("Link"),
            _("Title"),
            _("Text"),
        ]
    )
    fields = (
        "published_at",
        "network",
        "author_handle",
        "author_name",
        "author_followers",
        "language",
        "sentiment",
        "likes",
        "reposts",
        "replies",
        "url",
        "title",
        "text",
    )
    for row in mentions.values_list(*fields)[:CSV_MAX_ROWS].iterator(chunk_size=2000):
        published, *rest = row
        yield writer.writerow(
            [
                timezone.localtime(published, zone).strftime("%Y-%m-%d %H:%M"),
                *(
                    _csv_safe(str(value)) if isinstance(value, str) else ("" if value is None else value)
                    for value in rest
                ),
            ]
        )


@access.workspace_view()
@require_GET
def topic_mentions_csv(request: HttpRequest, membership: Membership, topic_id: int) -> HttpResponse:
    topic = topics_service.get_topic_for_user(membership, topic_id)
    _filters, period_form, mentions = _topic_mentions(request, membership, topic)
    if mentions is None:
        return HttpResponse(_("Check the filters."), status=400, content_type="text/plain; charset=utf-8")
    period = period_form.period()
    response = StreamingHttpResponse(_csv_rows(mentions), content_type="text/csv; charset=utf-8")
    filename = f"mentions-{topic.pk}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # type: ignore[return-value]


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = str(request.POST.get("next", ""))
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return redirect(target)
    return redirect(fallback)


@access.workspace_view("can_draft")
@require_POST
def mention_sentiment(request: HttpRequest, membership: Membership, topic_id: int, mention_id: int) -> HttpResponse:
    """A member's correction of one mention's sentiment (kept and used for the same text later)."""
    topic = topics_service.get_topic_for_user(membership, topic_id)
    link = MentionTopic.objects.filter(topic=topic, mention_id=mention_id, workspace_id=membership.workspace_id)
    mention = Mention.objects.filter(pk=mention_id, workspace_id=membership.workspace_id).first()
    if mention is None or not link.exists():
        raise Http404
    try:
        pipeline.correct_sentiment(mention=mention, to=str(request.POST.get("sentiment", "")), user=membership.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Sentiment corrected."))
    return _back(request, reverse("listening:topic-mentions", args=[membership.workspace.slug, topic.pk]))


class LeaderForm(forms.Form):
    network = forms.CharField(max_length=20)
    author_id = forms.CharField(max_length=300)
    handle = forms.CharField(max_length=300)
    name = forms.CharField(max_length=200, required=False)


@access.workspace_view("can_draft")
@require_POST
def leader_add(request: HttpRequest, membership: Membership, topic_id: int) -> HttpResponse:
    """Add an opinion leader to the community: a contact with their identity on the network (or the
    one already there), then their member page."""
    topic = topics_service.get_topic_for_user(membership, topic_id)
    form = LeaderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That author could not be added."))
        return redirect("listening:topic-dashboard", slug=membership.workspace.slug, topic_id=topic.pk)
    data = form.cleaned_data
    # Only an author who has written about this topic: not a way to make arbitrary contacts.
    if not Mention.objects.filter(
        workspace_id=membership.workspace_id,
        topic_links__topic=topic,
        network=data["network"],
        author_handle=data["handle"],
    ).exists():
        raise Http404
    identity = identity_upsert(
        workspace_id=membership.workspace_id,
        network=data["network"],
        remote_id=data["author_id"],
        handle=data["handle"],
        display_name=data["name"],
    )
    messages.success(request, _("%(handle)s is in the community now.") % {"handle": data["handle"]})
    return redirect("community:member", slug=membership.workspace.slug, contact_id=identity.contact_id)
