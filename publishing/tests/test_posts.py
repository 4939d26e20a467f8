# ruff: noqa: DTZ001  (naive datetimes here are wall-clock times, which the services take)
"""Writing and scheduling posts: refusals happen when scheduling, not at publish time."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from publishing.models import Campaign, Post, PublishingSettings, ShortLink, Target
from publishing.services import links, posts, queues
from publishing.services.media import media_upload
from publishing.services.posts import NeedsConfirmation, PostInput, When, post_save
from smm.networks.models import ConnectedAccount
from tests.factories import make_connected_account
from tests.fixtures import Personas

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
LATER = datetime(2026, 6, 2, 9, 0)


@pytest.fixture(autouse=True)
def _frozen(time_machine, settings, tmp_path) -> None:
    time_machine.move_to(NOW, tick=False)
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _image(personas: Personas, *, alt: str = "", size: tuple[int, int] = (64, 64), name: str = "photo.png"):
    output = io.BytesIO()
    Image.new("RGB", size, "orange").save(output, format="PNG")
    asset = media_upload(
        workspace=personas.workspace, uploaded_by=personas.owner, file=SimpleUploadedFile(name, output.getvalue())
    )
    if alt:
        asset.alt_text = alt
        asset.save()
    return asset


def _bluesky(personas: Personas) -> ConnectedAccount:
    return make_connected_account(personas.workspace, "brand.bsky.social", network="bluesky")


def test_a_scheduled_post_stores_wall_time_zone_and_instant(personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    post = post_save(
        membership=personas.membership(personas.editor),
        data=PostInput(text="Hello", accounts=[account]),
        when=When.AT,
        at_local=LATER,
        zone="Europe/Helsinki",
    )
    target = post.targets.get()
    assert (target.status, target.timezone) == (Target.Status.SCHEDULED, "Europe/Helsinki")
    assert target.local_datetime == LATER
    assert target.scheduled_at == datetime(2026, 6, 2, 6, 0, tzinfo=UTC) == target.due_at
    assert post.status == Post.Status.SCHEDULED


def test_text_too_long_for_bluesky_is_refused_when_scheduling(personas: Personas) -> None:
    mastodon, bluesky = make_connected_account(personas.workspace), _bluesky(personas)
    data = PostInput(text="x" * 301, accounts=[mastodon, bluesky])
    with pytest.raises(ValidationError) as error:
        post_save(membership=personas.membership(personas.editor), data=data, when=When.AT, at_local=LATER, zone="UTC")
    assert "1 character too long for Bluesky" in " ".join(error.value.messages)
    assert not Post.objects.exists()
    # A per-network text fixes it; a draft was fine all along.
    data.network_texts = {"bluesky": "Short for Bluesky"}
    post = post_save(
        membership=personas.membership(personas.editor), data=data, when=When.AT, at_local=LATER, zone="UTC"
    )
    assert post.text_for("bluesky") == "Short for Bluesky" and post.text_for("mastodon") == "x" * 301


def test_checks_count_the_networks_way(personas: Personas) -> None:
    mastodon, bluesky = make_connected_account(personas.workspace), _bluesky(personas)
    url = "https://example.com/" + "a" * 100
    checks = posts.check_post(
        workspace_id=personas.workspace.pk, data=PostInput(text=f"Read {url}", accounts=[mastodon, bluesky])
    )
    assert checks[mastodon.pk].length == len("Read ") + 23  # Mastodon counts every link as 23
    assert checks[bluesky.pk].length == len(f"Read {url}")


def test_images_without_alt_text_are_refused_only_where_the_workspace_requires_it(personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    image = _image(personas)
    data = PostInput(text="Look", accounts=[account], media=[image])
    checks = posts.check_post(workspace_id=personas.workspace.pk, data=data)
    assert [issue.level for issue in checks[account.pk].issues] == ["warning"]
    PublishingSettings.objects.update_or_create(workspace=personas.workspace, defaults={"require_alt_text": True})
    with pytest.raises(ValidationError, match="requires one"):
        post_save(membership=personas.membership(personas.editor), data=data, when=When.AT, at_local=LATER, zone="UTC")


def test_bluesky_takes_four_images_and_no_content_warning(personas: Personas) -> None:
    account = _bluesky(personas)
    images = [_image(personas, alt=f"Picture {n}", name=f"p{n}.png") for n in range(5)]
    checks = posts.check_post(
        workspace_id=personas.workspace.pk,
        data=PostInput(text="Five", accounts=[account], media=images, content_warning="Spoilers"),
    )
    messages = " ".join(issue.message for issue in checks[account.pk].errors)
    assert "at most 4 pictures" in messages and "no content warnings" in messages


def test_a_contributors_post_goes_to_review_never_straight_out(personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    membership = personas.membership(personas.contributor)
    post = post_save(membership=membership, data=PostInput(text="Hi", accounts=[account]), when=When.NOW)
    assert post.targets.get().status == Target.Status.IN_REVIEW
    assert post.status == Post.Status.IN_REVIEW and post.approval_required
    draft = post_save(membership=membership, data=PostInput(text="Hi there", accounts=[account]), when=When.DRAFT)
    assert draft.targets.get().status == Target.Status.DRAFT


def test_past_times_are_refused(personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    with pytest.raises(ValidationError, match="already passed"):
        post_save(
            membership=personas.membership(personas.editor),
            data=PostInput(text="Hi", accounts=[account]),
            when=When.AT,
            at_local=datetime(2026, 5, 1, 9, 0),
            zone="UTC",
        )


def test_blackouts_and_near_duplicates_ask_for_confirmation(personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    membership = personas.membership(personas.editor)
    queues.blackout_create(
        workspace=personas.workspace,
        title="Embargo",
        starts_at=datetime(2026, 6, 2, 0, 0, tzinfo=UTC),
        ends_at=datetime(2026, 6, 3, 0, 0, tzinfo=UTC),
    )
    data = PostInput(text="Our new product launches today with a big party", accounts=[account])
    with pytest.raises(NeedsConfirmation) as asked:
        post_save(membership=membership, data=data, when=When.AT, at_local=LATER, zone="UTC")
    assert "Embargo" in asked.value.messages[0]
    post_save(membership=membership, data=data, when=When.AT, at_local=LATER, zone="UTC", confirmed=True)
    again = PostInput(text="Our new product launches today with a big party!", accounts=[account])
    with pytest.raises(NeedsConfirmation) as duplicate:
        post_save(membership=membership, data=again, when=When.AT, at_local=datetime(2026, 6, 5, 9, 0), zone="UTC")
    assert "very similar" in duplicate.value.messages[0]


def test_utm_parameters_and_short_links(personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    campaign = Campaign.objects.create(workspace=personas.workspace, name="Spring", utm_campaign="spring26")
    text = "Shop https://shop.example/sale?ref=x now"
    prepared = links.prepare_text(text, campaign=campaign, network="mastodon")
    assert "https://shop.example/sale?ref=x&utm_source=mastodon&utm_medium=social&utm_campaign=spring26" in prepared
    campaign.shorten_links = True
    campaign.save()
    post = post_save(
        membership=personas.membership(personas.editor),
        data=PostInput(text=text, accounts=[account], campaign=campaign),
        when=When.DRAFT,
    )
    first = links.prepare_text(text, campaign=campaign, network="mastodon", post=post, account=account)
    second = links.prepare_text(text, campaign=campaign, network="mastodon", post=post, account=account)
    assert first == second  # the same short link every time (a retry publishes the same text)
    link = ShortLink.objects.get()
    assert link.code in first and "utm_campaign=spring26" in link.url


def test_rescheduling_moves_the_targets_and_is_checked_again(personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    membership = personas.membership(personas.editor)
    post = post_save(
        membership=membership,
        data=PostInput(text="Hello", accounts=[account]),
        when=When.AT,
        at_local=LATER,
        zone="UTC",
    )
    moved = posts.targets_reschedule(
        membership=membership,
        targets=list(post.targets.all()),
        at_local=datetime(2026, 6, 4, 12, 0),
        zone="UTC",
    )
    assert moved[0].scheduled_at == datetime(2026, 6, 4, 12, 0, tzinfo=UTC) == moved[0].due_at
    Target.objects.filter(pk=moved[0].pk).update(status=Target.Status.PUBLISHED, remote_id="1")
    with pytest.raises(ValidationError, match="cannot be moved"):
        posts.targets_reschedule(
            membership=membership,
            targets=list(post.targets.all()),
            at_local=datetime(2026, 6, 5, 12, 0),
            zone="UTC",
        )


def test_a_viewer_cannot_reschedule(personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    post = post_save(
        membership=personas.membership(personas.editor),
        data=PostInput(text="Hi", accounts=[account]),
        when=When.AT,
        at_local=LATER,
        zone="UTC",
    )
    with pytest.raises(ValidationError):
        posts.targets_reschedule(
            membership=personas.membership(personas.viewer),
            targets=list(post.targets.all()),
            at_local=LATER,
            zone="UTC",
        )


def test_derived_status() -> None:
    S = Target.Status
    assert posts.derive_status([]) == Post.Status.DRAFT
    assert posts.derive_status([S.PUBLISHED, S.PUBLISHED]) == Post.Status.PUBLISHED
    assert posts.derive_status([S.PUBLISHED, S.FAILED]) == Post.Status.PARTIAL
    assert posts.derive_status([S.SCHEDULED, S.CANCELLED]) == Post.Status.SCHEDULED
    assert posts.derive_status([S.CANCELLED]) == Post.Status.CANCELLED
    assert posts.derive_status([S.PUBLISHED, S.UNCONFIRMED]) == Post.Status.ATTENTION
    assert posts.derive_status([S.HELD, S.SCHEDULED]) == Post.Status.HELD


def test_future_posts_keep_their_wall_time_when_zone_rules_change(personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    post = post_save(
        membership=personas.membership(personas.editor),
        data=PostInput(text="Hello", accounts=[account]),
        when=When.AT,
        at_local=LATER,
        zone="Europe/Helsinki",
    )
    # Pretend the instant was computed under old rules (an hour off), as after a tzdata update.
    Target.objects.filter(post=post).update(
        scheduled_at=datetime(2026, 6, 2, 7, 0, tzinfo=UTC), due_at=datetime(2026, 6, 2, 7, 0, tzinfo=UTC)
    )
    assert posts.targets_recompute_instants() == 1
    target = post.targets.get()
    assert target.scheduled_at == target.due_at == datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
    assert posts.targets_recompute_instants() == 0
