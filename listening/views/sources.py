"""Listening sources: the list with each source's health, add/change/delete, and "Collect now"."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from listening.services import sources
from listening.source_forms import SourceForm
from smm.accounts import access
from smm.accounts.models import Membership

PAGE_SIZE = 25


@access.workspace_view()
@require_GET
def source_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    page = Paginator(sources.sources_for_member(membership), PAGE_SIZE).get_page(request.GET.get("page"))
    intervals = {kind: int(interval.total_seconds() // 60) for kind, interval in sources.INTERVALS.items()}
    for source in page:
        source.interval_minutes = intervals.get(source.kind)  # type: ignore[attr-defined]
    return render(request, "listening/sources.html", {"page": page})


@access.workspace_view("can_publish")
@require_http_methods(["GET", "POST"])
def source_edit(request: HttpRequest, membership: Membership, source_id: int | None = None) -> HttpResponse:
    source = sources.get_source_for_user(membership, source_id, write=True) if source_id else None
    accounts = sources.accounts_for_sources(membership)
    initial = (
        {
            "kind": source.kind,
            "name": source.name,
            "value": source.value,
            "account": source.account,
            "active": source.active,
        }
        if source
        else {"active": True}
    )
    form = SourceForm(
        request.POST if request.method == "POST" else None, initial=initial, accounts=accounts, editing=source
    )
    if request.method == "POST" and form.is_valid():
        data = sources.SourceInput(
            kind=form.cleaned_data["kind"],
            name=form.cleaned_data["name"],
            value=form.cleaned_data["value"],
            account=form.cleaned_data["account"],
            active=form.cleaned_data["active"],
        )
        try:
            if source is None:
                source = sources.source_create(membership=membership, data=data)
                messages.success(request, _("Source added. It is read within a minute."))
            else:
                sources.source_update(membership=membership, source=source, data=data)
                messages.success(request, _("Source saved."))
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
        else:
            return redirect("listening:sources", membership.workspace.slug)
    status = 400 if form.errors else 200
    return render(request, "listening/source_form.html", {"form": form, "source": source}, status=status)


@access.workspace_view("can_publish")
@require_POST
def source_delete(request: HttpRequest, membership: Membership, source_id: int) -> HttpResponse:
    source = sources.get_source_for_user(membership, source_id, write=True)
    sources.source_delete(membership=membership, source=source)
    messages.success(request, _("Source deleted. Its mentions stay."))
    return redirect("listening:sources", membership.workspace.slug)


@access.workspace_view("can_publish")
@require_POST
def source_collect_now(request: HttpRequest, membership: Membership, source_id: int) -> HttpResponse:
    from listening.tasks import listening_collect_task

    source = sources.get_source_for_user(membership, source_id, write=True)
    if source.kind not in sources.SCHEDULED_KINDS:
        messages.error(request, _("Imported items are sent to smm; there is nothing to collect."))
    elif not source.active:
        messages.error(request, _("The source is inactive. Make it active first."))
    else:
        transaction.on_commit(lambda: listening_collect_task.delay(source.pk))
        messages.success(
            request, _("Collecting from “%(name)s” now. Reload the page in a moment.") % {"name": source.name}
        )
    return redirect("listening:sources", membership.workspace.slug)
