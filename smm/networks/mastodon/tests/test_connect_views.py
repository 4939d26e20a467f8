"""Connecting a Mastodon account from the pages, through the stand-in's real OAuth endpoints."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from smm.accounts.models import AuditEvent
from smm.networks.models import ConnectedAccount, OAuthApp
from tests.fixtures import Personas
from tests.peers.mastodon import MastodonMockServer


def _authorize_url(response) -> str:
    """The server's authorisation address, which the continue page moves on to by itself."""
    assert response.status_code == 200
    url = response.context["authorize_url"]
    assert f'content="0;url={url}"'.replace("&", "&amp;") in response.content.decode()
    return url


def test_an_admin_connects_an_account_with_state_and_pkce(
    client, personas: Personas, mastodon_server: MastodonMockServer
) -> None:
    brand = mastodon_server.create_user("brand", display_name="Brand Oy")
    client.force_login(personas.owner)
    connect_url = reverse("workspace-connect-mastodon", args=[personas.workspace.slug])
    response = client.post(connect_url, {"instance": mastodon_server.base_url})
    authorize = urlsplit(_authorize_url(response))
    assert f"{authorize.scheme}://{authorize.netloc}" == mastodon_server.base_url
    query = parse_qs(authorize.query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000" + reverse("mastodon-callback")]
    state = query["state"][0]
    assert OAuthApp.objects.count() == 1  # registered once on this server

    # The stand-in's authorisation page hands out "mockcode_<username>" for the account chosen.
    bad = client.get(reverse("mastodon-callback"), {"state": "forged", "code": f"mockcode_{brand.username}"})
    assert bad.status_code == 302
    assert not ConnectedAccount.objects.filter(remote_id=brand.id).exists()

    client.post(connect_url, {"instance": mastodon_server.base_url})
    assert OAuthApp.objects.count() == 1  # reused, not registered again
    state = parse_qs(urlsplit(_authorize_url(client.post(connect_url, {"instance": mastodon_server.base_url}))).query)[
        "state"
    ][0]
    response = client.get(reverse("mastodon-callback"), {"state": state, "code": f"mockcode_{brand.username}"})
    assert response["Location"] == reverse("workspace-accounts", args=[personas.workspace.slug])
    account = ConnectedAccount.objects.get(remote_id=brand.id)
    assert (account.workspace, account.status, account.display_name) == (personas.workspace, "ok", "Brand Oy")
    assert account.credentials["access_token"]
    assert account.config["limits"]["max_characters"] >= 500
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_CONNECTED, actor=personas.owner).exists()
    page = client.get(reverse("workspace-accounts", args=[personas.workspace.slug])).content.decode()
    assert "Brand Oy" in page and "Working" in page


def test_a_refused_grant_connects_nothing(client, personas: Personas, mastodon_server: MastodonMockServer) -> None:
    client.force_login(personas.owner)
    response = client.post(
        reverse("workspace-connect-mastodon", args=[personas.workspace.slug]), {"instance": mastodon_server.base_url}
    )
    state = parse_qs(urlsplit(_authorize_url(response)).query)["state"][0]
    response = client.get(reverse("mastodon-callback"), {"state": state, "error": "access_denied"}, follow=True)
    assert "Access was not granted" in response.content.decode()
    assert ConnectedAccount.objects.filter(workspace=personas.workspace).count() == 1  # only the fixture account


def test_a_server_that_is_not_mastodon_is_explained(client, personas: Personas, scripted_mastodon) -> None:
    client.force_login(personas.owner)
    typed = scripted_mastodon.base_url
    response = client.post(reverse("workspace-connect-mastodon", args=[personas.workspace.slug]), {"instance": typed})
    assert response.status_code == 400
    assert f'value="{typed}"' in response.content.decode()


def test_the_callback_checks_membership_again(client, personas: Personas, mastodon_server: MastodonMockServer) -> None:
    brand = mastodon_server.create_user("brand2")
    client.force_login(personas.owner)
    response = client.post(
        reverse("workspace-connect-mastodon", args=[personas.workspace.slug]), {"instance": mastodon_server.base_url}
    )
    state = parse_qs(urlsplit(_authorize_url(response)).query)["state"][0]
    personas.membership(personas.owner).__class__.objects.filter(pk=personas.membership(personas.owner).pk).update(
        role="editor"
    )
    response = client.get(reverse("mastodon-callback"), {"state": state, "code": f"mockcode_{brand.username}"})
    assert response.status_code == 403
    assert not ConnectedAccount.objects.filter(remote_id=brand.id).exists()
