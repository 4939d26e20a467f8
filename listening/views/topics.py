"""Listening topics: the list with each topic's volume of the last days; the form with the query
checked and explained as it is typed, and tried on the mentions already collected."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from listening import query as q
from listening.forms import TopicForm
from listening.models import Mention, Topic
from listening.services import topics
from smm.accounts import access
from smm.accounts.models import Membership

PAGE_SIZE = 25


@access.workspace_view()
@require_GET
def topic_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    page = Paginator(topics.topics_with_volume(membership.workspace_id), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "recent_days": topics.RECENT_DAYS}
    return render(request, "listening/topics.html", context)


def _add_errors(form: TopicForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _posted_query(request: HttpRequest) -> str:
    """The query typed so far; one character over the limit is enough to say it is too long."""
    return str(request.POST.get("query", ""))[: q.MAX_LENGTH + 1]


def _check(text: str) -> dict[str, Any]:
    """The live check's context: the query in words, or what is wrong and where."""
    if not text.strip():
        return {"check_empty": True}
    try:
        node = q.parse(text)
    except q.QueryError as error:
        return {"check_error": error.message, "check_position": error.position + 1, "check_query": text}
    return {"check_explain": q.explain(node)}


def _form_page(
    request: HttpRequest, membership: Membership, form: TopicForm, topic: Topic | None, **extra: Any
) -> HttpResponse:
    query_text = form["query"].value() or ""
    context = {
        "form": form,
        "topic": topic,
        "try_scan": topics.TRY_SCAN,
        "try_shown": topics.TRY_SHOWN,
        **_check(str(query_text)),
        **extra,
    }
    return render(request, "listening/topics_form.html", context, status=400 if form.errors else 200)


@access.workspace_view("can_publish")
@require_http_methods(["GET", "POST"])
def topic_edit(request: HttpRequest, membership: Membership, topic_id: int | None = None) -> HttpResponse:
    """A new topic (no id) or a change to one; saving parses the query again into Topic.compiled."""
    topic = topics.get_topic_for_user(membership, topic_id, write=True) if topic_id else None
    initial = (
        {name: getattr(topic, name) for name in topics.AUDITED} if topic else {"active": True, "category": "brand"}
    )
    # Not instance=topic: the form would change the topic before the service compares old and new.
    form = TopicForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in topics.AUDITED}
        try:
            if topic is None:
                saved = topics.topic_create(workspace=membership.workspace, actor=membership.user, **values)
            else:
                saved = topics.topic_update(topic=topic, actor=membership.user, **values)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Topic “%(name)s” saved.") % {"name": saved.name})
            return redirect("listening:topics", slug=membership.workspace.slug)
    return _form_page(request, membership, form, topic)


@access.workspace_view("can_publish")
@require_POST
def topic_delete(request: HttpRequest, membership: Membership, topic_id: int) -> HttpResponse:
    topic = topics.get_topic_for_user(membership, topic_id, write=True)
    topics.topic_delete(topic=topic, actor=membership.user)
    messages.success(request, _("Topic “%(name)s” deleted.") % {"name": topic.name})
    return redirect("listening:topics", slug=membership.workspace.slug)


@access.workspace_view("can_publish")
@require_POST
def topic_check(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The query in words, or where it goes wrong (htmx, as the query is typed)."""
    return render(request, "listening/_topic_check.html", _check(_posted_query(request)))


@access.workspace_view("can_publish")
@require_POST
def topic_try(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Which of the latest collected mentions the query in the form matches; changes nothing.

    htmx gets the results; without JavaScript the form comes back with them under it."""
    text = _posted_query(request)
    context: dict[str, Any] = {"try_scan": topics.TRY_SCAN, "try_shown": topics.TRY_SHOWN}
    status = 200
    if not Mention.objects.filter(workspace_id=membership.workspace_id).exists():
        context["try_nothing"] = True
    else:
        try:
            node = q.parse(text)
        except q.QueryError as error:
            context["try_error"] = str(error)
            status = 400
        else:
            context["result"] = topics.topic_try(workspace_id=membership.workspace_id, node=node)
    if request.headers.get("HX-Request"):
        return render(request, "listening/_topic_try.html", context, status=status)
    topic_id = request.POST.get("topic", "")
    topic = topics.get_topic_for_user(membership, int(topic_id), write=True) if topic_id.isdigit() else None
    topic_form = TopicForm(request.POST)
    topic_form.is_valid()
    # The page, with what the member typed: a try needs only the query, not a name yet.
    for name in [name for name in topic_form.errors if name != "query"]:
        topic_form.errors.pop(name)
    return _form_page(request, membership, topic_form, topic, **context)
