"""Contests: the list, a contest's page (rules, state, the draw), its form, its entries, and the
actions of its life (open, collect, exclude, draw, reveal, redraw, tell the winners, export).

Every member reads; members who draft create and edit contests, collect entries and exclude
them; members who publish open, draw, reveal and tell winners (those post on the networks).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from participation import access as inbox_access
from participation.contest_forms import ContestForm, EntryFilterForm, ExcludeForm, WinnerMarkForm
from participation.models import Contest, ContestEntry, ContestWinner
from participation.services import contest_entries, contests
from participation.setup_forms import add_service_errors
from smm.accounts import access
from smm.accounts.models import Membership

PAGE_SIZE = 25
ENTRY_PAGE_SIZE = 50


# Lookups (404 for another workspace's rows, 403 for a role too low) -------------------------------
def get_contest_for_user(membership: Membership, contest_id: int, *, capability: str | None = None) -> Contest:
    contest = (
        Contest.objects.filter(workspace_id=membership.workspace_id, pk=contest_id)
        .select_related("workspace", "created_by")
        .first()
    )
    if contest is None:
        raise Http404
    if capability:
        access.require(membership, capability)
    return contest


def get_entry_for_user(membership: Membership, contest: Contest, entry_id: int, *, capability: str) -> ContestEntry:
    entry = ContestEntry.objects.filter(contest=contest, pk=entry_id).select_related("contest__workspace").first()
    if entry is None:
        raise Http404
    access.require(membership, capability)
    return entry


def get_winner_for_user(membership: Membership, contest: Contest, winner_id: int, *, capability: str) -> ContestWinner:
    winner = ContestWinner.objects.filter(contest=contest, pk=winner_id).select_related("entry", "contest").first()
    if winner is None:
        raise Http404
    access.require(membership, capability)
    return winner


def _to_detail(contest: Contest, anchor: str = "") -> HttpResponse:
    response = redirect("contests:detail", slug=contest.workspace.slug, contest_id=contest.pk)
    response["Location"] += f"#{anchor}" if anchor else ""
    return response


def _service(request: HttpRequest, call: Any, success: str) -> bool:
    """Run a service call; its ValidationError becomes an error message. True when it worked."""
    try:
        call()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    messages.success(request, success)
    return True


# The list and the form ---------------------------------------------------------------------------
@access.workspace_view()
@require_GET
def contest_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    queryset = (
        Contest.objects.filter(workspace_id=membership.workspace_id)
        .annotate(
            entry_count=Count("entries", distinct=True),
            eligible_count=Count("entries", filter=Q(entries__eligible=True), distinct=True),
        )
        .order_by("-opens_at", "-pk")
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "participation/contests/list.html", {"page": page})


@access.workspace_view("can_draft")
@require_http_methods(["GET", "POST"])
def contest_edit(request: HttpRequest, membership: Membership, contest_id: int | None = None) -> HttpResponse:
    """A new contest (no id) or a change to one; the guardrails are shown next to the form."""
    contest = get_contest_for_user(membership, contest_id, capability="can_draft") if contest_id else None
    if contest is not None and contest.state not in (Contest.State.DRAFT, Contest.State.OPEN):
        messages.error(request, _("A contest that has been drawn or cancelled cannot be changed."))
        return _to_detail(contest)
    form = ContestForm(
        request.POST or None,
        workspace=membership.workspace,
        account_ids=inbox_access.visible_account_ids(membership),
        contest=contest,
    )
    warnings = contests.mechanics_warnings(contest) if contest else []
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = contests.contest_save(
                    workspace_id=membership.workspace_id,
                    values=form.values(),
                    targets=form.chosen_targets(),
                    user=membership.user,
                    contest=contest,
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Contest “%(title)s” saved.") % {"title": saved.title})
                return _to_detail(saved)
        if hasattr(form, "cleaned_data"):
            warnings = contests.mechanics_warnings(form.preview(), targets=form.chosen_targets())
    context = {"form": form, "contest": contest, "warnings": warnings}
    return render(request, "participation/contests/form.html", context, status=400 if form.errors else 200)


# A contest's page ---------------------------------------------------------------------------------
def _detail_context(membership: Membership, contest: Contest) -> dict[str, Any]:
    winners = list(contest.winners.select_related("entry").order_by("round", "position"))
    counts = contest_entries.entry_counts(contest)
    reasons = contest.entries.filter(eligible=False).values("exclusion").annotate(count=Count("pk")).order_by("-count")
    labels = dict(ContestEntry.Exclusion.choices)
    rounds = sorted({winner.round for winner in winners})
    return {
        "contest": contest,
        "targets": list(contest.targets.select_related("account", "post")),
        "warnings": contests.mechanics_warnings(contest),
        "counts": counts,
        "reasons": [
            {"code": row["exclusion"], "label": labels.get(row["exclusion"], ""), "count": row["count"]}
            for row in reasons
        ],
        "winners": winners,
        "open_prizes": contests.open_prizes(contest) if winners else 0,
        "collecting": contest_entries.collecting(contest),
        "can_draw": contest.state == Contest.State.OPEN and timezone.now() >= contest.closes_at,
        "window_open": contest.opens_at <= timezone.now() < contest.closes_at,
        "public_url": contests.public_url(contest),
        "verify": [contests.verify_command(contest, round_number=number) for number in rounds],
        "answers": contest_entries.accepted_answers(contest),
        "staff_handles": contest_entries.staff_handle_list(contest),
        "unnotified": [
            winner for winner in winners if winner.notified_at is None and winner.status == ContestWinner.Status.WAITING
        ],
    }


@access.workspace_view()
@require_GET
def contest_detail(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id)
    return render(request, "participation/contests/detail.html", _detail_context(membership, contest))


@access.workspace_view("can_publish")
@require_POST
def contest_open(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id, capability="can_publish")
    _service(
        request,
        lambda: contests.contest_open(contest=contest, user=membership.user, request=request),
        _("The contest is open. The seed's hash is on the public rules page."),
    )
    return _to_detail(contest)


@access.workspace_view("can_publish")
@require_POST
def contest_commitment(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    """Post the seed's hash in the contest post's thread."""
    contest = get_contest_for_user(membership, contest_id, capability="can_publish")
    _service(
        request,
        lambda: contests.contest_commitment_post(contest=contest, membership=membership, request=request),
        _("The seed's hash was posted."),
    )
    return _to_detail(contest)


@access.workspace_view("can_publish")
@require_POST
def contest_cancel(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id, capability="can_publish")
    _service(
        request,
        lambda: contests.contest_cancel(contest=contest, user=membership.user, request=request),
        _("The contest was cancelled."),
    )
    return _to_detail(contest)


# Collecting --------------------------------------------------------------------------------------
def _collect_status(request: HttpRequest, contest: Contest) -> HttpResponse:
    contest.refresh_from_db()
    context = {"contest": contest, "collecting": contest_entries.collecting(contest)}
    return render(request, "participation/contests/_collect_status.html", context)


@access.workspace_view("can_draft")
@require_POST
def contest_collect(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    """ "Collect now": queued for a worker; the page shows progress and then what was found."""
    contest = get_contest_for_user(membership, contest_id, capability="can_draft")
    try:
        contest_entries.entries_collect_request(contest=contest)
    except ValidationError as error:
        if request.headers.get("HX-Request"):
            return _collect_status(request, contest)
        messages.error(request, " ".join(error.messages))
        return _to_detail(contest)
    if request.headers.get("HX-Request"):
        return _collect_status(request, contest)
    messages.success(request, _("Collecting the entries. This page shows what was found when it is done."))
    return _to_detail(contest, "collect")


@access.workspace_view()
@require_GET
def contest_collect_status(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    return _collect_status(request, get_contest_for_user(membership, contest_id))


# Entries -----------------------------------------------------------------------------------------
@access.workspace_view()
@require_GET
def contest_entries_page(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id)
    form = EntryFilterForm(request.GET or None)
    queryset = contest.entries.select_related("contact").order_by("posted_at", "pk")
    values: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    if values.get("status") == "eligible":
        queryset = queryset.filter(eligible=True)
    elif values.get("status") == "excluded":
        queryset = queryset.filter(eligible=False)
    if values.get("reason"):
        queryset = queryset.filter(exclusion=values["reason"])
    if values.get("q"):
        queryset = queryset.filter(Q(author_handle__icontains=values["q"]) | Q(text__icontains=values["q"]))
    page = Paginator(queryset, ENTRY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    winners = {winner.entry_id: winner for winner in contest.winners.filter(entry__in=[entry.pk for entry in page])}
    for entry in page:
        entry.winner = winners.get(entry.pk)  # type: ignore[attr-defined]
    context = {
        "contest": contest,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "exclude_form": ExcludeForm(),
        "can_change": contest.state == Contest.State.OPEN and membership.can_draft,
    }
    return render(request, "participation/contests/entries.html", context)


def _to_entries(request: HttpRequest, contest: Contest) -> HttpResponse:
    response = redirect("contests:entries", slug=contest.workspace.slug, contest_id=contest.pk)
    back = request.POST.get("query", "")
    if back and "\n" not in back and "\r" not in back:
        response["Location"] += "?" + back
    return response


@access.workspace_view("can_draft")
@require_POST
def entry_exclude(request: HttpRequest, membership: Membership, contest_id: int, entry_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id, capability="can_draft")
    entry = get_entry_for_user(membership, contest, entry_id, capability="can_draft")
    form = ExcludeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the entry is excluded."))
        return _to_entries(request, contest)
    _service(
        request,
        lambda: contest_entries.entry_exclude(
            entry=entry, reason=form.cleaned_data["reason"], user=membership.user, request=request
        ),
        _("The entry of %(handle)s is excluded.") % {"handle": entry.author_handle},
    )
    return _to_entries(request, contest)


@access.workspace_view("can_draft")
@require_POST
def entry_include(request: HttpRequest, membership: Membership, contest_id: int, entry_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id, capability="can_draft")
    entry = get_entry_for_user(membership, contest, entry_id, capability="can_draft")
    _service(
        request,
        lambda: contest_entries.entry_include(entry=entry, user=membership.user, request=request),
        _("The entry of %(handle)s follows the contest's rules again.") % {"handle": entry.author_handle},
    )
    return _to_entries(request, contest)


# The draw ----------------------------------------------------------------------------------------
@access.workspace_view("can_publish")
@require_POST
def contest_draw(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id, capability="can_publish")
    _service(
        request,
        lambda: contests.contest_draw(contest=contest, user=membership.user, request=request),
        _("The winners were drawn. Reveal the seed so that anyone can check the draw."),
    )
    return _to_detail(contest, "draw")


@access.workspace_view("can_publish")
@require_POST
def contest_reveal(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id, capability="can_publish")
    _service(
        request,
        lambda: contests.contest_reveal(contest=contest, user=membership.user, request=request),
        _("The seed is public: anyone can now check the draw."),
    )
    return _to_detail(contest, "draw")


@access.workspace_view("can_publish")
@require_POST
def contest_redraw(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id, capability="can_publish")
    _service(
        request,
        lambda: contests.contest_redraw(contest=contest, user=membership.user, request=request),
        _("The unclaimed prizes were drawn again."),
    )
    return _to_detail(contest, "winners")


@access.workspace_view("can_publish")
@require_POST
def winner_mark(request: HttpRequest, membership: Membership, contest_id: int, winner_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id, capability="can_publish")
    winner = get_winner_for_user(membership, contest, winner_id, capability="can_publish")
    form = WinnerMarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose claimed or unclaimed."))
        return _to_detail(contest, "winners")
    _service(
        request,
        lambda: contests.winner_mark(
            winner=winner, status=form.cleaned_data["status"], user=membership.user, request=request
        ),
        _("Winner %(handle)s marked.") % {"handle": winner.entry.author_handle},
    )
    return _to_detail(contest, "winners")


@access.workspace_view("can_publish")
@require_POST
def winners_notify(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    """Tell every winner not told yet, or one again (`winner`) after an error."""
    contest = get_contest_for_user(membership, contest_id, capability="can_publish")
    winner_id = request.POST.get("winner", "")
    winner = (
        get_winner_for_user(membership, contest, int(winner_id), capability="can_publish")
        if winner_id.isdigit()
        else None
    )
    try:
        outcomes = contests.winners_notify(contest=contest, membership=membership, winner=winner, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _to_detail(contest, "winners")
    told = [outcome for outcome in outcomes if not outcome.error]
    failed = [outcome for outcome in outcomes if outcome.error]
    if told:
        messages.success(request, _("Told %(count)s winners.") % {"count": len(told)})
    for outcome in failed:
        messages.error(request, f"{outcome.winner.entry.author_handle}: {outcome.error}")
    if not outcomes:
        messages.info(request, _("Every winner has been told already."))
    return _to_detail(contest, "winners")


# Export ------------------------------------------------------------------------------------------
def _filename(contest: Contest, extension: str) -> str:
    return f"contest-{contest.workspace.slug}-{contest.pk}-{timezone.localdate():%Y%m%d}.{extension}"


@access.workspace_view()
@require_GET
def contest_export_json(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id)
    data = contests.contest_export(contest=contest, user=membership.user, request=request)
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{_filename(contest, "json")}"'
    return response


@access.workspace_view()
@require_GET
def contest_export_csv(request: HttpRequest, membership: Membership, contest_id: int) -> HttpResponse:
    contest = get_contest_for_user(membership, contest_id)
    text = contests.contest_export_csv(contest=contest, user=membership.user, request=request)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(contest, "csv")}"'
    return response
