"""The composer: one post to many accounts, checked per network as it is written."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from publishing import access as publishing_access
from publishing.forms import ComposeForm
from publishing.models import MediaAsset, Post
from publishing.services import posts
from publishing.services.posts import NeedsConfirmation, When
from smm.accounts import access
from smm.accounts.models import Membership

RECENT_MEDIA = 24


def _initial(request: HttpRequest, post: Post | None) -> dict[str, Any]:
    if post is None:
        initial: dict[str, Any] = {"when": When.AT}
        for name in ("date", "time"):
            if request.GET.get(name):
                initial[name] = request.GET[name]
        if request.GET.get("account"):
            initial["accounts"] = request.GET.getlist("account")
        return initial
    targets = list(post.targets.all())
    first = next((t for t in targets if t.scheduled_at), None)
    initial = {
        "accounts": [t.account_id for t in targets],
        "text": post.text,
        "attachments": [item.asset_id for item in post.post_media.all()],
        "content_warning": post.content_warning,
        "language": post.language,
        "campaign": post.campaign_id,
        "labels": list(post.labels.values_list("pk", flat=True)),
        "when": When.AT if first else When.DRAFT,
    }
    for network, text in post.network_texts.items():
        initial[f"text_{network}"] = text
    if first is not None and first.scheduled_at is not None:
        local = timezone.localtime(first.scheduled_at)
        initial["date"], initial["time"] = local.date(), local.time().replace(second=0, microsecond=0)
    return initial


def _media_choices(membership: Membership, chosen: list[int]) -> list[MediaAsset]:
    """The chosen media first (in order), then the newest others."""
    assets = MediaAsset.objects.for_workspace(membership.workspace_id).attachable()
    picked = {asset.pk: asset for asset in assets.filter(pk__in=chosen)}
    others = list(assets.exclude(pk__in=chosen)[:RECENT_MEDIA])
    return [picked[pk] for pk in chosen if pk in picked] + others


def _success_message(post: Post, when: str) -> str:
    if when == When.DRAFT:
        return _("Draft saved.")
    if post.status == Post.Status.IN_REVIEW:
        return _("Sent for approval. It is scheduled once it is approved.")
    if when == When.NOW:
        return _("Publishing now. Follow it on this page.")
    times = sorted({t.scheduled_at for t in post.targets.all() if t.scheduled_at})
    if not times:
        return _("Saved.")
    first = formats.date_format(timezone.localtime(times[0]), "SHORT_DATETIME_FORMAT")
    if when == When.QUEUE:
        return _("Added to the queue; the first goes out %(time)s.") % {"time": first}
    return _("Scheduled for %(time)s.") % {"time": first}


@access.workspace_view("can_draft")
def compose(request: HttpRequest, membership: Membership, post_id: int | None = None) -> HttpResponse:
    post = publishing_access.get_post_for_user(membership, post_id, write=True) if post_id else None
    if post is not None and not all(target.is_editable for target in post.targets.all()):
        messages.error(request, _("This post is being published or already went out, so it cannot be changed."))
        return redirect("publishing:post-detail", slug=membership.workspace.slug, post_id=post.pk)
    form = ComposeForm(request.POST or None, initial=_initial(request, post), membership=membership)
    confirmations: list[str] = []
    if request.method == "POST" and form.is_valid():
        when = When(form.cleaned_data["when"])
        try:
            post = posts.post_save(
                membership=membership,
                data=form.post_input(),
                when=when,
                post=post,
                at_local=form.at_local(),
                zone=form.zone,
                confirmed=form.cleaned_data["confirmed"],
            )
        except NeedsConfirmation as error:
            confirmations = list(error.messages)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _success_message(post, when))
            return redirect("publishing:post-detail", slug=membership.workspace.slug, post_id=post.pk)
    chosen_media = [int(pk) for pk in (form["attachments"].value() or []) if str(pk).isdigit()]
    context = {
        "form": form,
        "post": post,
        "confirmations": confirmations,
        "media_choices": _media_choices(membership, chosen_media),
        "chosen_media": chosen_media,
        "checks": _checks_for(membership, form, post),
    }
    status = 400 if form.errors or confirmations else 200
    return render(request, "publishing/compose.html", context, status=status)


def _checks_for(membership: Membership, form: ComposeForm, post: Post | None) -> dict[str, Any] | None:
    """Previews for the page as first shown: the submitted form, or the stored post being edited."""
    if form.is_bound:
        return _checks_context(membership, form.post_input(), post.pk if post else None)
    if post is not None:
        return _checks_context(membership, posts.post_input_from(post), post.pk)
    return None


def _checks_context(membership: Membership, data: posts.PostInput, post_id: int | None) -> dict[str, Any]:
    """The per-account verdicts and previews for a post as it is written now (valid or not)."""
    from collaboration.services.rules import word_hits

    checks = posts.check_post(workspace_id=membership.workspace_id, data=data) if data.accounts else {}
    duplicates = posts.post_duplicates(workspace_id=membership.workspace_id, data=data, exclude_post_id=post_id)
    texts = [data.text, *data.network_texts.values(), data.content_warning]
    words = word_hits(workspace_id=membership.workspace_id, texts=texts)
    return {
        "checks": list(checks.values()),
        "duplicates": duplicates,
        "words": words,
        "media": list(data.media),
        "content_warning": data.content_warning,
    }


@access.workspace_view("can_draft")
@require_POST
def compose_check(request: HttpRequest, membership: Membership) -> HttpResponse:
    """htmx: the previews and what each network would refuse, for the form as it is now."""
    form = ComposeForm(request.POST, membership=membership)
    form.is_valid()  # the previews show whatever is valid so far
    post_id = request.POST.get("post_id", "")
    context = _checks_context(membership, form.post_input(), int(post_id) if post_id.isdigit() else None)
    return render(request, "publishing/_compose_checks.html", context)
