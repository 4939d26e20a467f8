"""Avatars are fetched once through the SSRF guard, kept re-encoded, and served from our origin."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.urls import reverse
from PIL import Image

from smm.networks import services
from smm.networks.base import Profile
from smm.networks.models import AccountAvatar, ConnectedAccount
from tests.fixtures import Personas
from tests.peers.mastodon import Reply, ScriptedServer


@pytest.fixture
def image_host(settings) -> Iterator[ScriptedServer]:
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = ScriptedServer().start()
    yield server
    server.stop()


def _png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (300, 300), "navy").save(output, format="PNG")
    return output.getvalue()


def _connect(personas: Personas, avatar_url: str) -> ConnectedAccount:
    return services.account_connect(
        workspace=personas.workspace,
        network="mastodon",
        profile=Profile(remote_id="7", handle="@brand@m.example", display_name="Brand", avatar_url=avatar_url),
        credentials={"access_token": "secret"},
        config={"instance_url": "https://m.example"},
        actor_membership=personas.membership(personas.owner),
    )


def test_connecting_fetches_the_avatar_and_the_page_shows_it(
    client, personas: Personas, image_host: ScriptedServer, django_capture_on_commit_callbacks
) -> None:
    image_host.on("GET", "/avatar.png", Reply(200, _png(), {"Content-Type": "image/png"}))
    with django_capture_on_commit_callbacks(execute=True):
        account = _connect(personas, f"{image_host.base_url}/avatar.png")
    account.refresh_from_db()
    assert account.avatar_version
    avatar = AccountAvatar.objects.get(account=account)
    with Image.open(io.BytesIO(bytes(avatar.image))) as picture:
        assert picture.format == "WEBP"

    client.force_login(personas.viewer)
    page = client.get(reverse("workspace-accounts", args=[personas.workspace.slug])).content.decode()
    src = reverse("workspace-account-avatar", args=[personas.workspace.slug, account.pk, account.avatar_version])
    assert f'src="{src}"' in page
    assert image_host.base_url not in page  # the browser never contacts the network's image host
    response = client.get(src)
    assert (response.status_code, response["Content-Type"]) == (200, "image/webp")
    assert "immutable" in response["Cache-Control"]
    stale = reverse("workspace-account-avatar", args=[personas.workspace.slug, account.pk, "0000"])
    assert client.get(stale).status_code == 404

    # The same address again: nothing is fetched.
    fetched = len(image_host.requests)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_record_success(
            account=account, profile=Profile(remote_id="7", handle="@brand@m.example", avatar_url=account.avatar_url)
        )
    assert len(image_host.requests) == fetched


def test_a_broken_avatar_keeps_the_placeholder(
    client, personas: Personas, image_host: ScriptedServer, django_capture_on_commit_callbacks
) -> None:
    image_host.on("GET", "/avatar.png", Reply(200, b"<html>not an image</html>", {"Content-Type": "image/png"}))
    with django_capture_on_commit_callbacks(execute=True):
        account = _connect(personas, f"{image_host.base_url}/avatar.png")
    account.refresh_from_db()
    assert account.avatar_version == ""
    assert not AccountAvatar.objects.filter(account=account).exists()
    client.force_login(personas.owner)
    page = client.get(reverse("workspace-account", args=[personas.workspace.slug, account.pk])).content.decode()
    assert "avatar-placeholder" in page


def test_an_avatar_on_a_private_address_is_never_fetched(
    personas: Personas, settings, django_capture_on_commit_callbacks
) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with django_capture_on_commit_callbacks(execute=True):
        account = _connect(personas, "http://127.0.0.1:9/avatar.png")
    account.refresh_from_db()
    assert account.avatar_version == ""
