"""Bluesky DMs in the inbox, against the chat stand-in (tests/peers/bluesky_chat.py): collected in one
cycle as a DM conversation per chat conversation, answered in that conversation exactly once,
never collected twice; an app password without DM access; sends whose outcome is unknown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from participation.models import CollectionState, ContactIdentity, Conversation, InboxItem, Reply
from participation.services.collection import inbox_collect
from participation.tasks import inbox_collect_task
from smm.networks.base import Capability
from smm.networks.bluesky.client import connect
from smm.networks.models import ConnectedAccount
from tests.fixtures import Personas
from tests.peers.bluesky_chat import BlueskyChatStandIn, ChatAccount, XrpcFailure


@pytest.fixture(autouse=True)
def _loopback(settings) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@pytest.fixture
def stand_in():
    with BlueskyChatStandIn() as server:
        yield server


@pytest.fixture
def anna(stand_in) -> ChatAccount:
    return stand_in.add_account("anna.test", display_name="Anna Asiakas")


def _account(personas: Personas, stand_in: BlueskyChatStandIn, *, dm_access: bool = True) -> ConnectedAccount:
    handle = "brand.test" if dm_access else "nodms.test"
    person = stand_in.add_account(handle, display_name="Brand", dm_access=dm_access)
    credentials, config = connect(person.handle, person.app_password, stand_in.url)
    account = ConnectedAccount(
        workspace=personas.workspace, network="bluesky", handle=person.handle, remote_id=person.did, config=config
    )
    account.set_credentials(credentials)
    account.save()
    return account


def _member(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reply(personas: Personas, item: InboxItem, text: str):
    url = reverse("participation:conversation-reply", args=[personas.workspace.slug, item.conversation_id])
    return _member(personas.owner).post(url, {"item": item.pk, "text": text})


def _chat_calls(stand_in: BlueskyChatStandIn, nsid: str) -> int:
    return sum(1 for request in stand_in.requests if request["nsid"] == nsid)


def test_a_bluesky_dm_arrives_in_one_cycle_is_answered_in_its_conversation_and_is_stored_once(
    personas: Personas, stand_in, anna
) -> None:
    account = _account(personas, stand_in)
    convo, message = stand_in.dm(anna.did, account.remote_id, "Hei! Onko takki M-koossa?")

    assert inbox_collect_task(account.pk) == 1  # one collection cycle
    item = InboxItem.objects.get(account=account)
    conversation = item.conversation
    assert (item.kind, item.remote_id, item.text, item.author_handle, item.author_name) == (
        InboxItem.Kind.DIRECT,
        f"chat:{convo.id}/{message.id}",
        "Hei! Onko takki M-koossa?",
        "anna.test",
        "Anna Asiakas",
    )
    assert (conversation.kind, conversation.root_remote_id, conversation.status) == (
        Conversation.Kind.DIRECT,
        convo.id,
        Conversation.Status.NEW,
    )
    assert conversation.root_url == f"https://bsky.app/messages/{convo.id}"
    identity = ContactIdentity.objects.get(workspace=personas.workspace, network="bluesky", remote_id=anna.did)
    assert item.contact == identity.contact == conversation.contact and identity.handle == "anna.test"
    state = CollectionState.objects.get(account=account, stream=CollectionState.Stream.DIRECT)
    assert (state.newest_remote_id, state.items_collected, state.last_error) == (convo.rev, 1, "")

    page = _member(personas.owner).get(
        reverse("participation:conversation", args=[personas.workspace.slug, conversation.pk])
    )
    assert page.status_code == 200 and "Onko takki M-koossa?" in page.content.decode()
    response = _reply(personas, item, "Hei Anna, on! Varaanko sinulle yhden?")
    assert response.status_code == 302
    reply = Reply.objects.get(in_reply_to=item)
    assert reply.status == Reply.Status.SENT, reply.error
    assert [(sent.sender, sent.text) for sent in convo.messages] == [
        (anna.did, "Hei! Onko takki M-koossa?"),
        (account.remote_id, "Hei Anna, on! Varaanko sinulle yhden?"),
    ]
    assert reply.remote_id == f"chat:{convo.id}/{convo.messages[-1].id}"
    ours = InboxItem.objects.get(account=account, kind=InboxItem.Kind.OURS)
    assert ours.conversation == conversation and ours.remote_id == reply.remote_id
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING and conversation.first_responder == personas.owner
    assert _chat_calls(stand_in, "chat.bsky.convo.sendMessage") == 1

    # A second and a third cycle: the same message is not stored again, our reply is not news.
    messages_before = _chat_calls(stand_in, "chat.bsky.convo.getMessages")
    assert inbox_collect_task(account.pk) == 0
    assert inbox_collect_task(account.pk) == 0
    assert InboxItem.objects.filter(account=account, kind=InboxItem.Kind.DIRECT).count() == 1
    assert InboxItem.objects.filter(account=account).count() == 2
    # Only what changed since the stored position is read: our reply moved it once.
    assert _chat_calls(stand_in, "chat.bsky.convo.getMessages") - messages_before == 1

    stand_in.send(anna.did, convo.id, "Kyllä kiitos!")
    assert inbox_collect_task(account.pk) == 1
    conversation.refresh_from_db()
    assert conversation.items.filter(kind=InboxItem.Kind.DIRECT).count() == 2
    assert conversation.status == Conversation.Status.OPEN  # they wrote again
    assert Conversation.objects.filter(account=account).count() == 1


def test_each_chat_conversation_is_one_inbox_conversation(personas: Personas, stand_in, anna) -> None:
    account = _account(personas, stand_in)
    bert = stand_in.add_account("bert.test", display_name="Bert")
    stand_in.dm(anna.did, account.remote_id, "one")
    stand_in.dm(bert.did, account.remote_id, "two")
    stand_in.dm(anna.did, account.remote_id, "three")
    result = inbox_collect(account=account)
    assert len(result.new_items) == 3 and not result.error
    by_contact = {
        str(conversation.contact): sorted(conversation.items.values_list("text", flat=True))
        for conversation in Conversation.objects.filter(account=account, kind=Conversation.Kind.DIRECT)
    }
    assert by_contact == {"Anna Asiakas": ["one", "three"], "Bert": ["two"]}


def test_an_app_password_without_dm_access_keeps_the_account_working_and_says_what_to_do(
    personas: Personas, stand_in, anna
) -> None:
    account = _account(personas, stand_in, dm_access=False)
    stand_in.dm(anna.did, account.remote_id, "hello?")
    result = inbox_collect(account=account)
    assert result.error == "" and result.new_items == []
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.OK and account.status_detail == ""
    assert not any(request["nsid"].startswith("chat.") for request in stand_in.requests)
    assert _chat_calls(stand_in, "app.bsky.notification.listNotifications") == 1  # the rest is collected

    page = _member(personas.owner).get(reverse("workspace-account", args=[personas.workspace.slug, account.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Create an app password with direct-message access to read Bluesky DMs" in body
    assert 'id="unavailable-capabilities"' in body


def test_an_account_whose_dm_access_is_refused_by_the_pds_is_marked_and_left_alone_for_a_day(
    personas: Personas, stand_in, anna, monkeypatch
) -> None:
    """The PDS's "Bad token method" (a token whose scope the adapter could not read) marks the account."""
    from smm.networks.bluesky import chat

    monkeypatch.setattr(chat, "APP_PASSWORD_SCOPE", "not-the-scope")
    account = _account(personas, stand_in, dm_access=False)
    account.config = {key: value for key, value in account.config.items() if key != "unavailable"}
    account.save(update_fields=["config"])
    stand_in.dm(anna.did, account.remote_id, "hello?")

    result = inbox_collect(account=account)
    assert result.error == ""
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.OK
    assert Capability.DIRECT_MESSAGES in type_adapter(account).unavailable_capabilities(account.config)
    assert _chat_calls(stand_in, "chat.bsky.convo.listConvos") == 1
    state = CollectionState.objects.get(account=account, stream=CollectionState.Stream.DIRECT)
    assert state.last_error == ""

    inbox_collect(account=account)
    assert _chat_calls(stand_in, "chat.bsky.convo.listConvos") == 1  # not asked every minute

    # A day later it is asked again; the account has DM access by now (the mark goes away).
    marks = account.config["unavailable"]
    marks["direct_messages"] = (timezone.now() - timedelta(days=2)).isoformat()
    ConnectedAccount.objects.filter(pk=account.pk).update(config={**account.config, "unavailable": marks})
    stand_in.accounts[account.remote_id].dm_access = True
    stand_in.fail_next["chat.bsky.convo.listConvos"] = XrpcFailure(400, "InvalidToken", "Bad token method")
    account.refresh_from_db()
    inbox_collect(account=account)  # still refused: marked again, with today's date
    account.refresh_from_db()
    assert Capability.DIRECT_MESSAGES in type_adapter(account).unavailable_capabilities(account.config)
    assert inbox_collect(account=account).new_items == []  # within the day again


def type_adapter(account: ConnectedAccount):
    from smm.networks.registry import adapter_class

    return adapter_class(account.network)


def test_a_send_whose_answer_is_lost_is_found_in_the_conversation_not_sent_again(
    personas: Personas, stand_in, anna
) -> None:
    account = _account(personas, stand_in)
    convo, _message = stand_in.dm(anna.did, account.remote_id, "Where is my parcel?")
    inbox_collect(account=account)
    item = InboxItem.objects.get(account=account, kind=InboxItem.Kind.DIRECT)

    stand_in.fail_next["chat.bsky.convo.sendMessage"] = "drop"  # carried out, the answer never comes
    _reply(personas, item, "It left the warehouse today.")
    reply = Reply.objects.get(in_reply_to=item)
    assert reply.status == Reply.Status.SENT, reply.error
    assert [message.text for message in convo.messages].count("It left the warehouse today.") == 1
    assert reply.remote_id == f"chat:{convo.id}/{convo.messages[-1].id}"


def test_a_send_that_failed_for_now_is_looked_for_then_sent_once(personas: Personas, stand_in, anna) -> None:
    account = _account(personas, stand_in)
    convo, _message = stand_in.dm(anna.did, account.remote_id, "Do you ship to Åland?")
    inbox_collect(account=account)
    item = InboxItem.objects.get(account=account, kind=InboxItem.Kind.DIRECT)
    stand_in.fail_next["chat.bsky.convo.sendMessage"] = XrpcFailure(503, "UpstreamFailure", "Upstream Failure")
    _reply(personas, item, "Yes we do.")
    reply = Reply.objects.get(in_reply_to=item)
    assert reply.status == Reply.Status.SENT, reply.error
    assert [message.text for message in convo.messages] == ["Do you ship to Åland?", "Yes we do."]
    sends = [request["nsid"] for request in stand_in.requests if request["nsid"].startswith("chat.")][-4:]
    assert sends == [
        "chat.bsky.convo.sendMessage",  # 503
        "chat.bsky.convo.getMessages",  # not there
        "chat.bsky.convo.sendMessage",  # sent
        "chat.bsky.convo.updateRead",
    ]


def test_an_unconfirmed_send_is_settled_by_the_next_collections(personas: Personas, stand_in, anna) -> None:
    account = _account(personas, stand_in)
    convo, _message = stand_in.dm(anna.did, account.remote_id, "Hello?")
    inbox_collect(account=account)
    item = InboxItem.objects.get(account=account, kind=InboxItem.Kind.DIRECT)

    stand_in.fail_next["chat.bsky.convo.sendMessage"] = "lost"  # never arrived; no answer either
    _reply(personas, item, "Hello Anna!")
    reply = Reply.objects.get(in_reply_to=item)
    assert reply.status == Reply.Status.UNCONFIRMED
    assert [message.text for message in convo.messages] == ["Hello?"]  # nothing resent on a guess

    inbox_collect(account=account)  # still within the settling time: cannot tell yet
    reply.refresh_from_db()
    assert reply.status == Reply.Status.UNCONFIRMED
    Reply.objects.filter(pk=reply.pk).update(sent_at=timezone.now() - timedelta(minutes=3))
    inbox_collect(account=account)
    reply.refresh_from_db()
    assert reply.status == Reply.Status.FAILED and "Send it again" in reply.error
    assert [message.text for message in convo.messages] == ["Hello?"]

    # One whose message did arrive is found by the next collection and counted as sent.
    stand_in.fail_next["chat.bsky.convo.sendMessage"] = "drop"
    stand_in.fail_next["chat.bsky.convo.getMessages"] = XrpcFailure(502, "UpstreamFailure", "Upstream Failure")
    second = _reply_again(personas, item, "Hello Anna, again!")
    assert second.status == Reply.Status.UNCONFIRMED
    inbox_collect(account=account)
    second.refresh_from_db()
    assert second.status == Reply.Status.SENT and second.remote_id == f"chat:{convo.id}/{convo.messages[-1].id}"
    assert [message.text for message in convo.messages].count("Hello Anna, again!") == 1
    assert InboxItem.objects.filter(account=account, kind=InboxItem.Kind.OURS, remote_id=second.remote_id).exists()


def _reply_again(personas: Personas, item: InboxItem, text: str) -> Reply:
    url = reverse("participation:conversation-reply", args=[personas.workspace.slug, item.conversation_id])
    _member(personas.owner).post(url, {"item": item.pk, "text": text, "confirmed": "on"})
    return Reply.objects.filter(in_reply_to=item).latest("created_at")
