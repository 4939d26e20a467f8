"""Network and inbox sources: the readers against the Mastodon stand-ins, collection and its health,
the schedule, no overlapping runs, and the sources pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from listening.models import Mention, Source
from listening.services import sources as service
from listening.tasks import listening_collect_all_task
from participation.models import InboxItem
from participation.tests.inbox_data import make_item
from smm.networks.mastodon import client as mastodon_client
from smm.networks.models import ConnectedAccount
from tests.access import client_for
from tests.fixtures import Personas
from tests.peers.mastodon import Reply


@pytest.fixture(autouse=True)
def _loopback(settings) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True


def _mastodon_account(personas: Personas, base_url: str, *, user=None, token: str = "token") -> ConnectedAccount:  # noqa: S107 - a stand-in
    if user is not None:
        info = mastodon_client.instance_info(base_url)
        config = {**info.config(), "account_id": user.id}
        token = user.access_token
    else:
        config = {"instance_url": base_url, "domain": "127.0.0.1", "account_id": "1", "version": "4.3.0"}
    account = ConnectedAccount(
        workspace=personas.workspace, network="mastodon", handle="@listener@127.0.0.1", remote_id="1", config=config
    )
    account.set_credentials({"access_token": token})
    account.save()
    return account


def _source(personas: Personas, kind: str, value: str = "", account: ConnectedAccount | None = None) -> Source:
    return Source.objects.create(
        workspace=personas.workspace, kind=kind, name=f"{kind} {value}", value=value, account=account
    )


# Mastodon ----------------------------------------------------------------------------------------
def test_a_hashtag_timeline_is_read_incrementally(personas: Personas, mastodon_server) -> None:
    listener, fan = mastodon_server.create_user("listener"), mastodon_server.create_user("fan")
    account = _mastodon_account(personas, mastodon_server.base_url, user=listener)
    source = _source(personas, Source.Kind.MASTODON_HASHTAG, "#kahvila", account)
    fans = mastodon_server.client(fan)
    fans.status_post("Paras #kahvila kaupungissa, suosittelen!")
    fans.status_post("Something else entirely")

    first = service.source_collect(source=source)
    source.refresh_from_db()
    assert first.error == "" and first.stored == 1
    assert source.last_error == "" and source.last_success_at is not None and source.items_total == 1
    mention = Mention.objects.get(workspace=personas.workspace, source=source)
    assert mention.network == "mastodon" and "kahvila" in mention.text
    first_cursor = source.cursor
    assert first_cursor

    assert service.source_collect(source=source).read == 0  # nothing new since the cursor
    newer = fans.status_post("Taas #kahvila aamulla")
    again = service.source_collect(source=source)
    source.refresh_from_db()
    assert again.read == 1 and again.stored == 1
    assert source.cursor == str(newer["id"]) and source.cursor != first_cursor


def test_the_local_public_timeline(personas: Personas, mastodon_server) -> None:
    listener, fan = mastodon_server.create_user("listener"), mastodon_server.create_user("fan")
    account = _mastodon_account(personas, mastodon_server.base_url, user=listener)
    source = _source(personas, Source.Kind.MASTODON_PUBLIC, "local", account)
    mastodon_server.client(fan).status_post("Hello from the local timeline about coffee")
    result = service.source_collect(source=source)
    assert result.error == ""
    assert Mention.objects.filter(source=source, text__contains="local timeline").exists()


def test_a_search_filters_what_was_read_before(personas: Personas, scripted_mastodon) -> None:
    def status(number: int) -> dict:
        return {
            "id": str(number),
            "url": f"https://social.example/@fan/{number}",
            "content": f"<p>kahvi post number {number}</p>",
            "created_at": "2026-03-01T10:00:00.000Z",
            "account": {"id": "9", "acct": "fan@social.example", "display_name": "Fan"},
            "favourites_count": 2,
        }

    scripted_mastodon.on(
        "GET",
        "/api/v2/search",
        Reply(body={"accounts": [], "hashtags": [], "statuses": [status(11), status(10)]}),
        Reply(body={"accounts": [], "hashtags": [], "statuses": [status(12), status(11), status(10)]}),
    )
    account = _mastodon_account(personas, scripted_mastodon.base_url)
    source = _source(personas, Source.Kind.MASTODON_SEARCH, "kahvi", account)
    assert service.source_collect(source=source).stored == 2
    source.refresh_from_db()
    assert source.cursor == "11"
    second = service.source_collect(source=source)
    assert second.read == 1 and second.stored == 1
    request = [seen for seen in scripted_mastodon.requests if seen.path == "/api/v2/search"][0]
    assert request.query["q"] == "kahvi" and request.query["type"] == "statuses"
    assert request.headers["Authorization"] == "Bearer token"
    assert Mention.objects.get(remote_id="12").likes == 2


@pytest.mark.parametrize(
    ("status", "words", "clears_nothing"),
    [(401, "Reconnect the account", True), (503, "reads again at the next run", True), (429, "slow down", True)],
)
def test_network_errors_become_clear_messages_and_keep_the_cursor(
    personas: Personas, scripted_mastodon, status: int, words: str, clears_nothing: bool
) -> None:
    scripted_mastodon.on("GET", "/api/v1/timelines/tag/kahvi", Reply(status, {"error": "nope"}, {"Retry-After": "1"}))
    account = _mastodon_account(personas, scripted_mastodon.base_url)
    source = _source(personas, Source.Kind.MASTODON_HASHTAG, "kahvi", account)
    Source.objects.filter(pk=source.pk).update(cursor="100")
    result = service.source_collect(source=source)
    source.refresh_from_db()
    assert words in result.error and words in source.last_error
    assert source.cursor == "100" and source.last_run_at is not None and source.last_success_at is None


def test_a_network_source_without_its_account_says_so(personas: Personas) -> None:
    source = _source(personas, Source.Kind.BLUESKY_SEARCH, "kahvi")
    result = service.source_collect(source=source)
    assert "Choose a connected bluesky account" in result.error


# Inbox -------------------------------------------------------------------------------------------
def test_the_inbox_source_reads_public_items_after_the_cursor(personas: Personas) -> None:
    mention = make_item(personas, text="Your coffee is the best in town", kind=InboxItem.Kind.MENTION)
    make_item(personas, text="A private question about my order", kind=InboxItem.Kind.DIRECT)
    source = _source(personas, Source.Kind.INBOX)
    assert service.source_collect(source=source).stored == 1
    source.refresh_from_db()
    assert int(source.cursor) >= mention.pk
    stored = Mention.objects.get(source=source)
    assert stored.remote_id == mention.remote_id and stored.network == "mastodon"
    assert service.source_collect(source=source).read == 0
    make_item(personas, text="Another happy customer comment here", kind=InboxItem.Kind.COMMENT)
    assert service.source_collect(source=source).stored == 1


# Schedule and overlap ----------------------------------------------------------------------------
def test_only_due_sources_are_collected(personas: Personas) -> None:
    now = timezone.now()
    never = _source(personas, Source.Kind.INBOX)
    feed_recent = _source(personas, Source.Kind.FEED, "https://example.com/feed")
    feed_old = _source(personas, Source.Kind.FEED, "https://example.com/other")
    imports = _source(personas, Source.Kind.IMPORT)
    inactive = _source(personas, Source.Kind.FEED, "https://example.com/off")
    Source.objects.filter(pk=feed_recent.pk).update(last_run_at=now - timedelta(minutes=5))
    Source.objects.filter(pk=feed_old.pk).update(last_run_at=now - timedelta(minutes=15))
    Source.objects.filter(pk=inactive.pk).update(active=False)
    due = set(service.sources_due(now=now))
    assert due == {never.pk, feed_old.pk}
    assert imports.pk not in due


def test_the_every_minute_task_enqueues_each_due_source(personas: Personas, monkeypatch) -> None:
    source = _source(personas, Source.Kind.INBOX)
    make_item(personas, text="Mentioned you in a post about pastries")
    assert listening_collect_all_task() == 1
    assert Mention.objects.filter(source=source).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_source_being_collected_is_not_collected_twice(personas: Personas) -> None:
    source = _source(personas, Source.Kind.INBOX)
    make_item(personas, text="Mentioned you in a post about pastries")
    other = connections.create_connection("default")  # a second session, as another worker has
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [service._LOCK_CLASS, source.pk])
        assert service.source_collect(source=source).ran is False
        assert not Mention.objects.filter(source=source).exists()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [service._LOCK_CLASS, source.pk])
        assert service.source_collect(source=source).stored == 1
    finally:
        other.close()


# Pages -------------------------------------------------------------------------------------------
def test_the_sources_page_shows_health_and_escapes(personas: Personas) -> None:
    source = _source(personas, Source.Kind.FEED, "https://example.com/feed")
    Source.objects.filter(pk=source.pk).update(
        last_error="<b>broke</b>", last_run_at=timezone.now(), name="<i>News</i>"
    )
    page = client_for(personas, "viewer").get(reverse("listening:sources", args=[personas.workspace.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;b&gt;broke&lt;/b&gt;" in html and "&lt;i&gt;News&lt;/i&gt;" in html
    assert "every 15 minutes" in html and "failing" in html
    assert "Collect now" not in html  # viewers only look


def test_adding_sources_checks_what_to_read(personas: Personas, settings) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    client = client_for(personas, "editor")
    url = reverse("listening:source-new", args=[personas.workspace.slug])
    unsafe = client.post(url, {"kind": "feed", "name": "Local", "value": "http://127.0.0.1/feed", "active": "on"})
    assert unsafe.status_code == 400 and not Source.objects.exists()
    no_account = client.post(url, {"kind": "mastodon_hashtag", "name": "Tag", "value": "kahvi", "active": "on"})
    assert no_account.status_code == 400
    assert "Choose a connected mastodon account" in no_account.content.decode()
    foreign = client.post(
        url,
        {
            "kind": "mastodon_hashtag",
            "name": "Tag",
            "value": "kahvi",
            "account": personas.other_account.pk,
            "active": "on",
        },
    )
    assert foreign.status_code == 400 and not Source.objects.exists()
    ok = client.post(
        url,
        {"kind": "mastodon_hashtag", "name": "Tag", "value": "#kahvi", "account": personas.account.pk, "active": "on"},
    )
    assert ok.status_code == 302
    source = Source.objects.get()
    assert source.value == "#kahvi" and source.account == personas.account


def test_collect_now_runs_the_source(personas: Personas, django_capture_on_commit_callbacks) -> None:
    source = _source(personas, Source.Kind.INBOX)
    make_item(personas, text="Mentioned you in a post about pastries")
    client = client_for(personas, "editor")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("listening:source-collect", args=[personas.workspace.slug, source.pk]))
    assert response.status_code == 302
    assert Mention.objects.filter(source=source).count() == 1


def test_changing_what_a_source_reads_starts_afresh(personas: Personas) -> None:
    source = _source(personas, Source.Kind.FEED, "https://example.com/feed")
    Source.objects.filter(pk=source.pk).update(cursor="x", etag='"abc"', last_modified="Mon")
    client = client_for(personas, "editor")
    url = reverse("listening:source-edit", args=[personas.workspace.slug, source.pk])
    response = client.post(url, {"kind": "inbox", "name": "Other", "value": "https://example.com/new", "active": "on"})
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.kind == Source.Kind.FEED  # the kind cannot change
    assert source.value == "https://example.com/new" and source.etag == "" and source.cursor == ""


def test_mastodon_listen_pages_forward_within_the_api_contract(mastodon_server, mastodon_contract, monkeypatch) -> None:
    """Adapter.listen on timelines: min_id paging past one page, every request as the OpenAPI spec
    allows (the contract recorder fails the test otherwise)."""
    from smm.networks.mastodon import adapter as mastodon_adapter
    from smm.networks.mastodon import client as api

    monkeypatch.setattr(mastodon_adapter, "MAX_STATUSES_PAGE", 2)
    listener, fan = mastodon_server.create_user("listener"), mastodon_server.create_user("fan")
    adapter = mastodon_adapter.MastodonAdapter(
        credentials={"access_token": listener.access_token},
        config={"instance_url": mastodon_server.base_url, "account_id": listener.id},
        session=mastodon_contract.attach(api.new_session()),
    )
    fans = mastodon_server.client(fan)
    first = fans.status_post("#paahtimo one")
    start = adapter.listen(mode="hashtag", query="#paahtimo")
    assert [post.remote_id for post in start.posts] == [str(first["id"])] and start.cursor == str(first["id"])
    later = [fans.status_post(f"#paahtimo number {n}") for n in range(5)]
    page = adapter.listen(mode="hashtag", query="paahtimo", cursor=start.cursor)
    assert sorted(post.remote_id for post in page.posts) == sorted(str(status["id"]) for status in later)
    assert page.cursor == str(later[-1]["id"])
    assert adapter.listen(mode="local", cursor=page.cursor).posts == []
    assert mastodon_contract.exchanges  # the recorder saw (and checked) the requests
