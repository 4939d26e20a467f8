"""Saved inbox views and the column view: each saved filter as a column of its newest conversations,
side by side, every column refreshing itself (htmx asks for one column with ?column=<key>)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from participation import access as inbox_access
from participation.models import Conversation, InboxView
from participation.services import setup
from participation.setup_forms import InboxViewForm
from participation.views.inbox import filtered_conversations
from smm.accounts import access
from smm.accounts.models import Membership

COLUMN_SIZE = 20
# With no saved view, these three columns (key, name, filter).
DEFAULT_COLUMNS = (
    ("new", gettext_lazy("New"), "status=new"),
    ("mine", gettext_lazy("Mine"), "assignee=me"),
    ("waiting", gettext_lazy("Waiting for them"), "status=waiting"),
)
# htmx stops polling an element that is answered with 286: a column whose view was deleted goes away.
STOP_POLLING = 286


@dataclass
class Column:
    key: str
    name: str
    query: str
    view: InboxView | None = None
    conversations: list[Conversation] | None = None


def _own_and_shared(membership: Membership) -> QuerySet[InboxView]:
    return InboxView.objects.filter(workspace_id=membership.workspace_id).filter(
        Q(owner__isnull=True) | Q(owner_id=membership.user_id)
    )


def _columns(membership: Membership) -> list[Column]:
    views = list(_own_and_shared(membership))
    if not views:
        return [Column(key=key, name=str(name), query=query) for key, name, query in DEFAULT_COLUMNS]
    return [Column(key=f"view-{view.pk}", name=view.name, query=view.query, view=view) for view in views]


def _column(membership: Membership, key: str) -> Column:
    for default_key, name, query in DEFAULT_COLUMNS:
        if key == default_key:
            return Column(key=key, name=str(name), query=query)
    view_id = key.removeprefix("view-")
    if not key.startswith("view-") or not view_id.isdigit():
        raise Http404
    view = inbox_access.get_view_for_user(membership, int(view_id))
    return Column(key=key, name=view.name, query=view.query, view=view)


def _fill(membership: Membership, column: Column) -> Column:
    # A fixed handful of queries per column, however many conversations it has (see test_columns.py).
    _form, queryset = filtered_conversations(membership, QueryDict(column.query))
    column.conversations = list(queryset[:COLUMN_SIZE])
    return column


@access.workspace_view()
@require_GET
def columns(request: HttpRequest, membership: Membership) -> HttpResponse:
    key = request.GET.get("column", "")
    if key and request.headers.get("HX-Request"):
        try:
            column = _column(membership, key)
        except Http404:
            return HttpResponse(status=STOP_POLLING)
        return render(request, "participation/_column.html", {"column": _fill(membership, column)})
    filled = [_fill(membership, column) for column in _columns(membership)]
    return render(request, "participation/columns.html", {"columns": filled, "column_size": COLUMN_SIZE})


@access.workspace_view()
@require_GET
def view_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    views = _own_and_shared(membership).select_related("owner")
    return render(request, "participation/views.html", {"views": views})


@access.workspace_view()
@require_http_methods(["GET", "POST"])
def view_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Save the inbox list's filter (`query`) as a view; the inbox page's small form posts here."""
    account_ids = inbox_access.visible_account_ids(membership)
    data: Any = request.POST if request.method == "POST" else None
    initial = {"query": request.GET.get("query", "")}
    form = InboxViewForm(data, initial=initial, membership=membership, account_ids=account_ids)
    if request.method == "POST" and form.is_valid():
        # The form offers sharing only to members who publish; the service refuses it to anyone else.
        shared = bool(form.cleaned_data.get("shared"))
        view = setup.inbox_view_create(
            membership=membership, name=form.cleaned_data["name"], query=form.cleaned_data["query"], shared=shared
        )
        if shared:
            messages.success(request, _("View “%(name)s” saved and shared with the team.") % {"name": view.name})
        else:
            messages.success(request, _("View “%(name)s” saved. Only you see it.") % {"name": view.name})
        url = reverse("participation:inbox", args=[membership.workspace.slug])
        return redirect(f"{url}?{view.query}" if view.query else url)
    return render(request, "participation/view_new.html", {"form": form}, status=400 if form.errors else 200)


@access.workspace_view()
@require_POST
def view_delete(request: HttpRequest, membership: Membership, view_id: int) -> HttpResponse:
    view = inbox_access.get_view_for_user(membership, view_id, write=True)
    setup.inbox_view_delete(view=view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("participation:views", slug=membership.workspace.slug)
