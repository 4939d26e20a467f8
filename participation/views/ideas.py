"""The ideas board: ideas by status with votes, one idea with its history, the moderation queue of
public submissions, and the idea settings (the public page's switch, the messages)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from participation import access as inbox_access
from participation.idea_forms import BoardFilterForm, IdeaForm, IdeaSettingsForm, ModerateForm, StatusForm
from participation.models import Idea, IdeaVote, InboxItem
from participation.services import ideas
from participation.setup_forms import add_service_errors
from smm.accounts import access
from smm.accounts.models import Membership

PAGE_SIZE = 25
BOARD = (Idea.Moderation.INTERNAL, Idea.Moderation.APPROVED)  # pending and rejected wait in moderation


def _filtered(membership: Membership, form: BoardFilterForm) -> QuerySet[Idea]:
    queryset = Idea.objects.filter(workspace_id=membership.workspace_id, moderation__in=BOARD)
    values: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    if values.get("status"):
        queryset = queryset.filter(status=values["status"])
    if values.get("q"):
        queryset = queryset.filter(Q(title__icontains=values["q"]) | Q(text__icontains=values["q"]))
    order = ["-created_at", "-pk"] if values.get("sort") == "newest" else ["-votes_count", "-created_at", "-pk"]
    return queryset.select_related("contact", "source_item__account").order_by(*order)


def _voted(membership: Membership, ideas_shown: Any) -> set[int]:
    return set(
        IdeaVote.objects.filter(user=membership.user, idea__in=list(ideas_shown)).values_list("idea_id", flat=True)
    )


@access.workspace_view()
@require_http_methods(["GET"])
def board(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = BoardFilterForm(request.GET or None)
    page = Paginator(_filtered(membership, form), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    status_query = query.copy()
    status_query.pop("status", None)
    counts = Idea.objects.filter(workspace_id=membership.workspace_id, moderation__in=BOARD).aggregate(
        all=Count("pk"), **{status: Count("pk", filter=Q(status=status)) for status in Idea.Status.values}
    )
    pending = Idea.objects.filter(workspace_id=membership.workspace_id, moderation=Idea.Moderation.PENDING).count()
    voted = _voted(membership, page.object_list)
    for idea in page:
        idea.voted = idea.pk in voted  # type: ignore[attr-defined]
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "status_query": status_query.urlencode(),
        "current_status": form.cleaned_data.get("status", "") if form.is_valid() else "",
        "tabs": [("", _("All"), counts["all"])]
        + [(status, label, counts[status]) for status, label in Idea.Status.choices],
        "pending": pending,
        "public_page": ideas.board_settings(membership.workspace_id).public_page,
    }
    return render(request, "participation/ideas/board.html", context)


def _member_url(slug: str, contact_id: int | None) -> str:
    """The community page of the contributor, when the community pages exist."""
    if not contact_id:
        return ""
    path = f"/w/{slug}/community/m/{contact_id}/"
    try:
        resolve(path)
    except Resolver404:
        return ""
    return path


def _source_url(membership: Membership, item: InboxItem | None) -> str:
    """The conversation the idea came from, for members who may see that account's inbox."""
    if item is None or item.account_id not in inbox_access.visible_account_ids(membership):
        return ""
    url = reverse("participation:conversation", args=[membership.workspace.slug, item.conversation_id])
    return f"{url}#item-{item.pk}"


def _detail_context(membership: Membership, idea: Idea, **extra: Any) -> dict[str, Any]:
    changes = list(idea.changes.select_related("changed_by", "reply"))
    for change in changes:
        change.state = ideas.told_state(change)  # type: ignore[attr-defined]
        change.retry = ideas.can_retell(change)  # type: ignore[attr-defined]
    messages_by_status = ideas.default_messages(idea)
    voters = IdeaVote.objects.filter(idea=idea, user__isnull=False).select_related("user").order_by("created_at")
    return {
        "idea": idea,
        "changes": changes,
        "voters": voters,
        "visitor_votes": IdeaVote.objects.filter(idea=idea, user__isnull=True).count(),
        "voted": IdeaVote.objects.filter(idea=idea, user=membership.user).exists(),
        "member_url": _member_url(membership.workspace.slug, idea.contact_id),
        "source_url": _source_url(membership, idea.source_item),
        "how": ideas.how_to_tell(idea),
        "name": ideas.contributor_name(idea),
        "status_options": [
            (status, label, messages_by_status[status])
            for status, label in Idea.Status.choices
            if status != idea.status
        ],
        "status_form": extra.pop("status_form", None) or StatusForm(),
        "public_page": ideas.board_settings(membership.workspace_id).public_page,
        **extra,
    }


@access.workspace_view()
@require_http_methods(["GET"])
def detail(request: HttpRequest, membership: Membership, idea_id: int) -> HttpResponse:
    idea = inbox_access.get_idea_for_user(membership, idea_id)
    return render(request, "participation/ideas/detail.html", _detail_context(membership, idea))


def _to_detail(membership: Membership, idea: Idea, anchor: str = "") -> HttpResponse:
    response = redirect("ideas:detail", slug=membership.workspace.slug, idea_id=idea.pk)
    response["Location"] += f"#{anchor}" if anchor else ""
    return response


@access.workspace_view("can_draft")
@require_http_methods(["GET", "POST"])
def idea_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Write down an idea; with ?item=<id> (the conversation page's "Make an idea") from a customer's message."""
    raw_item = request.POST.get("item") or request.GET.get("item") or ""
    item = inbox_access.get_item_for_user(membership, int(raw_item)) if raw_item.isdigit() else None
    if item is not None:
        existing = Idea.objects.filter(workspace_id=membership.workspace_id, source_item=item).first()
        if existing is not None:
            messages.info(request, _("This message is already an idea."))
            return _to_detail(membership, existing)
    initial = {"title": ideas.title_from_text(item.text), "text": item.text, "item": item.pk} if item else {}
    form = IdeaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {"title": form.cleaned_data["title"], "text": form.cleaned_data["text"]}
        try:
            if item is not None:
                idea = ideas.idea_from_item(item=item, actor=membership.user, **values)
            else:
                idea = ideas.idea_create(workspace=membership.workspace, actor=membership.user, **values)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Idea “%(title)s” saved.") % {"title": idea.title})
            return _to_detail(membership, idea)
    context = {"form": form, "item": item, "source_url": _source_url(membership, item)}
    return render(request, "participation/ideas/form.html", context, status=400 if form.errors else 200)


@access.workspace_view("can_draft")
@require_http_methods(["GET", "POST"])
def idea_edit(request: HttpRequest, membership: Membership, idea_id: int) -> HttpResponse:
    idea = inbox_access.get_idea_for_user(membership, idea_id, capability="can_draft")
    # Not instance=idea: the form would change the idea before the service compares old and new.
    form = IdeaForm(request.POST or None, initial={"title": idea.title, "text": idea.text})
    if request.method == "POST" and form.is_valid():
        try:
            ideas.idea_update(
                idea=idea, actor=membership.user, title=form.cleaned_data["title"], text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return _to_detail(membership, idea)
    context = {"form": form, "idea": idea}
    return render(request, "participation/ideas/form.html", context, status=400 if form.errors else 200)


@access.workspace_view("can_draft")
@require_POST
def idea_vote(request: HttpRequest, membership: Membership, idea_id: int) -> HttpResponse:
    """Vote (vote=1) or take the vote back (vote=0); one vote per member. htmx gets the button back."""
    idea = inbox_access.get_idea_for_user(membership, idea_id, capability="can_draft")
    voted = ideas.idea_vote(idea=idea, user=membership.user, vote=request.POST.get("vote") != "0")
    idea.refresh_from_db(fields=["votes_count"])
    if request.headers.get("HX-Request"):
        return render(request, "participation/ideas/_vote.html", {"idea": idea, "voted": voted, "can_vote": True})
    if request.POST.get("next") == "board":
        return redirect("ideas:board", slug=membership.workspace.slug)
    return _to_detail(membership, idea)


@access.workspace_view("can_publish")
@require_POST
def idea_status(request: HttpRequest, membership: Membership, idea_id: int) -> HttpResponse:
    """A new status, and a message to the contributor (their thread or e-mail) unless unticked."""
    idea = inbox_access.get_idea_for_user(membership, idea_id, capability="can_publish")
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            change = ideas.idea_set_status(
                idea=idea,
                membership=membership,
                status=form.cleaned_data["status"],
                message=form.cleaned_data["message"],
                tell=form.cleaned_data["tell"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            label = Idea.Status(change.to_status).label
            state = ideas.told_state(change)
            if state == "told":
                messages.success(request, _("Now “%(status)s”; the contributor was told.") % {"status": label})
            elif state == "waiting":
                messages.info(
                    request,
                    _("Now “%(status)s”; the message to the contributor waits for approval.") % {"status": label},
                )
            elif state == "failed":
                messages.warning(
                    request,
                    _("Now “%(status)s”, but the contributor was not told: %(error)s")
                    % {"status": label, "error": change.tell_error},
                )
            else:
                messages.success(request, _("Now “%(status)s”.") % {"status": label})
            return _to_detail(membership, idea, "history")
    context = _detail_context(membership, idea, status_form=form)
    return render(request, "participation/ideas/detail.html", context, status=400)


@access.workspace_view("can_publish")
@require_POST
def idea_tell(request: HttpRequest, membership: Membership, idea_id: int, change_id: int) -> HttpResponse:
    """Send a status change's message to the contributor again (after it failed)."""
    change = inbox_access.get_idea_change_for_user(membership, idea_id, change_id, capability="can_publish")
    try:
        change = ideas.idea_tell(change=change, membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        state = ideas.told_state(change)
        if state == "told":
            messages.success(request, _("The contributor was told."))
        elif state == "waiting":
            messages.info(request, _("The message to the contributor waits for approval."))
        else:
            messages.error(request, _("The contributor was not told: %(error)s") % {"error": change.tell_error})
    return _to_detail(membership, change.idea, "history")


@access.workspace_view("can_publish")
@require_POST
def idea_moderate(request: HttpRequest, membership: Membership, idea_id: int) -> HttpResponse:
    idea = inbox_access.get_idea_for_user(membership, idea_id, capability="can_publish")
    form = ModerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to do."))
    else:
        try:
            ideas.idea_moderate(idea=idea, actor=membership.user, decision=form.cleaned_data["decision"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                {
                    "approve": _("“%(title)s” is shown on the public page."),
                    "reject": _("“%(title)s” was rejected; it is never shown."),
                    "hide": _("“%(title)s” is no longer on the public page."),
                }[form.cleaned_data["decision"]]
                % {"title": idea.title},
            )
    if request.POST.get("next") == "moderation":
        return redirect("ideas:moderation", slug=membership.workspace.slug)
    return _to_detail(membership, idea)


@access.workspace_view()
@require_http_methods(["GET"])
def moderation(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Ideas sent on the public page, waiting to be shown there or rejected (oldest first)."""
    queryset = Idea.objects.filter(workspace_id=membership.workspace_id, moderation=Idea.Moderation.PENDING).order_by(
        "created_at", "pk"
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "public_page": ideas.board_settings(membership.workspace_id).public_page}
    return render(request, "participation/ideas/moderation.html", context)


@access.workspace_view("can_change_settings")
@require_http_methods(["GET", "POST"])
def idea_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    current = ideas.board_settings(membership.workspace_id)
    defaults = _default_templates(membership)
    form = IdeaSettingsForm(request.POST or None, instance=current, defaults=defaults)
    if request.method == "POST" and form.is_valid():
        try:
            ideas.idea_settings_update(
                workspace=membership.workspace,
                actor=membership.user,
                public_page=form.cleaned_data["public_page"],
                intro=form.cleaned_data["intro"],
                messages=form.messages(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Idea settings saved."))
            return redirect("ideas:settings", slug=membership.workspace.slug)
    public_url = request.build_absolute_uri(reverse("public-ideas:board", args=[membership.workspace.slug]))
    context = {"form": form, "public_url": public_url, "public_page": current.public_page}
    return render(request, "participation/ideas/settings.html", context, status=400 if form.errors else 200)


def _default_templates(membership: Membership) -> dict[str, str]:
    """The built-in messages in the workspace's language, as placeholders of the settings form."""
    from django.utils import translation

    with translation.override(membership.workspace.language):
        return {status: str(ideas.DEFAULT_MESSAGES[status]) for status in Idea.Status.values}
