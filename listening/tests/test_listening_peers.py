"""Listening against real peers (issue 9, "done when"): a topic on the local Bluesky network and
an RSS feed both collect mentions within one collection cycle, the way the scheduler runs it (the
every-minute task; tasks run eagerly in tests). The sources are added through the sources page."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from listening.models import Mention, MentionTopic, Source
from listening.services import sources as service
from listening.services.topics import topic_create
from listening.tasks import listening_collect_all_task
from listening.tests.test_feed import FeedServer, rss, served  # noqa: F401 - `served` is a fixture
from smm.networks.base import PostDraft
from smm.networks.models import ConnectedAccount
from tests.access import client_for
from tests.fixtures import Personas

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _loopback(settings) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@pytest.fixture
def connect_account(bluesky_network):
    from smm.networks.bluesky.client import connect
    from smm.networks.bluesky.tests.conftest import ConnectedTestAccount

    def make(name: str):
        person = bluesky_network.create_account(name)
        credentials, config = connect(person.handle, person.app_password, bluesky_network.pds_url)
        return ConnectedTestAccount(account=person, credentials=credentials, config=config)

    return make


def _draft(text: str) -> PostDraft:
    from smm.networks.bluesky.adapter import BlueskyAdapter

    return PostDraft(text=text, idempotency_key=BlueskyAdapter.new_idempotency_key())


def test_a_bluesky_topic_and_a_feed_collect_within_one_cycle(
    personas: Personas,
    bluesky_network,
    connect_account,
    served: FeedServer,  # noqa: F811 - the fixture
) -> None:
    bluesky_network.require_appview()
    word = f"kahvila{int(time.time() * 1000)}"
    listener, poster = connect_account("listener"), connect_account("poster")
    account = ConnectedAccount(
        workspace=personas.workspace,
        network="bluesky",
        handle=listener.account.handle,
        remote_id=listener.credentials["did"],
        config=listener.config,
    )
    account.set_credentials(listener.credentials)
    account.save()
    topic = topic_create(workspace=personas.workspace, actor=personas.owner, name="Brand", query=word)

    posted = poster.adapter().publish(_draft(f"Uusi {word} avattiin, ihana paikka!"))
    searcher = listener.adapter()
    bluesky_network.wait_for(lambda: searcher.search(word), what="the post in the AppView's search")
    served.body = rss(("n1", f"{word} avattiin", f"Uutinen: {word} on avattu keskustaan."))

    client = client_for(personas, "editor")
    new = reverse("listening:source-new", args=[personas.workspace.slug])
    assert (
        client.post(
            new, {"kind": "bluesky_search", "name": "Bluesky", "value": word, "account": account.pk, "active": "on"}
        ).status_code
        == 302
    )
    assert client.post(new, {"kind": "feed", "name": "News", "value": served.url, "active": "on"}).status_code == 302

    assert listening_collect_all_task() == 2  # one cycle: both sources were due

    bluesky = Source.objects.get(kind=Source.Kind.BLUESKY_SEARCH)
    feed = Source.objects.get(kind=Source.Kind.FEED)
    assert bluesky.last_error == "" and feed.last_error == ""
    from_bluesky = Mention.objects.get(source=bluesky)
    assert from_bluesky.remote_id == posted.remote_id and from_bluesky.network == "bluesky"
    assert Mention.objects.filter(source=feed).count() == 1
    assert MentionTopic.objects.filter(topic=topic).count() == 2
    assert bluesky.cursor  # the newest post's time

    # The next read takes only what is new.
    later = poster.adapter().publish(_draft(f"Taas {word}, kahvi oli hyvää"))
    bluesky_network.wait_for(lambda: len(searcher.search(word)) >= 2, what="the second post in search")
    again = service.source_collect(source=bluesky)
    assert again.error == "" and again.stored == 1
    assert Mention.objects.filter(source=bluesky).latest("published_at").remote_id == later.remote_id
    page = client.get(reverse("listening:sources", args=[personas.workspace.slug]))
    assert page.status_code == 200 and "working" in page.content.decode()
