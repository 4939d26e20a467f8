"""Bluesky DMs through the real PDS of the local network (tests/peers/bluesky) to the chat stand-in.

The dev-env has no chat service, but its PDS routes chat calls exactly as Bluesky's do: it resolves
the DID in the `atproto-proxy` header and forwards the call with a service token it signs with
the account's key. The stand-in (role "service") is such a service, `did:web:localhost%3A<port>`,
and checks that token against the PLC; the account's config names it instead of
did:web:api.bsky.chat. So the PDS half is real: app passwords with and without DM access, the
refusal "Bad token method", the proxy routing. It also checks the stand-in's PDS role against the
real PDS's answers.
"""

from __future__ import annotations

import pytest

from smm.networks.base import CapabilityUnavailableError
from smm.networks.bluesky import chat
from smm.networks.bluesky.adapter import BlueskyAdapter
from smm.networks.bluesky.client import connect
from tests.peers.bluesky_chat import BlueskyChatStandIn

pytestmark = pytest.mark.slow


@pytest.fixture
def chat_service(bluesky_network):
    with BlueskyChatStandIn(role="service", plc_url=bluesky_network.plc_url) as service:
        yield service


def _dm_app_password(bluesky_network, person) -> str:
    response = bluesky_network.xrpc(
        "POST",
        "com.atproto.server.createAppPassword",
        token=person.access_jwt,
        json={"name": "smm-dms", "privileged": True},  # "Allow access to your direct messages"
    )
    assert response.status_code == 200, response.text
    return str(response.json()["password"])


def _adapter(bluesky_network, chat_service, handle: str, app_password: str) -> BlueskyAdapter:
    credentials, config = connect(handle, app_password, bluesky_network.pds_url)
    return BlueskyAdapter(
        credentials=credentials, config={**config, "chat_service_did": chat_service.did}, save_credentials=None
    )


def test_dms_go_through_the_real_pds_to_the_chat_service_and_back(bluesky_network, chat_service) -> None:
    brand, anna = bluesky_network.create_account("brand"), bluesky_network.create_account("anna")
    for person in (brand, anna):
        chat_service.add_profile(person.did, person.handle, person.handle.split(".")[0].title())
    proxy = f"{chat_service.did}#bsky_chat"
    # Anna writes with her main password (its tokens reach chat), through the PDS.
    found = bluesky_network.xrpc(
        "GET",
        "chat.bsky.convo.getConvoForMembers",
        token=anna.access_jwt,
        headers={"atproto-proxy": proxy},
        params={"members": [anna.did, brand.did]},
    )
    assert found.status_code == 200, found.text
    convo_id = found.json()["convo"]["id"]
    sent = bluesky_network.xrpc(
        "POST",
        "chat.bsky.convo.sendMessage",
        token=anna.access_jwt,
        headers={"atproto-proxy": proxy},
        json={"convoId": convo_id, "message": {"text": "Hi, is the coat still available?"}},
    )
    assert sent.status_code == 200, sent.text

    adapter = _adapter(bluesky_network, chat_service, brand.handle, _dm_app_password(bluesky_network, brand))
    batch = adapter.direct_messages()
    posts = [item.post for item in batch.items if item.post is not None]
    assert [(post.author_id, post.text, post.thread_root) for post in posts] == [
        (anna.did, "Hi, is the coat still available?", convo_id)
    ]
    reply = adapter.send_direct(conversation_id=convo_id, text="It is! Size M?")
    convo = chat_service.convos[convo_id]
    assert [(message.sender, message.text) for message in convo.messages][-1] == (brand.did, "It is! Size M?")
    assert reply.remote_id == f"chat:{convo_id}/{convo.messages[-1].id}"
    assert adapter.direct_messages(since=batch.position).items == []
    # Every call reached the service through the PDS, with a token the PDS signed for that method.
    assert all(request["authorization"] for request in chat_service.requests if request["nsid"].startswith("chat."))
    assert {request.get("status") for request in chat_service.requests if request["nsid"].startswith("chat.")} == {200}


def test_the_real_pds_refuses_an_app_password_without_dm_access_as_the_stand_in_does(
    bluesky_network, chat_service, monkeypatch
) -> None:
    brand = bluesky_network.create_account("brand")  # its app password was made without DM access
    credentials, config = connect(brand.handle, brand.app_password, bluesky_network.pds_url)
    assert BlueskyAdapter.unavailable_capabilities(config)  # the token's scope already says so
    # Make the adapter ask anyway: the PDS itself refuses, and it is not taken for a dead token.
    monkeypatch.setattr(chat, "APP_PASSWORD_SCOPE", "not-the-scope")
    adapter = BlueskyAdapter(
        credentials=credentials, config={**config, "chat_service_did": chat_service.did}, save_credentials=None
    )
    with pytest.raises(CapabilityUnavailableError) as raised:
        adapter.direct_messages()
    assert raised.value.status == 400 and raised.value.detail == "InvalidToken: Bad token method"
    # The PDS resolved the proxy DID first (as the stand-in's PDS role checks the header first), then
    # refused before forwarding anything.
    assert [request["path"] for request in chat_service.requests] == ["/.well-known/did.json"]

    # The stand-in's PDS role answers as this PDS does.
    token = credentials["access_jwt"]
    proxy = f"{chat_service.did}#bsky_chat"
    refused = bluesky_network.xrpc("GET", "chat.bsky.convo.listConvos", token=token, headers={"atproto-proxy": proxy})
    assert (refused.status_code, refused.json()) == (400, {"error": "InvalidToken", "message": "Bad token method"})
    anonymous = bluesky_network.xrpc("GET", "chat.bsky.convo.listConvos", headers={"atproto-proxy": proxy})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "AuthMissing", anonymous.text
    no_service = bluesky_network.xrpc(
        "GET", "chat.bsky.convo.listConvos", token=brand.access_jwt, headers={"atproto-proxy": chat_service.did}
    )
    assert (no_service.status_code, no_service.json()["message"]) == (400, "no service id specified in proxy header")
    unproxied = bluesky_network.xrpc("GET", "chat.bsky.convo.listConvos", token=brand.access_jwt)
    if bluesky_network.has_appview:  # the AppView has no chat methods
        assert (unproxied.status_code, unproxied.json()["error"]) == (501, "MethodNotImplemented")
    else:
        assert unproxied.status_code == 400 and "No service configured" in unproxied.json()["message"]
