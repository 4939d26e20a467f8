"""Registering smm on a server, the authorization URL, and the code exchange (with and without PKCE)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests

from smm.networks.base import AuthError, PermanentError
from smm.networks.mastodon import client
from smm.networks.mastodon.adapter import MastodonAdapter
from tests.peers.contract import ContractRecorder
from tests.peers.mastodon import MastodonMockServer, Reply, ScriptedServer, load_fixture

REDIRECT_URI = "https://smm.example/networks/mastodon/callback/"
WEBSITE = "https://smm.example"

SessionFactory = Callable[[], requests.Session]


def test_it_registers_an_app(mastodon_server: MastodonMockServer, contract_session: SessionFactory) -> None:
    registration = client.register_app(
        mastodon_server.base_url, REDIRECT_URI, website=WEBSITE, session=contract_session()
    )

    assert registration.client_id and registration.client_secret
    assert registration.client_id != registration.client_secret


def test_it_builds_the_authorization_url_with_state_and_pkce(
    mastodon_server: MastodonMockServer, contract_session: SessionFactory, mastodon_contract: ContractRecorder
) -> None:
    session = contract_session()
    registration = client.register_app(mastodon_server.base_url, REDIRECT_URI, website=WEBSITE, session=session)
    verifier, challenge = client.pkce_pair()

    url = client.authorization_url(
        mastodon_server.base_url,
        registration.client_id,
        REDIRECT_URI,
        state="state-123",
        code_challenge=challenge,
        language="fi-FI",
        session=session,
    )

    mastodon_contract.check_url("GET", url)  # what the browser will ask for is what the spec allows
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{mastodon_server.base_url}/oauth/authorize"
    assert dict(parse_qsl(parts.query)) == {
        "client_id": registration.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "read write follow",
        "force_login": "True",
        "state": "state-123",
        "lang": "fi",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def test_it_builds_the_authorization_url_without_pkce(
    mastodon_server: MastodonMockServer, contract_session: SessionFactory
) -> None:
    url = client.authorization_url(
        mastodon_server.base_url, "client-id", REDIRECT_URI, state="s", code_challenge=None, session=contract_session()
    )

    query = parse_qs(urlsplit(url).query)
    assert "code_challenge" not in query and "code_challenge_method" not in query
    assert query["lang"] == ["en"]


@pytest.mark.parametrize("with_pkce", [True, False])
def test_it_exchanges_the_code_for_a_working_token(
    mastodon_server: MastodonMockServer, contract_session: SessionFactory, with_pkce: bool
) -> None:
    alice = mastodon_server.create_user("alice")
    session = contract_session()
    registration = client.register_app(mastodon_server.base_url, REDIRECT_URI, website=WEBSITE, session=session)
    info = client.instance_info(mastodon_server.base_url, session=session)
    assert info.supports_pkce  # mastodon_mock advertises S256 like Mastodon >= 4.3
    verifier = client.pkce_pair()[0] if with_pkce else None

    # mastodon_mock's authorization page issues "mockcode_<username>" for the account picked.
    token = client.exchange_code(
        mastodon_server.base_url,
        registration.client_id,
        registration.client_secret,
        REDIRECT_URI,
        f"mockcode_{alice.username}",
        code_verifier=verifier,
        session=session,
    )

    adapter = MastodonAdapter(credentials={"access_token": token}, config=info.config(), session=contract_session())
    assert adapter.profile().remote_id == alice.id


def test_it_refuses_a_bad_code(mastodon_server: MastodonMockServer, contract_session: SessionFactory) -> None:
    session = contract_session()
    registration = client.register_app(mastodon_server.base_url, REDIRECT_URI, website=WEBSITE, session=session)

    for verifier in (None, "v" * 50):
        with pytest.raises(PermanentError) as caught:
            client.exchange_code(
                mastodon_server.base_url,
                registration.client_id,
                registration.client_secret,
                REDIRECT_URI,
                "not-a-code",
                code_verifier=verifier,
                session=session,
            )
        assert caught.value.status == 400


def test_it_sends_the_code_verifier_to_the_advertised_token_endpoint(scripted_mastodon: ScriptedServer) -> None:
    oauth = load_fixture("oauth_authorization_server_glitch_4_4.json")
    oauth["token_endpoint"] = f"{scripted_mastodon.base_url}/oauth/v2/token"
    scripted_mastodon.on("GET", "/.well-known/oauth-authorization-server", Reply(body=oauth))
    scripted_mastodon.on(
        "POST",
        "/oauth/v2/token",
        Reply(
            body={
                "access_token": "the-token",
                "token_type": "Bearer",
                "scope": "read write follow",
                "created_at": 1732100000,
            }
        ),
    )

    token = client.exchange_code(
        scripted_mastodon.base_url, "cid", "secret", REDIRECT_URI, "the-code", code_verifier="the-verifier"
    )

    assert token == "the-token"
    request = scripted_mastodon.requests[-1]
    assert dict(parse_qsl(request.body.decode())) == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "client_id": "cid",
        "client_secret": "secret",
        "redirect_uri": REDIRECT_URI,
        "code_verifier": "the-verifier",
        "scope": "read write follow",
    }


def test_it_maps_a_refused_client_to_auth_error(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on(
        "POST",
        "/oauth/token",
        Reply(
            401, {"error": "invalid_client", "error_description": "Client authentication failed due to unknown client."}
        ),
    )

    with pytest.raises(AuthError) as caught:
        client.exchange_code(scripted_mastodon.base_url, "cid", "secret", REDIRECT_URI, "code", code_verifier="v" * 50)

    assert caught.value.detail == "invalid_client: Client authentication failed due to unknown client."


def test_it_maps_a_refused_registration(scripted_mastodon: ScriptedServer) -> None:
    scripted_mastodon.on(
        "POST", "/api/v1/apps", Reply(422, {"error": "Validation failed: Redirect URI must be an absolute URI."})
    )

    with pytest.raises(PermanentError) as caught:
        client.register_app(scripted_mastodon.base_url, "not a uri", website=WEBSITE)

    assert (caught.value.status, caught.value.detail) == (
        422,
        "Validation failed: Redirect URI must be an absolute URI.",
    )


def test_it_never_reads_server_given_ids_as_file_names(
    scripted_mastodon: ScriptedServer, tmp_path: Any, monkeypatch: Any
) -> None:
    # Mastodon.py reads client_id / access_token from a file when one of that name exists.
    (tmp_path / "secret.txt").write_text("first line of a local file\n")
    monkeypatch.chdir(tmp_path)
    scripted_mastodon.on(
        "GET",
        "/api/v1/accounts/verify_credentials",
        Reply(body=load_fixture("account_verify_credentials_mastodon_4_3.json")),
    )

    adapter = MastodonAdapter(
        credentials={"access_token": "secret.txt"}, config={"instance_url": scripted_mastodon.base_url}
    )
    adapter.profile()
    url = client.authorization_url(
        scripted_mastodon.base_url, "secret.txt", REDIRECT_URI, state="s", code_challenge=None
    )

    assert scripted_mastodon.requests[0].headers["Authorization"] == "Bearer secret.txt"
    assert parse_qs(urlsplit(url).query)["client_id"] == ["secret.txt"]


def test_it_makes_pkce_pairs() -> None:
    verifier, challenge = client.pkce_pair()

    assert 43 <= len(verifier) <= 128
    assert challenge == base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert client.pkce_pair()[0] != verifier


@pytest.mark.parametrize(
    ("typed", "base_url"),
    [
        ("mastodon.social", "https://mastodon.social"),
        (" https://Mastodon.Social/@Gargron/123 ", "https://mastodon.social"),
        ("@acme@mastodon.example", "https://mastodon.example"),
        ("acme@mastodon.example", "https://mastodon.example"),
        ("https://social.example:8443/", "https://social.example:8443"),
        ("bücher.example", "https://xn--bcher-kva.example"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),  # tests and local stand-ins only
    ],
)
def test_it_normalises_instance_urls(typed: str, base_url: str) -> None:
    assert client.normalise_instance_url(typed) == base_url


@pytest.mark.parametrize(
    "typed", ["", "ftp://mastodon.social", "https://user:pw@mastodon.social", "https://", "https://x:99999"]
)
def test_it_refuses_what_is_not_a_server_address(typed: str) -> None:
    with pytest.raises(PermanentError):
        client.normalise_instance_url(typed)
