"""The public rules page of a contest (no login): the rules, the prize, the window in the
workspace's zone, the seed's hash; after the draw the entry list, its hash and the winners; after
the reveal the seed and how to check the draw. Drafts do not exist for the public."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from participation.models import Contest
from participation.services import contests, draw
from smm.accounts.models import Workspace

PUBLIC_STATES = (Contest.State.OPEN, Contest.State.DRAWN, Contest.State.REVEALED, Contest.State.CANCELLED)


def get_public_contest(slug: str, contest_id: int) -> Contest:
    """A contest that has been opened; 404 for drafts, other workspaces and unknown ids."""
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise Http404
    contest = (
        Contest.objects.filter(workspace=workspace, pk=contest_id, state__in=PUBLIC_STATES)
        .select_related("workspace")
        .first()
    )
    if contest is None:
        raise Http404
    return contest


@require_GET
def contest_public(request: HttpRequest, slug: str, contest_id: int) -> HttpResponse:
    contest = get_public_contest(slug, contest_id)
    drawn = contest.state in (Contest.State.DRAWN, Contest.State.REVEALED)
    winners = list(contest.winners.select_related("entry").order_by("round", "position")) if drawn else []
    entry_list = contests.fixed_list(contest) if drawn else ""
    rounds = sorted({winner.round for winner in winners})
    context = {
        "contest": contest,
        "drawn": drawn,
        "revealed": contest.state == Contest.State.REVEALED,
        "winners": winners,
        "entry_count": len(entry_list.split("\n")) if entry_list else 0,
        # The list is rebuilt from the stored entries: say so if it no longer matches its hash.
        "list_matches": not drawn or draw.list_hash(entry_list) == contest.list_hash,
        "verify": [contests.verify_command(contest, round_number=number, script="verify_draw.py") for number in rounds],
    }
    response = render(request, "public/contest.html", context)
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def contest_list_txt(request: HttpRequest, slug: str, contest_id: int) -> HttpResponse:
    """The entry list exactly as hashed: sha256 of this file is the list hash."""
    contest = get_public_contest(slug, contest_id)
    if contest.state not in (Contest.State.DRAWN, Contest.State.REVEALED):
        raise Http404
    response = HttpResponse(contests.fixed_list(contest), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contest-{contest.pk}-list.txt"'
    return response


@require_GET
def verify_script(request: HttpRequest, slug: str, contest_id: int) -> HttpResponse:
    """docs/verify_draw.py, so that people can check a draw without smm's source at hand."""
    get_public_contest(slug, contest_id)
    script = Path(settings.BASE_DIR) / "docs" / "verify_draw.py"
    response = HttpResponse(script.read_text(encoding="utf-8"), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verify_draw.py"'
    return response
