"""The inbox against real peers: the local AT Protocol network and the Mastodon stand-in.

What the issue's "done when" asks, through the pages a member uses: someone else's reply,
mention (and DM on Mastodon) arrive in one collection cycle; a member is assigned and replies
from smm, and the reply sits in the right thread on the network; a rule tags and assigns a new
item; an abusive reply is hidden (Bluesky) and its author blocked; the response-time report
shows the reply. Collection runs the way the scheduler runs it (the every-minute task; tasks
run eagerly in tests).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from participation.models import Conversation, InboxItem, InboxRule, InboxTag, ModerationAction, Reply
from participation.tasks import inbox_collect_task
from smm.networks.base import PostDraft
from smm.networks.mastodon import client as mastodon_client
from smm.networks.models import ConnectedAccount
from tests.fixtures import Personas

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _loopback(settings) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@pytest.fixture
def connect_account(bluesky_network):
    """An account on the local network, connected with an app password as the connect form does."""
    from smm.networks.bluesky.client import connect
    from smm.networks.bluesky.tests.conftest import ConnectedTestAccount

    def make(name: str):
        person = bluesky_network.create_account(name)
        credentials, config = connect(person.handle, person.app_password, bluesky_network.pds_url)
        return ConnectedTestAccount(account=person, credentials=credentials, config=config)

    return make


def _member_client(personas: Personas, user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rule(personas: Personas, word: str) -> tuple[InboxRule, InboxTag]:
    tag = InboxTag.objects.create(workspace=personas.workspace, name="Sales")
    rule = InboxRule.objects.create(
        workspace=personas.workspace,
        name="Price questions to sales",
        enabled=True,
        conditions={"words": [word]},
        actions={"tag": tag.pk, "assign": personas.editor.pk},
        created_by=personas.owner,
    )
    return rule, tag


def _url(personas: Personas, name: str, *args: int) -> str:
    return reverse(f"participation:{name}", args=[personas.workspace.slug, *args])


def _assign_and_reply(personas: Personas, client: Client, item: InboxItem, text: str) -> Reply:
    conversation = item.conversation
    response = client.post(_url(personas, "conversation-update", conversation.pk), {"assignee": str(personas.admin.pk)})
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.assignee == personas.admin
    page = client.get(_url(personas, "conversation", conversation.pk))
    assert page.status_code == 200
    for other in conversation.items.all():
        assert other.text in page.content.decode()
    response = client.post(_url(personas, "conversation-reply", conversation.pk), {"item": item.pk, "text": text})
    assert response.status_code == 302, response.content.decode()[:2000]
    reply = Reply.objects.get(in_reply_to=item)
    assert reply.status == Reply.Status.SENT, reply.error
    conversation.refresh_from_db()
    assert conversation.first_responder == personas.owner and conversation.first_response_at is not None
    return reply


def _report_shows(personas: Personas, client: Client, who: str) -> None:
    today = timezone.localdate()
    response = client.get(
        _url(personas, "report"),
        {"since": (today - timedelta(days=7)).isoformat(), "until": (today + timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 200
    assert who in response.content.decode()


def _moderate(personas: Personas, client: Client, item: InboxItem, action: str) -> None:
    response = client.post(_url(personas, "item-moderate", item.pk), {"action": action})
    assert response.status_code == 302
    record = ModerationAction.objects.get(item=item, action=action)
    assert record.succeeded, record.error


# Bluesky -----------------------------------------------------------------------------------------
def _bluesky_draft(text: str, **kwargs) -> PostDraft:
    from smm.networks.bluesky.adapter import BlueskyAdapter

    return PostDraft(text=text, idempotency_key=BlueskyAdapter.new_idempotency_key(), **kwargs)


def test_the_inbox_works_against_the_local_bluesky_network(personas: Personas, bluesky_network, connect_account):
    from smm.networks.bluesky.tests.test_inbox import indexed, records, threadgate

    bluesky_network.require_appview()
    brand, fan, troll = connect_account("brand"), connect_account("fan"), connect_account("troll")
    account = ConnectedAccount(
        workspace=personas.workspace,
        network="bluesky",
        handle=brand.account.handle,
        remote_id=brand.credentials["did"],
        config=brand.config,
    )
    account.set_credentials(brand.credentials)
    account.save()
    _rule(personas, "price")
    ours = brand.adapter().publish(_bluesky_draft("Our autumn collection is out"))
    indexed(bluesky_network, brand.account, ours.remote_id)  # replies notify only once the parent is indexed
    comment = fan.adapter().publish(_bluesky_draft("Love the colours!", reply_to=ours.remote_id))
    mention = fan.adapter().publish(_bluesky_draft(f"@{brand.account.handle} what is the price of the coat?"))
    abuse = troll.adapter().publish(_bluesky_draft("You are all idiots", reply_to=ours.remote_id))
    bluesky_network.wait_for(
        lambda: len(brand.adapter().notifications().items) >= 3, what="three notifications on the AppView"
    )

    assert inbox_collect_task(account.pk) >= 3  # one collection cycle of the account

    client = _member_client(personas, personas.owner)
    listing = client.get(_url(personas, "inbox"), {"status": "all"}).content.decode()
    assert listing.count('class="list-group-item inbox-row') == 2  # the thread on our post, the mention
    assert "what is the price of the coat?" in listing
    fan_comment = InboxItem.objects.get(remote_id=comment.remote_id)
    assert fan_comment.kind == InboxItem.Kind.COMMENT
    assert fan_comment.conversation.kind == Conversation.Kind.THREAD
    assert fan_comment.conversation.root_remote_id == ours.remote_id
    asked = InboxItem.objects.get(remote_id=mention.remote_id)
    assert asked.kind == InboxItem.Kind.MENTION
    assert [tag.name for tag in asked.conversation.tags.all()] == ["Sales"]  # the rule
    assert asked.conversation.assignee == personas.editor

    reply = _assign_and_reply(personas, client, fan_comment, "Thank you! The colours are from Lapland.")
    [record] = [
        r
        for r in records(bluesky_network, brand.credentials["did"], "app.bsky.feed.post")
        if r["uri"] == reply.remote_id
    ]
    assert record["value"]["reply"]["parent"]["uri"] == comment.remote_id
    assert record["value"]["reply"]["root"]["uri"] == ours.remote_id

    troll_item = InboxItem.objects.get(remote_id=abuse.remote_id)
    _moderate(personas, client, troll_item, ModerationAction.Action.HIDE)
    assert abuse.remote_id in (threadgate(bluesky_network, ours.remote_id) or {}).get("hiddenReplies", [])
    _moderate(personas, client, troll_item, ModerationAction.Action.BLOCK)
    blocks = records(bluesky_network, brand.credentials["did"], "app.bsky.graph.block")
    assert [block["value"]["subject"] for block in blocks] == [troll.credentials["did"]]

    _report_shows(personas, client, personas.owner.display_name)
    # The next cycle stores nothing twice (our own reply is known as ours, not a new message).
    inbox_collect_task(account.pk)
    assert InboxItem.objects.filter(remote_id=comment.remote_id).count() == 1


def test_a_bluesky_dm_through_the_local_pds_arrives_and_is_answered_in_its_conversation(
    personas: Personas, bluesky_network
):
    """The DM half: the real PDS routes chat calls to the chat stand-in (smm/networks/bluesky/tests/
    test_chat_peer.py says how); collected in one cycle, answered once in the same conversation."""
    from smm.networks.bluesky.client import connect
    from tests.peers.bluesky_chat import BlueskyChatStandIn

    brand, anna = bluesky_network.create_account("brand"), bluesky_network.create_account("anna")
    with BlueskyChatStandIn(role="service", plc_url=bluesky_network.plc_url) as chat_service:
        for person in (brand, anna):
            chat_service.add_profile(person.did, person.handle)
        proxy = f"{chat_service.did}#bsky_chat"
        convo = bluesky_network.xrpc(
            "GET",
            "chat.bsky.convo.getConvoForMembers",
            token=anna.access_jwt,
            headers={"atproto-proxy": proxy},
            params={"members": [anna.did, brand.did]},
        ).json()["convo"]
        sent = bluesky_network.xrpc(
            "POST",
            "chat.bsky.convo.sendMessage",
            token=anna.access_jwt,
            headers={"atproto-proxy": proxy},
            json={"convoId": convo["id"], "message": {"text": "Can I return a coat I bought online?"}},
        )
        assert sent.status_code == 200, sent.text
        app_password = bluesky_network.xrpc(
            "POST",
            "com.atproto.server.createAppPassword",
            token=brand.access_jwt,
            json={"name": "smm-dms", "privileged": True},
        ).json()["password"]
        credentials, config = connect(brand.handle, app_password, bluesky_network.pds_url)
        account = ConnectedAccount(
            workspace=personas.workspace,
            network="bluesky",
            handle=brand.handle,
            remote_id=brand.did,
            config={**config, "chat_service_did": chat_service.did},
        )
        account.set_credentials(credentials)
        account.save()

        assert inbox_collect_task(account.pk) == 1  # one collection cycle
        item = InboxItem.objects.get(account=account, kind=InboxItem.Kind.DIRECT)
        assert item.conversation.kind == Conversation.Kind.DIRECT and item.conversation.root_remote_id == convo["id"]
        client = _member_client(personas, personas.owner)
        reply = _assign_and_reply(personas, client, item, "Yes, in any of our shops within 30 days.")
        messages = chat_service.convos[convo["id"]].messages
        assert [(message.sender, message.text) for message in messages] == [
            (anna.did, "Can I return a coat I bought online?"),
            (brand.did, "Yes, in any of our shops within 30 days."),
        ]
        assert reply.remote_id == f"chat:{convo['id']}/{messages[-1].id}"
        assert inbox_collect_task(account.pk) == 0
        assert InboxItem.objects.filter(account=account, kind=InboxItem.Kind.DIRECT).count() == 1


# Mastodon ----------------------------------------------------------------------------------------
def test_the_inbox_works_against_the_mastodon_stand_in(personas: Personas, mastodon_server):
    brand, fan, troll = (mastodon_server.create_user(name) for name in ("brand", "fan", "troll"))
    info = mastodon_client.instance_info(mastodon_server.base_url)
    account = ConnectedAccount(
        workspace=personas.workspace,
        network="mastodon",
        handle=f"@{brand.username}@127.0.0.1",
        remote_id=brand.id,
        config={**info.config(), "account_id": brand.id},
    )
    account.set_credentials({"access_token": brand.access_token})
    account.save()
    _rule(personas, "price")
    ours = mastodon_server.client(brand).status_post("Our autumn collection is out")
    fans = mastodon_server.client(fan)
    comment = fans.status_post(f"@{brand.username} Love the colours!", in_reply_to_id=ours.id)
    mention = fans.status_post(f"@{brand.username} what is the price of the coat?")
    direct = fans.status_post(f"@{brand.username} can I return the coat I bought?", visibility="direct")
    abuse = mastodon_server.client(troll).status_post(f"@{brand.username} You are all idiots", in_reply_to_id=ours.id)

    assert inbox_collect_task(account.pk) >= 3  # one collection cycle of the account

    client = _member_client(personas, personas.owner)
    listing = client.get(_url(personas, "inbox"), {"status": "all"}).content.decode()
    assert listing.count('class="list-group-item inbox-row') == 3  # the thread on our post, the mention, the DM
    for text in ("what is the price of the coat?", "can I return the coat"):
        assert text in listing
    fan_comment = InboxItem.objects.get(remote_id=str(comment.id))
    assert fan_comment.kind == InboxItem.Kind.COMMENT
    assert fan_comment.conversation.root_remote_id == str(ours.id)
    dm = InboxItem.objects.get(remote_id=str(direct.id))
    assert dm.kind == InboxItem.Kind.DIRECT and dm.conversation.kind == Conversation.Kind.DIRECT
    asked = InboxItem.objects.get(remote_id=str(mention.id))
    assert [tag.name for tag in asked.conversation.tags.all()] == ["Sales"]  # the rule
    assert asked.conversation.assignee == personas.editor

    reply = _assign_and_reply(personas, client, fan_comment, "Thank you! The colours are from Lapland.")
    sent = mastodon_server.client(brand).status(reply.remote_id)
    assert str(sent.in_reply_to_id) == str(comment.id)
    assert f"@{fan.username}" in sent.content  # addressed to the person answered
    dm_reply = _assign_and_reply(personas, client, dm, "Yes, within 30 days.")
    sent_dm = mastodon_server.client(brand).status(dm_reply.remote_id)
    assert sent_dm.visibility == "direct" and str(sent_dm.in_reply_to_id) == str(direct.id)

    troll_item = InboxItem.objects.get(remote_id=str(abuse.id))
    _moderate(personas, client, troll_item, ModerationAction.Action.BLOCK)
    [relationship] = mastodon_server.client(brand).account_relationships(troll.id)
    assert relationship.blocking

    _report_shows(personas, client, personas.owner.display_name)
    inbox_collect_task(account.pk)
    assert InboxItem.objects.filter(remote_id=str(comment.id)).count() == 1
