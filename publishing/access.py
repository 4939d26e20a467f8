"""Publishing objects looked up for a member: another workspace's rows are 404, too low a role 403.

The workspace itself is checked by smm.accounts.access.workspace_view before these run.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from publishing.models import Blackout, Campaign, CsvImport, Feed, Label, MediaAsset, Post, Target
from smm.accounts.access import require
from smm.accounts.models import Membership


def get_media_for_user(membership: Membership, media_id: int, *, write: bool = False) -> MediaAsset:
    """A media file of the member's workspace; with `write`, only for roles that can draft (others 403)."""
    asset = (
        MediaAsset.objects.for_workspace(membership.workspace_id)
        .select_related("video", "uploaded_by")
        .filter(pk=media_id)
        .first()
    )
    if asset is None:
        raise Http404
    if write:
        require(membership, "can_draft")
    return asset


def visible_account_ids(membership: Membership) -> list[int]:
    """Accounts of the workspace the member may at least view."""
    from smm.accounts.models import AccountLevel
    from smm.accounts.selectors import account_access_for_member

    return [
        access.account.pk for access in account_access_for_member(membership) if access.effective >= AccountLevel.VIEW
    ]


def visible_posts(membership: Membership) -> QuerySet[Post]:
    """Posts of the workspace with at least one account the member may view."""
    return (
        Post.objects.for_workspace(membership.workspace_id)
        .filter(targets__account_id__in=visible_account_ids(membership))
        .distinct()
    )


def get_post_for_user(membership: Membership, post_id: int, *, write: bool = False) -> Post:
    """A post the member can see; with `write`, the member must be able to draft on all its accounts (403)."""
    from smm.accounts.models import AccountLevel
    from smm.accounts.services import account_level_for

    post = visible_posts(membership).filter(pk=post_id).select_related("campaign", "author").first()
    if post is None:
        raise Http404
    if write:
        require(membership, "can_draft")
        for target in post.targets.select_related("account"):
            if account_level_for(membership=membership, account=target.account) < AccountLevel.DRAFT:
                raise PermissionDenied
    return post


def get_target_for_user(membership: Membership, target_id: int, *, level: int) -> Target:
    """A target on an account the member may view; 403 below `level` on its account."""
    from smm.accounts.models import AccountLevel
    from smm.accounts.services import account_level_for

    target = (
        Target.objects.for_workspace(membership.workspace_id)
        .select_related("account", "post__workspace", "post__campaign")
        .filter(pk=target_id)
        .first()
    )
    if target is None:
        raise Http404
    effective = account_level_for(membership=membership, account=target.account)
    if effective < AccountLevel.VIEW:
        raise Http404
    if effective < level:
        raise PermissionDenied
    return target


def get_campaign_for_user(membership: Membership, campaign_id: int, *, write: bool = False) -> Campaign:
    campaign = Campaign.objects.filter(workspace_id=membership.workspace_id, pk=campaign_id).first()
    if campaign is None:
        raise Http404
    if write:
        require(membership, "can_publish")
    return campaign


def get_label_for_user(membership: Membership, label_id: int, *, write: bool = False) -> Label:
    label = Label.objects.filter(workspace_id=membership.workspace_id, pk=label_id).first()
    if label is None:
        raise Http404
    if write:
        require(membership, "can_publish")
    return label


def get_blackout_for_user(membership: Membership, blackout_id: int, *, write: bool = False) -> Blackout:
    blackout = Blackout.objects.filter(workspace_id=membership.workspace_id, pk=blackout_id).first()
    if blackout is None:
        raise Http404
    if write:
        require(membership, "can_publish")
    return blackout


def get_csv_import_for_user(membership: Membership, import_id: int) -> CsvImport:
    """A CSV import of the member's workspace; only roles that can publish see or run imports (others 403)."""
    csv_import = (
        CsvImport.objects.filter(workspace_id=membership.workspace_id, pk=import_id)
        .select_related("workspace", "created_by")
        .first()
    )
    if csv_import is None:
        raise Http404
    require(membership, "can_publish")
    return csv_import


def get_feed_for_user(membership: Membership, feed_id: int, *, write: bool = False) -> Feed:
    """A feed of the member's workspace; with `write`, only for roles that can publish (others 403)."""
    feed = (
        Feed.objects.filter(workspace_id=membership.workspace_id, pk=feed_id)
        .select_related("workspace", "campaign", "created_by")
        .first()
    )
    if feed is None:
        raise Http404
    if write:
        require(membership, "can_publish")
    return feed
