"""Community pages: the member list, one member (identities, interactions, notes, labels, score,
rewards, merge and split, export and erasure), suggested merges and the segments settings.

Every member reads; members who may draft write notes and labels; members who publish merge,
split and manage segments; owners and admins export and erase (docs/community.md)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from participation import access as inbox_access
from participation.community_forms import (
    AwardForm,
    ContactNoteForm,
    EraseForm,
    LabelsForm,
    MemberFilterForm,
    MergeForm,
    MergeSearchForm,
    PairForm,
    RedeemForm,
    SegmentForm,
)
from participation.models import (
    Contact,
    ContactIdentity,
    ContestEntry,
    Conversation,
    Idea,
    InboxItem,
    InboxTag,
    LedgerEntry,
    Segment,
)
from participation.services import community, rewards
from participation.setup_forms import add_service_errors
from smm.accounts import access
from smm.accounts.models import Membership
from smm.networks.models import ConnectedAccount

PAGE_SIZE = 25


def _to_member(membership: Membership, contact_id: int, anchor: str = "") -> HttpResponse:
    response = redirect("community:member", slug=membership.workspace.slug, contact_id=contact_id)
    response["Location"] += f"#{anchor}" if anchor else ""
    return response


def _networks(workspace_id: int) -> list[tuple[str, str]]:
    used = set(ContactIdentity.objects.filter(workspace_id=workspace_id).values_list("network", flat=True).distinct())
    labels = dict(ConnectedAccount.Network.choices)
    return sorted(((network, str(labels.get(network, network.title()))) for network in used), key=lambda c: c[1])


def describe_entries(entries: Any, membership: Membership) -> Any:
    """Give each ledger entry `source_label` and `source_url`: what earned it, linked where the member may look."""
    from django.urls import reverse

    slug = membership.workspace.slug
    rows = list(entries)
    item_ids = []
    for entry in rows:
        source = rewards.describe_source(entry.source)
        entry.source_kind, entry.source_id = source["kind"], source["id"]
        if source["kind"] == "item" and source["id"]:
            item_ids.append(source["id"])
    conversations = dict(
        InboxItem.objects.filter(
            pk__in=item_ids, account_id__in=inbox_access.visible_account_ids(membership)
        ).values_list("pk", "conversation_id")
    )
    for entry in rows:
        kind, number = entry.source_kind, entry.source_id
        label, url = "", ""
        if kind == "item" and number:
            label = _("message")
            if number in conversations:
                url = reverse("participation:conversation", args=[slug, conversations[number]])
        elif kind == "contest" and number:
            label, url = _("contest"), reverse("contests:detail", args=[slug, number])
        elif kind == "idea" and number:
            label, url = _("idea"), reverse("ideas:detail", args=[slug, number])
        elif entry.kind == LedgerEntry.Kind.AWARD and not entry.source:
            label = _("by hand")
        entry.source_label, entry.source_url = label, url
    return entries


# The member list ---------------------------------------------------------------------------------
@access.workspace_view()
@require_GET
def members(request: HttpRequest, membership: Membership) -> HttpResponse:
    community.segments_ensure(membership.workspace)
    form = MemberFilterForm(
        request.GET or None, workspace_id=membership.workspace_id, networks=_networks(membership.workspace_id)
    )
    values: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    queryset = community.members_query(workspace_id=membership.workspace_id, values=values).prefetch_related(
        Prefetch("identities", queryset=ContactIdentity.objects.order_by("network", "pk")),
        Prefetch("segments", queryset=Segment.objects.order_by("name")),
        Prefetch("tags", queryset=InboxTag.objects.order_by("name")),
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "suggestion_count": len(community.merge_suggestions(workspace_id=membership.workspace_id)),
    }
    template = (
        "participation/community/_member_rows.html"
        if request.headers.get("HX-Request")
        else "participation/community/members.html"
    )
    return render(request, template, context)


# One member --------------------------------------------------------------------------------------
def _member_context(request: HttpRequest, membership: Membership, contact: Contact, **forms: Any) -> dict[str, Any]:
    workspace_id = membership.workspace_id
    account_ids = inbox_access.visible_account_ids(membership)
    items = (
        InboxItem.objects.filter(contact=contact, account_id__in=account_ids)
        .select_related("account", "conversation", "identity")
        .order_by("-created_at", "-pk")
    )
    item_page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    ledger = rewards.ledger_for(workspace_id=workspace_id).filter(contact=contact)
    ledger_page = Paginator(ledger, PAGE_SIZE).get_page(request.GET.get("ledger_page"))
    describe_entries(ledger_page, membership)
    community.segments_ensure(membership.workspace)
    identities = list(contact.identities.order_by("network", "pk"))
    for identity in identities:
        # Only web addresses become links (the network gave this one; it is not trusted further).
        url = identity.profile_url
        identity.safe_profile_url = url if url.startswith(("https://", "http://")) else ""  # type: ignore[attr-defined]
    return {
        "contact": contact,
        "identities": identities,
        "item_page": item_page,
        "conversation_count": Conversation.objects.filter(
            Q(contact=contact) | Q(items__contact=contact), account_id__in=account_ids
        )
        .distinct()
        .count(),
        "contest_entries": ContestEntry.objects.filter(contact=contact).select_related("contest")[:50],
        "ideas": Idea.objects.filter(contact=contact)[:50],
        "notes": contact.notes.select_related("author"),
        "contact_tags": contact.tags.order_by("name"),
        "contact_segments": contact.segments.order_by("name"),
        "breakdown": community.score_breakdown(contact),
        "half_life": community.HALF_LIFE_DAYS,
        "standings": rewards.standings(contact=contact),
        "ledger_page": ledger_page,
        "suggestions": community.merge_suggestions(workspace_id=workspace_id, contact=contact),
        "note_form": forms.get("note_form") or ContactNoteForm(),
        "labels_form": forms.get("labels_form")
        or LabelsForm(
            workspace_id=workspace_id,
            initial={"tags": list(contact.tags.all()), "segments": list(contact.segments.all())},
        ),
        "award_form": forms.get("award_form") or AwardForm(workspace_id=workspace_id),
        "redeem_form": forms.get("redeem_form") or RedeemForm(workspace_id=workspace_id),
    }


def member_page(
    request: HttpRequest, membership: Membership, contact: Contact, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = _member_context(request, membership, contact, **forms)
    return render(request, "participation/community/member.html", context, status=status)


@access.workspace_view()
@require_GET
def member(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    contact = inbox_access.get_contact_for_user(membership, contact_id)
    return member_page(request, membership, contact)


@access.workspace_view()
@require_GET
def member_conversations(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    """The fragment the inbox's contact panel loads: the person's other conversations on the
    accounts the member may see, across networks (`exclude`: the conversation open there)."""
    contact = inbox_access.get_contact_for_user(membership, contact_id)
    exclude = [int(value) for value in request.GET.getlist("exclude") if value.isdigit()][:5]
    conversations = community.other_conversations(
        contact, account_ids=inbox_access.visible_account_ids(membership), exclude=exclude, limit=10
    )
    context = {"contact": contact, "conversations": conversations}
    return render(request, "participation/community/_member_conversations.html", context)


@access.workspace_view("can_draft")
@require_POST
def note_add(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    contact = inbox_access.get_contact_for_user(membership, contact_id, capability="can_draft")
    form = ContactNoteForm(request.POST)
    if form.is_valid():
        try:
            community.note_add(contact=contact, author=membership.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Note added. Only your team sees it."))
            return _to_member(membership, contact.pk, "notes")
    return member_page(request, membership, contact, status=400, note_form=form)


@access.workspace_view("can_draft")
@require_POST
def note_delete(request: HttpRequest, membership: Membership, contact_id: int, note_id: int) -> HttpResponse:
    contact = inbox_access.get_contact_for_user(membership, contact_id, capability="can_draft")
    note = inbox_access.get_contact_note_for_user(membership, contact, note_id)
    community.note_delete(note=note, user=membership.user)
    messages.success(request, _("Note deleted."))
    return _to_member(membership, contact.pk, "notes")


@access.workspace_view("can_draft")
@require_POST
def member_labels(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    """The member's tags and segments (one form sets both)."""
    contact = inbox_access.get_contact_for_user(membership, contact_id, capability="can_draft")
    form = LabelsForm(request.POST, workspace_id=membership.workspace_id)
    if not form.is_valid():
        return member_page(request, membership, contact, status=400, labels_form=form)
    community.contact_set_tags(contact=contact, tags=list(form.cleaned_data["tags"]))
    community.contact_set_segments(contact=contact, segments=list(form.cleaned_data["segments"]))
    messages.success(request, _("Tags and segments saved."))
    return _to_member(membership, contact.pk, "labels")


@access.workspace_view("can_draft")
@require_POST
def member_score(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    contact = inbox_access.get_contact_for_user(membership, contact_id, capability="can_draft")
    score = community.score_compute(contact=contact)
    messages.success(request, _("Participation score recomputed: %(score)s.") % {"score": f"{score:.2f}"})
    return _to_member(membership, contact.pk, "score")


# Merge and split ---------------------------------------------------------------------------------
@access.workspace_view("can_publish")
@require_http_methods(["GET", "POST"])
def member_merge(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    """Find another member by name or handle (GET) and merge the two (POST)."""
    contact = inbox_access.get_contact_for_user(membership, contact_id, capability="can_publish")
    if request.method == "POST":
        form = MergeForm(request.POST, contact=contact)
        if form.is_valid():
            other = form.cleaned_data["other"]
            keep, away = (other, contact) if form.cleaned_data.get("keep") == "other" else (contact, other)
            try:
                kept = community.contact_merge(keep=keep, merge_away=away, actor=membership.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Merged: %(name)s is now one member.") % {"name": kept})
                return _to_member(membership, kept.pk)
        else:
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    search = MergeSearchForm(request.GET or None)
    candidates: Any = []
    if search.is_valid() and search.cleaned_data.get("q"):
        candidates = (
            community.members_query(workspace_id=membership.workspace_id, values={"q": search.cleaned_data["q"]})
            .exclude(pk=contact.pk)
            .prefetch_related("identities")[:20]
        )
    context = {
        "contact": contact,
        "identities": contact.identities.order_by("network", "pk"),
        "search": search,
        "candidates": candidates,
        "suggestions": community.merge_suggestions(workspace_id=membership.workspace_id, contact=contact),
    }
    return render(request, "participation/community/merge.html", context, status=400 if request.POST else 200)


@access.workspace_view("can_publish")
@require_POST
def member_split(request: HttpRequest, membership: Membership, contact_id: int, identity_id: int) -> HttpResponse:
    contact = inbox_access.get_contact_for_user(membership, contact_id, capability="can_publish")
    identity = inbox_access.get_identity_for_user(contact, identity_id)
    try:
        new = community.contact_split(contact=contact, identity=identity, actor=membership.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _to_member(membership, contact.pk, "identities")
    messages.success(
        request, _("%(handle)s is now a member of their own: %(name)s.") % {"handle": identity.handle, "name": new}
    )
    return _to_member(membership, new.pk)


@access.workspace_view()
@require_GET
def merges(request: HttpRequest, membership: Membership) -> HttpResponse:
    suggestions = community.merge_suggestions(workspace_id=membership.workspace_id)
    page = Paginator(suggestions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "participation/community/merges.html", {"page": page})


@access.workspace_view("can_publish")
@require_POST
def merge_pair(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Merge a suggested pair: `second` into `first`."""
    form = PairForm(request.POST, workspace_id=membership.workspace_id)
    if form.is_valid():
        try:
            kept = community.contact_merge(
                keep=form.cleaned_data["first"], merge_away=form.cleaned_data["second"], actor=membership.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Merged: %(name)s is now one member.") % {"name": kept})
            if request.POST.get("next") == "member":
                return _to_member(membership, kept.pk)
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("community:merges", slug=membership.workspace.slug)


@access.workspace_view("can_publish")
@require_POST
def merge_dismiss(request: HttpRequest, membership: Membership) -> HttpResponse:
    """ "Not the same person": the pair is not suggested again."""
    form = PairForm(request.POST, workspace_id=membership.workspace_id)
    if form.is_valid():
        community.merge_dismiss(
            first=form.cleaned_data["first"], second=form.cleaned_data["second"], user=membership.user
        )
        messages.success(request, _("Noted: they are not the same person. The pair is not suggested again."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    if request.POST.get("next") == "member" and form.is_valid():
        return _to_member(membership, form.cleaned_data["first"].pk)
    return redirect("community:merges", slug=membership.workspace.slug)


# Privacy -----------------------------------------------------------------------------------------
@access.workspace_view("is_admin")
@require_POST
def member_export(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    """Everything about the member as a JSON download (audited)."""
    contact = inbox_access.get_contact_for_user(membership, contact_id, capability="is_admin")
    data = community.contact_export(contact=contact, actor=membership.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    name = slugify(str(contact))[:40] or "member"
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="member-{contact.pk}-{name}-{stamp}.json"'
    return response


@access.workspace_view("is_admin")
@require_http_methods(["GET", "POST"])
def member_erase(request: HttpRequest, membership: Membership, contact_id: int) -> HttpResponse:
    """Erase a member on request: confirmed by typing their name; cannot be undone (audited)."""
    contact = inbox_access.get_contact_for_user(membership, contact_id, capability="is_admin")
    form = EraseForm(request.POST or None, contact=contact)
    if request.method == "POST" and form.is_valid():
        community.contact_erase(contact=contact, actor=membership.user)
        messages.success(request, _("The member and everything that identified them were erased."))
        return redirect("community:members", slug=membership.workspace.slug)
    counts = {
        "identities": contact.identities.count(),
        "items": InboxItem.objects.filter(contact=contact).count(),
        "notes": contact.notes.count(),
        "contest_entries": community.contest_entries_of(contact).count(),
        "ideas": Idea.objects.filter(contact=contact).count(),
        "ledger": LedgerEntry.objects.filter(contact=contact).count(),
    }
    context = {"contact": contact, "form": form, "counts": counts}
    return render(request, "participation/community/erase.html", context, status=400 if form.errors else 200)


# Segments ----------------------------------------------------------------------------------------
@access.workspace_view()
@require_GET
def segments(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _segments_page(request, membership)


def _segments_page(
    request: HttpRequest, membership: Membership, *, form: SegmentForm | None = None, status: int = 200
) -> HttpResponse:
    from django.db.models import Count

    rows = Segment.objects.filter(pk__in=[s.pk for s in community.segments_ensure(membership.workspace)]).annotate(
        member_count=Count("contacts")
    )
    context = {"segments": rows.order_by("name"), "form": form or SegmentForm()}
    return render(request, "participation/community/segments.html", context, status=status)


@access.workspace_view("can_publish")
@require_POST
def segment_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = SegmentForm(request.POST)
    if form.is_valid():
        try:
            segment = community.segment_create(
                workspace=membership.workspace, name=form.cleaned_data["name"], color=form.cleaned_data["color"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Segment “%(name)s” added.") % {"name": segment.name})
            return redirect("community:segments", slug=membership.workspace.slug)
    return _segments_page(request, membership, form=form, status=400)


@access.workspace_view("can_publish")
@require_POST
def segment_delete(request: HttpRequest, membership: Membership, segment_id: int) -> HttpResponse:
    segment = inbox_access.get_segment_for_user(membership, segment_id, write=True)
    try:
        community.segment_delete(segment=segment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Segment “%(name)s” deleted; members no longer have it.") % {"name": segment.name})
    return redirect("community:segments", slug=membership.workspace.slug)
