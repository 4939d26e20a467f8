"""The inbox: the list with filters, one conversation with its thread, and what a member does there."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from participation import access as inbox_access
from participation.forms import InboxFilterForm, ModerateForm, NoteForm, ReplyForm
from participation.models import Conversation, InboxItem, InboxTag, InboxView, ModerationAction, Reply, SavedReply
from participation.services import conversations, moderation, replies
from smm.accounts import access
from smm.accounts.models import AccountLevel, Membership
from smm.accounts.services import account_level_for
from smm.lib.html import sanitize

PAGE_SIZE = 25


def filtered_conversations(
    membership: Membership, data: QueryDict | dict[str, Any]
) -> tuple[InboxFilterForm, QuerySet[Conversation]]:
    """The member's conversations filtered as `data` says (the list page, the columns, saved views)."""
    account_ids = inbox_access.visible_account_ids(membership)
    form = InboxFilterForm(data or None, membership=membership, account_ids=account_ids)
    queryset = Conversation.objects.for_workspace(membership.workspace_id).filter(account_id__in=account_ids)
    # The valid fields still filter; an invalid one is left out and its error shown with the form.
    form.is_valid()
    values: dict[str, Any] = getattr(form, "cleaned_data", {})
    status = values.get("status") or ""
    if status == "":
        queryset = queryset.exclude(status=Conversation.Status.CLOSED)
    elif status != "all":
        queryset = queryset.filter(status=status)
    if not values.get("all_kinds"):
        queryset = queryset.filter(spam=False, lower_priority=False)
    if values.get("account"):
        queryset = queryset.filter(account=values["account"])
    if values.get("network"):
        queryset = queryset.filter(account__network=values["network"])
    if values.get("kind"):
        queryset = queryset.filter(kind=values["kind"])
    assignee = values.get("assignee") or ""
    if assignee == "me":
        queryset = queryset.filter(assignee_id=membership.user_id)
    elif assignee == "nobody":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee.isdigit():
        queryset = queryset.filter(assignee_id=int(assignee))
    if values.get("tag"):
        queryset = queryset.filter(tags=values["tag"])
    if values.get("sentiment"):
        queryset = queryset.filter(sentiment=values["sentiment"])
    zone = timezone.get_current_timezone()
    if values.get("date_from"):
        queryset = queryset.filter(last_activity_at__gte=datetime.combine(values["date_from"], time.min, tzinfo=zone))
    if values.get("date_to"):
        queryset = queryset.filter(last_activity_at__lte=datetime.combine(values["date_to"], time.max, tzinfo=zone))
    if values.get("q"):
        # The subject, or any item's text. EXISTS, not a join of every item with DISTINCT over whole
        # rows (which the count sorted too): PostgreSQL hashes the matching items once (from the
        # trigram index) or, when there are too many to hash, looks at each conversation's own items.
        matching = InboxItem.objects.filter(
            conversation=OuterRef("pk"), workspace_id=membership.workspace_id, text__icontains=values["q"]
        )
        queryset = queryset.filter(Q(subject__icontains=values["q"]) | Exists(matching))
    # The newest message of the other side, shown under the subject (the thread's first message).
    latest = (
        InboxItem.objects.filter(conversation=OuterRef("pk"))
        .exclude(kind__in=[InboxItem.Kind.OURS, *InboxItem.LOWER_PRIORITY])
        .order_by("-created_at", "-pk")
        .values("text")[:1]
    )
    queryset = (
        queryset.select_related("account", "assignee", "contact")
        .prefetch_related(Prefetch("tags", queryset=InboxTag.objects.order_by("name")))
        .annotate(latest_text=Subquery(latest))
    )
    return form, queryset.order_by("-last_activity_at", "-pk")


@access.workspace_view()
def inbox(request: HttpRequest, membership: Membership) -> HttpResponse:
    form, queryset = filtered_conversations(membership, request.GET)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    targets = conversations.targets_for(membership.workspace_id)
    now = timezone.now()
    for conversation in page:
        due = conversations.response_due(conversation, targets)
        conversation.due_at = due  # type: ignore[attr-defined]
        conversation.overdue = bool(due and due < now)  # type: ignore[attr-defined]
    views = InboxView.objects.filter(workspace_id=membership.workspace_id).filter(
        Q(owner__isnull=True) | Q(owner_id=membership.user_id)
    )
    context = {"form": form, "page": page, "query": query.urlencode(), "views": views}
    template = "participation/_inbox_rows.html" if request.headers.get("HX-Request") else "participation/inbox.html"
    return render(request, template, context)


def _thread(conversation: Conversation) -> list[dict[str, Any]]:
    items = list(conversation.items.select_related("identity", "sent_by").order_by("created_at", "pk"))
    return [
        {
            "item": item,
            "html": sanitize(item.html) if item.html else "",
            "actions": moderation.available_actions(item),
        }
        for item in items
    ]


def _conversation_context(
    request: HttpRequest, membership: Membership, conversation: Conversation, **extra: Any
) -> dict[str, Any]:
    level = account_level_for(membership=membership, account=conversation.account)
    thread = _thread(conversation)
    last_theirs = next((row["item"] for row in reversed(thread) if row["item"].kind != InboxItem.Kind.OURS), None)
    targets = conversations.targets_for(membership.workspace_id)
    return {
        "conversation": conversation,
        "thread": thread,
        "notes": conversation.notes.select_related("author"),
        "replies": conversation.replies.select_related("author", "in_reply_to").order_by("-created_at")[:20],
        "reply_to": last_theirs,
        "can_write": membership.can_draft and level >= AccountLevel.DRAFT,
        "can_publish": level >= AccountLevel.PUBLISH,
        "saved_replies": SavedReply.objects.filter(workspace_id=membership.workspace_id),
        "tags": InboxTag.objects.filter(workspace_id=membership.workspace_id),
        "members": Membership.objects.filter(workspace_id=membership.workspace_id).select_related("user"),
        "others": replies.others_present(conversation=conversation, user=membership.user),
        "due_at": conversations.response_due(conversation, targets),
        "limits": _limit(conversation),
        "reply_form": extra.pop("reply_form", None)
        or ReplyForm(initial={"item": last_theirs.pk if last_theirs else None}),
        "note_form": NoteForm(),
        **extra,
    }


def _limit(conversation: Conversation) -> int | None:
    from publishing.services.validation import account_limits

    limits = account_limits(conversation.account)
    return limits.max_characters if limits else None


@access.workspace_view()
def conversation_detail(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    conversation = inbox_access.get_conversation_for_user(membership, conversation_id)
    if conversation.status == Conversation.Status.NEW and membership.can_draft:
        conversations.conversation_set_status(
            conversation=conversation, status=Conversation.Status.OPEN, actor=membership.user
        )
    replies.presence_ping(conversation=conversation, user=membership.user, typing=False)
    return render(request, "participation/conversation.html", _conversation_context(request, membership, conversation))


@access.workspace_view()
@require_POST
def conversation_update(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    """Status, assignee and tags (one small form each posts here)."""
    conversation = inbox_access.get_conversation_for_user(membership, conversation_id, write=True)
    try:
        if "status" in request.POST:
            conversations.conversation_set_status(
                conversation=conversation, status=request.POST["status"], actor=membership.user
            )
        if "assignee" in request.POST:
            value = request.POST["assignee"]
            assignee = None
            if value == "me":
                assignee = membership.user
            elif value.isdigit():
                member = (
                    Membership.objects.filter(workspace_id=membership.workspace_id, user_id=int(value))
                    .select_related("user")
                    .first()
                )
                if member is None:
                    raise ValidationError(_("Choose a member of this workspace."))
                assignee = member.user
            conversations.conversation_assign(conversation=conversation, assignee=assignee, actor=membership)
        if "tags" in request.POST or request.POST.get("tags_sent"):
            ids = [int(value) for value in request.POST.getlist("tags") if value.isdigit()]
            conversations.conversation_set_tags(
                conversation=conversation,
                tags=list(InboxTag.objects.filter(workspace_id=membership.workspace_id, pk__in=ids)),
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Saved."))
    if request.POST.get("next") == "list":
        return redirect("participation:inbox", slug=membership.workspace.slug)
    return redirect("participation:conversation", slug=membership.workspace.slug, conversation_id=conversation.pk)


@access.workspace_view()
@require_POST
def conversation_note(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    conversation = inbox_access.get_conversation_for_user(membership, conversation_id, write=True)
    form = NoteForm(request.POST)
    if form.is_valid():
        conversations.note_add(conversation=conversation, author=membership.user, body=form.cleaned_data["body"])
        messages.success(request, _("Note added. Only your team sees it."))
    else:
        messages.error(request, _("Write a note first."))
    return redirect("participation:conversation", slug=membership.workspace.slug, conversation_id=conversation.pk)


@access.workspace_view()
@require_POST
def conversation_reply(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    conversation = inbox_access.get_conversation_for_user(membership, conversation_id, write=True)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        context = _conversation_context(request, membership, conversation, reply_form=form)
        return render(request, "participation/conversation.html", context, status=400)
    item = inbox_access.get_item_for_user(membership, form.cleaned_data["item"])
    if item.conversation_id != conversation.pk:
        form.add_error(None, _("Reply to a message of this conversation."))
        return render(
            request,
            "participation/conversation.html",
            _conversation_context(request, membership, conversation, reply_form=form),
            status=400,
        )
    try:
        reply = replies.reply_send(
            item=item, membership=membership, text=form.cleaned_data["text"], confirmed=form.cleaned_data["confirmed"]
        )
    except replies.AlreadyAnswered as error:
        context = _conversation_context(request, membership, conversation, reply_form=form, collision=error.messages[0])
        return render(request, "participation/conversation.html", context, status=409)
    except ValidationError as error:
        for message in error.messages:
            form.add_error("text", message)
        return render(
            request,
            "participation/conversation.html",
            _conversation_context(request, membership, conversation, reply_form=form),
            status=400,
        )
    if reply.status == Reply.Status.SENT:
        messages.success(request, _("Replied on %(network)s.") % {"network": item.account.get_network_display()})
    elif reply.status == Reply.Status.IN_REVIEW:
        messages.info(request, _("Your reply waits for approval; it is sent once it is approved."))
    else:
        messages.error(request, _("The reply was not sent: %(error)s") % {"error": reply.error})
    return redirect("participation:conversation", slug=membership.workspace.slug, conversation_id=conversation.pk)


@access.workspace_view()
@require_POST
def reply_review(request: HttpRequest, membership: Membership, reply_id: int) -> HttpResponse:
    reply = inbox_access.get_reply_for_user(membership, reply_id)
    try:
        result = replies.reply_review(
            reply=reply,
            membership=membership,
            approve=request.POST.get("decision") == "approve",
            comment=request.POST.get("comment", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if result.status == Reply.Status.SENT:
            messages.success(request, _("Approved and sent."))
        elif result.status == Reply.Status.REJECTED:
            messages.success(request, _("Returned to its author with your comment."))
        else:
            messages.error(request, _("The reply was not sent: %(error)s") % {"error": result.error})
    return redirect("participation:conversation", slug=membership.workspace.slug, conversation_id=reply.conversation_id)


@access.workspace_view()
@require_POST
def item_react(request: HttpRequest, membership: Membership, item_id: int) -> HttpResponse:
    item = inbox_access.get_item_for_user(membership, item_id)
    try:
        replies.item_react(item=item, membership=membership, action=request.POST.get("action", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Done on %(network)s.") % {"network": item.account.get_network_display()})
    return redirect("participation:conversation", slug=membership.workspace.slug, conversation_id=item.conversation_id)


@access.workspace_view()
@require_POST
def item_moderate(request: HttpRequest, membership: Membership, item_id: int) -> HttpResponse:
    item = inbox_access.get_item_for_user(membership, item_id)
    form = ModerateForm({**request.POST.dict(), "item": item.pk})
    if not form.is_valid():
        messages.error(request, _("Choose what to do."))
    else:
        try:
            moderation.moderation_apply(
                item=item, action=form.cleaned_data["action"], actor=membership, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Done: %(action)s.") % {"action": ModerationAction.Action(form.cleaned_data["action"]).label},
            )
    return redirect("participation:conversation", slug=membership.workspace.slug, conversation_id=item.conversation_id)


@access.workspace_view()
@require_POST
def conversation_presence(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    """htmx, every few seconds: I am here (typing or not); answers who else is."""
    conversation = inbox_access.get_conversation_for_user(membership, conversation_id)
    replies.presence_ping(conversation=conversation, user=membership.user, typing=request.POST.get("typing") == "1")
    others = replies.others_present(conversation=conversation, user=membership.user)
    return render(request, "participation/_presence.html", {"others": others})
