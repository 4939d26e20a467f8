"""Every workspace page of this app × persona × method (see tests/access.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.access import ADMINS, ALL_MEMBERS, DRAFTERS, PUBLISHERS, Matrix, cases, check_access, check_post_only
from tests.access import slug_kwargs as _slug
from tests.fixtures import Personas


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:
    """Uploads made by these tests land in a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(output, format="PNG")
    return output.getvalue()


class _Upload:
    """A file for the test client that gives its whole content each time (one data dict serves every case)."""

    content_type = "image/png"

    def __init__(self, name: str) -> None:
        self.name = name

    def read(self) -> bytes:
        return _png()


def _media(p: Personas) -> dict[str, object]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from publishing.services.media import media_upload

    asset = media_upload(workspace=p.workspace, uploaded_by=p.owner, file=SimpleUploadedFile("photo.png", _png()))
    return {"slug": p.workspace.slug, "media_id": asset.pk}


def _video(p: Personas) -> dict[str, object]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from publishing.services.media import media_upload
    from publishing.tests.test_media import mp4

    asset = media_upload(workspace=p.workspace, uploaded_by=p.owner, file=SimpleUploadedFile("clip.mp4", mp4()))
    return {"slug": p.workspace.slug, "media_id": asset.pk}


def _post(p: Personas, *, scheduled: bool = False) -> object:
    from datetime import timedelta

    from django.utils import timezone

    from publishing.services.posts import PostInput, When, post_save

    at = (timezone.now() + timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    return post_save(
        membership=p.membership(p.owner),
        data=PostInput(text="Spring sale starts", accounts=[p.account]),
        when=When.AT if scheduled else When.DRAFT,
        at_local=at,
        zone="UTC",
    )


def _post_kwargs(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "post_id": _post(p).pk}  # type: ignore[attr-defined]


def _target_cancel(p: Personas) -> dict[str, object]:
    post = _post(p, scheduled=True)
    return {"slug": p.workspace.slug, "target_id": post.targets.get().pk, "action": "cancel"}  # type: ignore[attr-defined]


def _account_kwargs(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "account_id": p.account.pk}


def _campaign(p: Personas) -> dict[str, object]:
    from publishing.models import Campaign

    return {"slug": p.workspace.slug, "campaign_id": Campaign.objects.create(workspace=p.workspace, name="Spring").pk}


def _label(p: Personas) -> dict[str, object]:
    from publishing.models import Label

    return {"slug": p.workspace.slug, "label_id": Label.objects.create(workspace=p.workspace, name="Product").pk}


def _blackout(p: Personas) -> dict[str, object]:
    from datetime import timedelta

    from django.utils import timezone

    from publishing.models import Blackout

    start = timezone.now() + timedelta(days=1)
    blackout = Blackout.objects.create(
        workspace=p.workspace, title="Holiday", starts_at=start, ends_at=start + timedelta(days=1)
    )
    return {"slug": p.workspace.slug, "blackout_id": blackout.pk}


def _move(p: Personas) -> dict[str, object]:
    """Kwargs for calendar-move, with the scheduled target to move under a private key."""
    post = _post(p, scheduled=True)
    return {**_slug(p), "_target": post.targets.get().pk}  # type: ignore[attr-defined]


def _move_data(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    from datetime import timedelta

    from django.utils import timezone

    start = (timezone.now() + timedelta(days=5)).replace(microsecond=0, tzinfo=None)
    return {"targets": str(kwargs["_target"]), "start": start.isoformat()}


def _compose_data(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"accounts": str(p.account.pk), "text": "Hello", "when": "draft"}


def _blackout_data(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"title": "Holiday", "starts": "2099-12-24T00:00", "ends": "2099-12-27T00:00"}


def _csv_file(p: Personas) -> SimpleUploadedFile:
    from datetime import timedelta

    from django.utils import timezone

    at = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    return SimpleUploadedFile("posts.csv", f"text,accounts,time\nSpring sale,{p.account.handle},{at}\n".encode())


def _csv_upload_data(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"file": _csv_file(p), "timezone": "UTC"}


def _csv_import(p: Personas) -> dict[str, object]:
    """A checked import, ready to be imported."""
    from publishing.services.imports import csv_import_check, csv_import_create

    upload = csv_import_create(membership=p.membership(p.owner), file=_csv_file(p), zone="UTC")
    csv_import_check(import_id=upload.csv_import.pk)
    return {"slug": p.workspace.slug, "import_id": upload.csv_import.pk}


def _feed(p: Personas) -> dict[str, object]:
    """A feed on a closed loopback port: "Check now" fails fast and records the error."""
    from publishing.services.feeds import FeedInput, feed_create

    feed = feed_create(
        membership=p.membership(p.owner),
        data=FeedInput(name="Acme blog", url="http://127.0.0.1:9/feed.xml", accounts=[p.account]),
    )
    return {"slug": p.workspace.slug, "feed_id": feed.pk}


def _feed_data(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {
        "name": "Acme news",
        "url": "http://127.0.0.1:9/news.xml",
        "accounts": str(p.account.pk),
        "mode": "draft",
        "template": "{title} {link}",
        "enabled": "on",
    }


MATRIX: Matrix = {
    # Media library: every member sees and downloads; roles that can draft upload, describe and delete.
    "publishing:media": (_slug, {"get": (ALL_MEMBERS, {})}),
    "publishing:media-upload": (_slug, {"get": (DRAFTERS, {}), "post": (DRAFTERS, {"file": _Upload("new.png")})}),
    "publishing:media-detail": (_media, {"get": (ALL_MEMBERS, {})}),
    "publishing:media-alt-text": (_media, {"post": (DRAFTERS, {"alt_text": "A teal square"})}),
    "publishing:media-cover": (_video, {"post": (DRAFTERS, {"cover": _Upload("cover.png")})}),
    "publishing:media-delete": (_media, {"get": (DRAFTERS, {}), "post": (DRAFTERS, {})}),
    "publishing:media-file": (_media, {"get": (ALL_MEMBERS, {})}),
    "publishing:media-thumbnail": (_media, {"get": (ALL_MEMBERS, {})}),
    # Posts: every member reads; roles that can draft write (per-account levels are checked too).
    "publishing:posts": (_slug, {"get": (ALL_MEMBERS, {})}),
    "publishing:compose": (_slug, {"get": (DRAFTERS, {}), "post": (DRAFTERS, _compose_data)}),
    "publishing:compose-check": (_slug, {"post": (DRAFTERS, _compose_data)}),
    "publishing:post-detail": (_post_kwargs, {"get": (ALL_MEMBERS, {})}),
    "publishing:post-edit": (_post_kwargs, {"get": (DRAFTERS, {}), "post": (DRAFTERS, _compose_data)}),
    "publishing:post-delete": (_post_kwargs, {"post": (DRAFTERS, {})}),
    "publishing:target-action": (_target_cancel, {"post": (DRAFTERS, {})}),
    "publishing:held": (_slug, {"get": (ALL_MEMBERS, {})}),
    "publishing:calendar": (_slug, {"get": (ALL_MEMBERS, {})}),
    "publishing:calendar-events": (
        _slug,
        {"get": (ALL_MEMBERS, {"start": "2030-01-01T00:00:00", "end": "2030-02-01T00:00:00"})},
    ),
    "publishing:calendar-move": (_move, {"post": (PUBLISHERS, _move_data)}),
    # Plan: reading for all; editors and up change campaigns, labels, blackouts and pause;
    # queue times need the manage level on the account; the rules need settings rights.
    "publishing:settings": (
        _slug,
        {
            "get": (ALL_MEMBERS, {}),
            "post": (ADMINS, {"late_grace_minutes": "15", "duplicate_window_days": "30"}),
        },
    ),
    "publishing:pause": (_slug, {"post": (PUBLISHERS, {"reason": "Crisis"})}),
    "publishing:resume": (_slug, {"post": (PUBLISHERS, {})}),
    "publishing:queues": (_slug, {"get": (ALL_MEMBERS, {})}),
    "publishing:queue-edit": (
        _account_kwargs,
        {"get": (ALL_MEMBERS, {}), "post": (ADMINS, {"day_0": "09:00", "posts_per_period": "3", "period": "week"})},
    ),
    "publishing:campaigns": (_slug, {"get": (ALL_MEMBERS, {})}),
    "publishing:campaign-new": (
        _slug,
        {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, {"name": "Autumn", "color": "#112233", "utm_medium": "social"})},
    ),
    "publishing:campaign-edit": (
        _campaign,
        {
            "get": (PUBLISHERS, {}),
            "post": (PUBLISHERS, {"name": "Spring 2", "color": "#112233", "utm_medium": "social"}),
        },
    ),
    "publishing:label-new": (_slug, {"post": (PUBLISHERS, {"name": "Pillar", "color": "#112233"})}),
    "publishing:label-delete": (_label, {"post": (PUBLISHERS, {})}),
    "publishing:blackouts": (_slug, {"get": (ALL_MEMBERS, {}), "post": (PUBLISHERS, _blackout_data)}),
    "publishing:blackout-delete": (_blackout, {"post": (PUBLISHERS, {})}),
    # CSV import: roles that can publish upload, preview, import and discard.
    "publishing:import": (_slug, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, _csv_upload_data)}),
    "publishing:import-example": (_slug, {"get": (PUBLISHERS, {})}),
    "publishing:import-detail": (_csv_import, {"get": (PUBLISHERS, {})}),
    "publishing:import-run": (_csv_import, {"post": (PUBLISHERS, {})}),
    "publishing:import-discard": (_csv_import, {"post": (PUBLISHERS, {})}),
    # Feeds: every member reads; roles that can publish add, change, delete and check them.
    "publishing:feeds": (_slug, {"get": (ALL_MEMBERS, {})}),
    "publishing:feed-new": (_slug, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, _feed_data)}),
    "publishing:feed-detail": (_feed, {"get": (ALL_MEMBERS, {})}),
    "publishing:feed-edit": (_feed, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, _feed_data)}),
    "publishing:feed-delete": (_feed, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, {})}),
    "publishing:feed-check": (_feed, {"post": (PUBLISHERS, {})}),
}


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(MATRIX, personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)
