"""The publishing promise from the browser: write one post for Bluesky and Mastodon with pictures,
see both previews, add it to the queue, find it in the calendar, drag it to another day, and it
goes out once at the new time; a paused workspace holds a due post until someone decides.

The networks are real peers (the local AT Protocol network, the Mastodon stand-in); the engine
runs in the test process, ticked like the publisher loop, at times reached with time-machine.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from publishing.models import Post, Target
from publishing.services import engine
from smm.lib.tz import utc_to_wall
from smm.networks.bluesky.client import connect as bluesky_connect
from smm.networks.mastodon import client as mastodon_client
from smm.networks.models import ConnectedAccount
from tests.browser.flows import label, log_in
from tests.factories import PASSWORD
from tests.fixtures import Personas

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ZONE = "Europe/Helsinki"


@pytest.fixture
def accounts(personas: Personas, mastodon_server, bluesky_network, settings, tmp_path) -> dict[str, object]:
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    bluesky_network.require_appview()
    personas.owner.timezone = ZONE
    personas.owner.save(update_fields=["timezone"])
    user = mastodon_server.create_user("brand", display_name="Brand on Mastodon")
    info = mastodon_client.instance_info(mastodon_server.base_url)
    mastodon = ConnectedAccount(
        workspace=personas.workspace,
        network="mastodon",
        handle=f"@{user.username}@127.0.0.1",
        display_name="Brand on Mastodon",
        remote_id=user.id,
        config={**info.config(), "account_id": user.id},
        timezone=ZONE,
    )
    mastodon.set_credentials({"access_token": user.access_token})
    mastodon.save()
    person = bluesky_network.create_account("brand")
    credentials, config = bluesky_connect(person.handle, person.app_password, bluesky_network.pds_url)
    bluesky = ConnectedAccount(
        workspace=personas.workspace,
        network="bluesky",
        handle=person.handle,
        display_name="Brand on Bluesky",
        remote_id=person.did,
        config=config,
        timezone=ZONE,
    )
    bluesky.set_credentials(credentials)
    bluesky.save()
    return {"mastodon": mastodon, "bluesky": bluesky, "mastodon_user": user, "bluesky_person": person}


def _png(color: str) -> dict[str, object]:
    output = io.BytesIO()
    Image.new("RGB", (400, 300), color).save(output, format="PNG")
    return {"name": f"{color}.png", "mimeType": "image/png", "buffer": output.getvalue()}


def _tick(capture) -> int:
    with capture(execute=True):
        return engine.targets_claim_due()


def test_write_queue_drag_and_publish_once_then_pause_holds(
    page: Page, personas: Personas, accounts, mastodon_server, bluesky_network, django_capture_on_commit_callbacks
) -> None:
    slug = personas.workspace.slug
    mastodon, bluesky = accounts["mastodon"], accounts["bluesky"]
    log_in(page, personas.owner.email, PASSWORD)

    # Two pictures with a description, from the media library.
    page.goto(f"/w/{slug}/publishing/media/upload/")
    page.get_by_label(label("Files")).set_input_files([_png("red"), _png("green")])
    page.get_by_label(label("Alt text")).fill("Our spring collection on a table")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"**/w/{slug}/publishing/media/**")

    # Queue times every day at 10:00 for both accounts.
    for account in (mastodon, bluesky):
        page.goto(f"/w/{slug}/publishing/queues/{account.pk}/")
        for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
            page.get_by_label(label(day)).fill("10:00")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(f"**/w/{slug}/publishing/queues/")

    # Write the post; both previews count the text their own way.
    page.goto(f"/w/{slug}/publishing/compose/")
    page.get_by_label("Mastodon · Brand on Mastodon").check()
    page.get_by_label("Bluesky · Brand on Bluesky").check()
    page.get_by_label(label("Text")).fill(
        "Spring is here: new collection in the shop today https://shop.example/spring"
    )
    for picture in page.locator(".media-choice label").all():
        picture.click()
    previews = page.locator("article.preview")
    expect(previews).to_have_count(2)
    expect(page.locator("article.preview-mastodon")).to_contain_text("72 / 500")  # the link counts as 23
    expect(page.locator("article.preview-bluesky")).to_contain_text("/ 300")
    expect(page.locator("article.preview-bluesky img")).to_have_count(2)
    page.get_by_role("button", name="Add to queue").click()
    expect(page.get_by_role("status").filter(has_text="Added to the queue")).to_be_visible()
    post = Post.objects.get()
    targets = list(post.targets.order_by("account__network"))
    assert {target.status for target in targets} == {Target.Status.SCHEDULED}
    queued_at = targets[0].scheduled_at
    assert queued_at is not None and all(target.scheduled_at == queued_at for target in targets)
    assert utc_to_wall(queued_at, ZONE).time().isoformat() == "10:00:00"

    # The calendar shows it; drag it two days later.
    page.goto(f"/w/{slug}/publishing/calendar/")
    event = page.locator(".fc-event").filter(has_text="Spring is here")
    expect(event).to_be_visible()
    old_day = utc_to_wall(queued_at, ZONE).date()
    new_day = old_day + timedelta(days=2)
    event.drag_to(page.locator(f'td.fc-daygrid-day[data-date="{new_day.isoformat()}"]'))
    expect(page.locator("#calendar-message")).to_have_text(re.compile("Moved"))
    new_at = datetime.fromisoformat(f"{new_day.isoformat()}T10:00").replace(tzinfo=None)
    for target in targets:
        target.refresh_from_db()
        assert utc_to_wall(target.scheduled_at, ZONE) == new_at
    new_due = targets[0].scheduled_at

    # At the old time nothing goes out; at the new time it goes out once on each network.
    with time_machine.travel(queued_at + timedelta(seconds=5), tick=True):
        assert _tick(django_capture_on_commit_callbacks) == 0
    with time_machine.travel(new_due + timedelta(seconds=1), tick=True):
        assert _tick(django_capture_on_commit_callbacks) == 2
        assert _tick(django_capture_on_commit_callbacks) == 0
    for target in targets:
        target.refresh_from_db()
        assert target.status == Target.Status.PUBLISHED, target.last_error
        assert target.published_at >= new_due
    user = accounts["mastodon_user"]
    assert len(mastodon_server.client(user).account_statuses(user.id)) == 1
    person = accounts["bluesky_person"]
    feed = bluesky_network.wait_for(
        lambda: bluesky_network.xrpc(
            "GET", "app.bsky.feed.getAuthorFeed", token=person.access_jwt, params={"actor": person.did}
        ).json()["feed"],
        what="the post in the author feed",
    )
    assert len(feed) == 1 and len(feed[0]["post"]["embed"]["images"]) == 2

    # Pause the workspace; a due post is held, and goes out once when the team says so.
    page.goto(f"/w/{slug}/publishing/compose/")
    page.get_by_label("Mastodon · Brand on Mastodon").check()
    page.get_by_label(label("Text")).fill("A second post, held while we are paused")
    later = utc_to_wall(timezone.now() + timedelta(days=5), ZONE).replace(hour=12, minute=0)
    page.get_by_label(label("Date")).fill(later.date().isoformat())
    page.get_by_label(label("Time")).fill("12:00")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Scheduled for")).to_be_visible()
    page.goto(f"/w/{slug}/publishing/settings/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Pause all publishing").click()
    expect(page.get_by_role("alert").filter(has_text="Publishing is paused")).to_be_visible()
    second = Post.objects.exclude(pk=post.pk).get().targets.get()
    assert second.scheduled_at is not None
    with time_machine.travel(second.scheduled_at + timedelta(seconds=1), tick=True):
        assert _tick(django_capture_on_commit_callbacks) == 1
        second.refresh_from_db()
        assert (second.status, second.hold_reason) == (Target.Status.HELD, Target.HoldReason.WORKSPACE_PAUSED)
        page.get_by_role("button", name="Resume publishing").first.click()
        page.wait_for_url(f"**/w/{slug}/publishing/held/")
        row = page.get_by_role("row").filter(has_text="A second post")
        expect(row).to_contain_text("paused in this workspace")
        row.get_by_role("button", name="Publish now").click()
        expect(page.get_by_role("status").filter(has_text="Publishing to")).to_be_visible()
        assert _tick(django_capture_on_commit_callbacks) == 1
    second.refresh_from_db()
    assert second.status == Target.Status.PUBLISHED
    assert len(mastodon_server.client(user).account_statuses(user.id)) == 2
