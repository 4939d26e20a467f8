"""Scheduled posts go out once, at their time, on real peers: the local AT Protocol network and
the Mastodon stand-in, through the real adapters and the real engine (tasks run eagerly)."""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from publishing.models import Target
from publishing.services import engine
from publishing.services.media import media_upload
from publishing.services.posts import PostInput, When, post_save
from smm.lib.tz import utc_to_wall
from smm.networks.mastodon import client as mastodon_client
from smm.networks.models import ConnectedAccount
from tests.fixtures import Personas

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _png(color: str) -> SimpleUploadedFile:
    output = io.BytesIO()
    Image.new("RGB", (320, 200), color).save(output, format="PNG")
    return SimpleUploadedFile(f"{color}.png", output.getvalue())


def _images(personas: Personas) -> list:
    assets = []
    for color, alt in (("red", "A red card with the sale date"), ("blue", "A blue card with the shop address")):
        asset = media_upload(workspace=personas.workspace, uploaded_by=personas.owner, file=_png(color))
        asset.alt_text = alt
        asset.save()
        assets.append(asset)
    return assets


def _schedule_soon(personas: Personas, account: ConnectedAccount, text: str, media: list) -> tuple[object, datetime]:
    due = (timezone.now() + timedelta(seconds=3)).replace(microsecond=0) + timedelta(seconds=1)
    post = post_save(
        membership=personas.membership(personas.owner),
        data=PostInput(text=text, accounts=[account], media=media, language="en"),
        when=When.AT,
        at_local=utc_to_wall(due, "UTC"),
        zone="UTC",
    )
    return post, due


def _run_engine_until(due: datetime, capture) -> None:
    """Tick like the publisher loop: nothing before the due time, everything once it has come."""
    with capture(execute=True):
        assert engine.targets_claim_due() == 0  # not yet
    while timezone.now() < due:
        time.sleep(0.1)
    with capture(execute=True):
        assert engine.targets_claim_due() == 1


def test_a_scheduled_bluesky_post_with_two_images_appears_once_at_its_time(
    personas: Personas, bluesky_network, django_capture_on_commit_callbacks
) -> None:
    from smm.networks.bluesky.client import connect

    bluesky_network.require_appview()
    person = bluesky_network.create_account("brand")
    credentials, config = connect(person.handle, person.app_password, bluesky_network.pds_url)
    account = ConnectedAccount(
        workspace=personas.workspace, network="bluesky", handle=person.handle, remote_id=person.did, config=config
    )
    account.set_credentials(credentials)
    account.save()

    post, due = _schedule_soon(personas, account, "Spring sale this weekend #spring", _images(personas))
    _run_engine_until(due, django_capture_on_commit_callbacks)

    target = post.targets.get()  # type: ignore[attr-defined]
    assert target.status == Target.Status.PUBLISHED, target.last_error
    assert target.published_at >= due
    assert target.verified_at is not None  # read back from the PDS
    feed = bluesky_network.wait_for(
        lambda: (
            (
                response := bluesky_network.xrpc(
                    "GET", "app.bsky.feed.getAuthorFeed", token=person.access_jwt, params={"actor": person.did}
                )
            ).status_code
            == 200
            and response.json()["feed"]
            and response.json()["feed"]
        ),
        what="the post in the author feed",
    )
    assert len(feed) == 1
    view = feed[0]["post"]
    assert view["uri"] == target.remote_id
    assert view["record"]["text"] == "Spring sale this weekend #spring"
    images = view["embed"]["images"]
    assert [image["alt"] for image in images] == ["A red card with the sale date", "A blue card with the shop address"]
    # Running the engine again sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.publisher_tick() == 0
    again = bluesky_network.xrpc(
        "GET", "app.bsky.feed.getAuthorFeed", token=person.access_jwt, params={"actor": person.did}
    )
    assert len(again.json()["feed"]) == 1


def test_a_scheduled_mastodon_post_with_images_appears_once_at_its_time(
    personas: Personas, mastodon_server, django_capture_on_commit_callbacks
) -> None:
    user = mastodon_server.create_user("brand")
    info = mastodon_client.instance_info(mastodon_server.base_url)
    account = ConnectedAccount(
        workspace=personas.workspace,
        network="mastodon",
        handle=f"@{user.username}@127.0.0.1",
        remote_id=user.id,
        config={**info.config(), "account_id": user.id},
    )
    account.set_credentials({"access_token": user.access_token})
    account.save()

    post, due = _schedule_soon(personas, account, "Spring sale this weekend", _images(personas))
    _run_engine_until(due, django_capture_on_commit_callbacks)

    target = post.targets.get()  # type: ignore[attr-defined]
    assert target.status == Target.Status.PUBLISHED, target.last_error
    assert target.verified_at is not None
    statuses = mastodon_server.client(user).account_statuses(user.id)
    assert len(statuses) == 1
    assert [media.description for media in statuses[0].media_attachments] == [
        "A red card with the sale date",
        "A blue card with the shop address",
    ]
