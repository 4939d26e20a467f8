"""The accounts pages: list with health, account page, feature flags."""

from __future__ import annotations

from django.urls import reverse

from smm.accounts import services as account_services
from smm.accounts.models import AccountLevel
from smm.networks.models import ConnectedAccount
from tests.fixtures import Personas


def test_the_list_shows_health_and_offers_connecting_to_admins_only(client, personas: Personas) -> None:
    ConnectedAccount.objects.filter(pk=personas.account.pk).update(status=ConnectedAccount.Status.RECONNECT)
    url = reverse("workspace-accounts", args=[personas.workspace.slug])
    client.force_login(personas.owner)
    page = client.get(url).content.decode()
    assert "Reconnect needed" in page
    assert "needs to be reconnected" in page
    assert reverse("workspace-connect-mastodon", args=[personas.workspace.slug]) in page
    assert reverse("workspace-connect-bluesky", args=[personas.workspace.slug]) in page
    client.force_login(personas.editor)
    page = client.get(url).content.decode()
    assert personas.account.handle in page
    assert "Connect an account" not in page


def test_a_member_without_access_does_not_see_the_account(client, personas: Personas) -> None:
    account_services.account_permission_set(
        membership=personas.membership(personas.viewer),
        account=personas.account,
        level=AccountLevel.NONE,
        actor_membership=personas.membership(personas.owner),
    )
    client.force_login(personas.viewer)
    assert (
        personas.account.handle
        not in client.get(reverse("workspace-accounts", args=[personas.workspace.slug])).content.decode()
    )
    assert (
        client.get(reverse("workspace-account", args=[personas.workspace.slug, personas.account.pk])).status_code == 404
    )


def test_the_account_page_shows_capabilities_and_hides_actions_from_non_managers(client, personas: Personas) -> None:
    url = reverse("workspace-account", args=[personas.workspace.slug, personas.account.pk])
    client.force_login(personas.owner)
    page = client.get(url).content.decode()
    assert "Publish images" in page and "Boost or repost" in page
    assert "Disconnect" in page and "Who may do what" in page
    client.force_login(personas.editor)
    page = client.get(url).content.decode()
    assert "Disconnect" not in page and "Who may do what" not in page


def test_a_disabled_network_disappears(client, personas: Personas, settings) -> None:
    settings.MASTODON_ENABLED = False
    client.force_login(personas.owner)
    page = client.get(reverse("workspace-accounts", args=[personas.workspace.slug])).content.decode()
    assert reverse("workspace-connect-mastodon", args=[personas.workspace.slug]) not in page
    assert reverse("workspace-connect-bluesky", args=[personas.workspace.slug]) in page
    assert client.get(reverse("workspace-connect-mastodon", args=[personas.workspace.slug])).status_code == 404


def test_connect_forms_refuse_private_addresses_with_a_clear_message(client, personas: Personas, settings) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    client.force_login(personas.owner)
    response = client.post(
        reverse("workspace-connect-mastodon", args=[personas.workspace.slug]), {"instance": "http://127.0.0.1:9/"}
    )
    assert response.status_code == 400
    assert "127.0.0.1:9" in response.content.decode()  # what was typed stays
    response = client.post(
        reverse("workspace-connect-bluesky", args=[personas.workspace.slug]),
        {"identifier": "brand.example", "app_password": "abcd-efgh-ijkl-mnop", "pds_url": "http://10.0.0.1/"},
    )
    assert response.status_code == 400
    assert 'value="brand.example"' in response.content.decode()
