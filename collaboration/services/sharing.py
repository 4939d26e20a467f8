"""Employee sharing: share-ready posts and links for staff, and what each member shared where.

A member shares on their own personal account (ConnectedAccount.personal_owner): the share is a
post with source "share" that goes through post_save and the publishing engine like any other, so
it is checked (length, banned words) and published exactly once, but it is the employee's own
speech: no approval workflow applies (collaboration.services.approvals.steps_for).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from collaboration.models import Share, ShareSuggestion
from publishing.models import Post, Target
from smm.accounts.models import Membership
from smm.networks.base import Capability
from smm.networks.models import ConnectedAccount
from smm.networks.registry import adapter_class, is_enabled

TITLE_LENGTH = 80
# A share that ended in one of these may be tried again; any other means it is out or on its way.
# Held (the workspace paused, the account needs reconnecting) counts: nobody can see a personal
# share on the held page to send it on, so only sharing again gets it out.
RETRYABLE = (Target.Status.FAILED, Target.Status.CANCELLED, Target.Status.HELD)


def can_share_to(account: ConnectedAccount) -> bool:
    """A personal account smm can publish a text to now (connected, on an enabled network)."""
    return (
        account.is_connected
        and is_enabled(account.network)
        and Capability.PUBLISH_TEXT in adapter_class(account.network).capabilities
    )


def share_text(suggestion: ShareSuggestion) -> str:
    """The text offered for sharing: the suggested text, with the item's link if the text lacks it."""
    text = suggestion.suggested_text.strip()
    if suggestion.url and suggestion.url not in text:
        return f"{text}\n\n{suggestion.url}" if text else suggestion.url
    return text


def _require_publisher(membership: Membership) -> None:
    if not membership.can_publish:
        raise PermissionDenied


def share_suggestion_from_post(*, membership: Membership, post: Post) -> ShareSuggestion:
    """Put a post of the workspace on the sharing page, with its text and (once out) its link."""
    _require_publisher(membership)
    if post.workspace_id != membership.workspace_id:
        raise PermissionDenied
    if post.source == Post.Source.SHARE:
        raise ValidationError(_("This is a member's own share; it cannot be suggested again."))
    text = post.text.strip() or next((value.strip() for value in post.network_texts.values() if value.strip()), "")
    if not text:
        raise ValidationError(_("The post has no text to suggest."))
    with transaction.atomic():
        # The post's row lock makes two clicks (or two publishers) add one suggestion, not two.
        Post.objects.select_for_update().filter(pk=post.pk).first()
        if ShareSuggestion.objects.filter(post=post, active=True).exists():
            raise ValidationError(_("This post is already on the sharing page."))
        published = (
            Target.objects.filter(post=post, status=Target.Status.PUBLISHED)
            .exclude(remote_url="")
            .order_by("published_at", "pk")
            .first()
        )
        suggestion = ShareSuggestion(
            workspace_id=membership.workspace_id,
            post=post,
            url=published.remote_url if published else "",
            title=Truncator(text.splitlines()[0]).chars(TITLE_LENGTH),
            suggested_text=text,
            created_by=membership.user,
        )
        suggestion.full_clean()
        suggestion.save()
    return suggestion


def share_suggestion_create(*, membership: Membership, url: str, title: str, suggested_text: str) -> ShareSuggestion:
    """Put a link (an article, a job advert) on the sharing page with a suggested text."""
    _require_publisher(membership)
    if not url.strip():
        raise ValidationError({"url": _("Give the address of the page to share.")})
    suggestion = ShareSuggestion(
        workspace_id=membership.workspace_id,
        url=url.strip(),
        title=title.strip(),
        suggested_text=suggested_text.strip(),
        created_by=membership.user,
    )
    suggestion.full_clean()
    suggestion.save()
    return suggestion


def share_suggestion_deactivate(*, membership: Membership, suggestion: ShareSuggestion) -> ShareSuggestion:
    """Take an item off the sharing page; its shares and their counts are kept."""
    _require_publisher(membership)
    if suggestion.workspace_id != membership.workspace_id:
        raise PermissionDenied
    if suggestion.active:
        suggestion.active = False
        suggestion.save(update_fields=["active"])
    return suggestion


def share_copy(*, membership: Membership, suggestion: ShareSuggestion) -> Share:
    """Record that the member copied the item's text (to post it themselves, anywhere)."""
    _require_active(membership, suggestion)
    share = Share(suggestion=suggestion, user=membership.user, kind=Share.Kind.COPIED)
    share.full_clean()
    share.save()
    return share


def share_publish(
    *, membership: Membership, suggestion: ShareSuggestion, account: ConnectedAccount, text: str
) -> Share:
    """Publish `text` now on the member's own personal account: a post with source "share" through
    post_save (checks and banned words apply, no approval), which the engine sends exactly once.

    Raises ValidationError with the reasons when it cannot go out; a share that is out or on its
    way to the same account is not made twice."""
    from publishing.services.posts import PostInput, When, post_save

    _require_active(membership, suggestion)
    if account.personal_owner_id != membership.user_id or account.workspace_id != membership.workspace_id:
        raise PermissionDenied
    if not can_share_to(account):
        raise ValidationError(
            _("smm cannot publish to %(account)s now. Connect it again first.") % {"account": account}
        )
    text = text.strip()
    if not text:
        raise ValidationError(_("Write something to share."))
    with transaction.atomic():
        # Serialises one item's shares, so a double click cannot slip two posts past the check below.
        ShareSuggestion.objects.select_for_update().filter(pk=suggestion.pk).first()
        earlier = Share.objects.filter(
            suggestion=suggestion, user=membership.user, account=account, kind=Share.Kind.PUBLISHED
        ).values("post")
        if Target.objects.filter(post__in=earlier).exclude(status__in=RETRYABLE).exists():
            raise ValidationError(_("You have already shared this on %(account)s.") % {"account": account})
        post = post_save(
            membership=membership,
            data=PostInput(text=text, accounts=[account]),
            when=When.NOW,
            source=Post.Source.SHARE,
            # The member chose to say this now: no blackout or near-duplicate question.
            confirmed=True,
        )
        share = Share(
            suggestion=suggestion, user=membership.user, kind=Share.Kind.PUBLISHED, account=account, post=post
        )
        share.full_clean()
        share.save()
    return share


def _require_active(membership: Membership, suggestion: ShareSuggestion) -> None:
    if suggestion.workspace_id != membership.workspace_id:
        raise PermissionDenied
    if not suggestion.active:
        raise ValidationError(_("This item is no longer on the sharing page."))
