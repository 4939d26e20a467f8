"""Searching all of a workspace's mentions: text and filters, newest first, a page at a time, with the
matching words highlighted (listening/services/search.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from listening.models import Mention, Source, Topic
from listening.services import search as search_service
from participation.models import Sentiment
from smm.accounts import access
from smm.accounts.models import Membership


class MentionFilterForm(forms.Form):
    """The filters of a list of mentions (a topic's drill-down, the search page)."""

    sentiment = forms.ChoiceField(
        label=gettext_lazy("Sentiment"), required=False, choices=[("", gettext_lazy("Any")), *Sentiment.choices]
    )
    language = forms.CharField(label=gettext_lazy("Language"), required=False, max_length=8)
    network = forms.CharField(label=gettext_lazy("Network"), required=False, max_length=20)
    source = forms.TypedChoiceField(label=gettext_lazy("Source"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sources = Source.objects.filter(workspace_id=workspace_id).values_list("pk", "name")
        self.fields["source"].choices = [("", _("Any")), *sources]  # type: ignore[attr-defined]

    def filter(self, mentions: QuerySet[Mention]) -> QuerySet[Mention]:
        data = self.cleaned_data
        if data.get("source"):
            mentions = mentions.filter(source_id=data["source"])
        return mentions

    def service_filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "sentiment": data.get("sentiment") or "",
            "language": (data.get("language") or "").strip().lower(),
            "network": (data.get("network") or "").strip().lower(),
        }


class SearchForm(MentionFilterForm):
    q = forms.CharField(label=gettext_lazy("Words"), required=False, max_length=search_service.MAX_QUERY)
    topic = forms.TypedChoiceField(label=gettext_lazy("Topic"), required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False)

    field_order = ["q", "topic", "sentiment", "language", "network", "source", "date_from", "date_to"]

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, workspace_id=workspace_id, **kwargs)
        topics = Topic.objects.filter(workspace_id=workspace_id).values_list("pk", "name")
        self.fields["topic"].choices = [("", _("Any")), *topics]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end is before the start."))
        return data

    def service_filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        start, end = data.get("date_from"), data.get("date_to")
        return {
            **super().service_filters(),
            "q": data.get("q") or "",
            "topic_id": data.get("topic"),
            "since": datetime.combine(start, time.min, tzinfo=zone) if start else None,
            "until": datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) if end else None,
        }


def page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


def filter_query(form: forms.Form) -> str:
    """The form's valid values as a query string, for the pagination links."""
    return urlencode({key: value for key, value in form.cleaned_data.items() if value not in (None, "")})


@access.workspace_view()
@require_GET
def mention_search(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = SearchForm(request.GET or None, workspace_id=membership.workspace_id)
    context: dict[str, Any] = {"form": form, "zone": str(timezone.get_current_timezone())}
    if request.GET and not form.is_valid():
        return render(request, "listening/search.html", context, status=400)
    filters = form.service_filters() if request.GET else {}
    mentions = search_service.search(workspace_id=membership.workspace_id, **filters)
    if request.GET:
        mentions = form.filter(mentions)
    mentions = mentions.select_related("source")
    result = search_service.page(mentions, page_number(request))
    marked = search_service.highlights(result.mentions, filters.get("q", ""))
    for mention in result.mentions:
        mention.highlighted = marked.get(mention.pk)  # type: ignore[attr-defined]
    context.update(
        {
            "result": result,
            "query": filter_query(form) if request.GET else "",
        }
    )
    return render(request, "listening/search.html", context)
