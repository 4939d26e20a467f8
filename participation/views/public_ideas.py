"""The public idea page of a workspace, without login: approved ideas with their status and votes,
a vote button (once per browser) and a form for new ideas (moderated before they are shown).

The page exists only while the workspace has switched it on; otherwise every URL here is a 404.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from participation import access as inbox_access
from participation.idea_forms import PublicIdeaForm
from participation.models import Idea, IdeaVote
from participation.services import ideas
from smm.accounts.models import Workspace
from smm.lib.requests import client_ip

PAGE_SIZE = 20
VOTER_COOKIE_AGE = 365 * 24 * 3600


def _workspace(slug: str) -> Workspace:
    """The workspace whose public idea page is switched on; 404 otherwise (not even whether it exists)."""
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None or not ideas.board_settings(workspace.pk).public_page:
        raise Http404
    return workspace


def _visitor_key(request: HttpRequest) -> str | None:
    return request.get_signed_cookie(ideas.VOTER_COOKIE, default=None, salt=ideas.VOTER_SALT)


def _page(request: HttpRequest, workspace: Workspace, form: PublicIdeaForm, *, status: int = 200) -> HttpResponse:
    newest = request.GET.get("sort") == "newest"
    queryset = Idea.objects.filter(workspace=workspace, moderation=Idea.Moderation.APPROVED).order_by(
        *(["-created_at", "-pk"] if newest else ["-votes_count", "-created_at", "-pk"])
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    key = _visitor_key(request)
    voted = (
        set(
            IdeaVote.objects.filter(voter_key=ideas.voter_key(key), idea__in=list(page.object_list)).values_list(
                "idea_id", flat=True
            )
        )
        if key
        else set()
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "workspace": workspace,
        "board": ideas.board_settings(workspace.pk),
        "page": page,
        "query": query.urlencode(),
        "newest": newest,
        "voted": voted,
        "form": form,
    }
    return render(request, "public/ideas.html", context, status=status)


def _fresh_form(data: Mapping[str, object] | None = None) -> PublicIdeaForm:
    """The form with a new signed start time (the minimum fill time counts from here)."""
    if data is None:
        return PublicIdeaForm(initial={"started": ideas.form_token()})
    values = {**data, "started": ideas.form_token()}
    form = PublicIdeaForm(values)
    form.is_valid()
    return form


@require_http_methods(["GET"])
def board(request: HttpRequest, slug: str) -> HttpResponse:
    workspace = _workspace(slug)
    return _page(request, workspace, _fresh_form())


@require_POST
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    workspace = _workspace(slug)
    form = PublicIdeaForm(request.POST)
    if not form.is_valid():
        return _page(request, workspace, _fresh_form(request.POST.dict()), status=400)
    values = form.cleaned_data
    try:
        ideas.idea_submit_public(
            workspace=workspace,
            title=values["title"],
            text=values["text"],
            name=values["name"],
            email=values["email"],
            consent=values["consent"],
            language=translation.get_language() or "",
            honeypot=values["website"],
            token=values["started"],
            address=client_ip(request),
        )
    except ideas.SubmissionRefused as error:
        if error.code == "honeypot":
            # Tell a bot nothing: it sees what a person sees, and nothing was saved.
            messages.success(request, _("Thank you! Your idea is shown here once we have read it."))
            return redirect("public-ideas:board", slug=workspace.slug)
        again = _fresh_form(request.POST.dict())
        again.add_error(None, error.messages)
        status = 429 if error.code in ("rate_limited", "full") else 400
        return _page(request, workspace, again, status=status)
    except ValidationError as error:
        again = _fresh_form(request.POST.dict())
        again.add_error(None, error.messages)
        return _page(request, workspace, again, status=400)
    messages.success(request, _("Thank you! Your idea is shown here once we have read it."))
    return redirect("public-ideas:board", slug=workspace.slug)


@require_POST
def vote(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    """A visitor's vote, once per browser (a signed cookie) and limited per address."""
    workspace = _workspace(slug)
    idea = inbox_access.get_public_idea(workspace.pk, idea_id)
    key = _visitor_key(request) or ideas.new_visitor_key()
    try:
        counted = ideas.idea_vote_public(idea=idea, visitor_key=key, address=client_ip(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if counted:
            messages.success(request, _("Thank you for your vote!"))
        else:
            messages.info(request, _("You have already voted for this idea."))
    response = redirect("public-ideas:board", slug=workspace.slug)
    response["Location"] += f"#idea-{idea.pk}"
    response.set_signed_cookie(
        ideas.VOTER_COOKIE,
        key,
        salt=ideas.VOTER_SALT,
        max_age=VOTER_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
