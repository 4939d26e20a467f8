"""The composer, calendar, held posts and pause from the pages (the access matrix is in test_access)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from publishing.models import Post, PublishingSettings, Target
from publishing.services.posts import PostInput, When, post_save
from smm.accounts.models import AuditEvent
from tests.factories import make_connected_account
from tests.fixtures import Personas

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen(time_machine, personas: Personas) -> None:
    time_machine.move_to(NOW, tick=False)
    # The pages show and take times in the signed-in person's own zone.
    for user in (personas.editor, personas.viewer, personas.owner):
        user.timezone = "Europe/Helsinki"
        user.save(update_fields=["timezone"])


def _url(name: str, personas: Personas, *args: object) -> str:
    return reverse(f"publishing:{name}", args=[personas.workspace.slug, *args])


def test_the_composer_schedules_a_post_and_shows_it(client, personas: Personas) -> None:
    account = make_connected_account(personas.workspace, "@brand@mastodon.example")
    client.force_login(personas.editor)
    page = client.get(_url("compose", personas)).content.decode()
    assert "@brand@mastodon.example" in page
    response = client.post(
        _url("compose", personas),
        {
            "accounts": [account.pk],
            "text": "Summer hours start Monday",
            "when": "at",
            "date": "2026-06-03",
            "time": "09:30",
        },
    )
    post = Post.objects.get()
    assert response.status_code == 302 and response["Location"] == _url("post-detail", personas, post.pk)
    target = post.targets.get()
    # The editor's time zone is the default Europe/Helsinki: 09:30 there is 06:30 UTC in June.
    assert target.scheduled_at == datetime(2026, 6, 3, 6, 30, tzinfo=UTC)
    detail = client.get(response["Location"]).content.decode()
    assert "Summer hours start Monday" in detail and "Scheduled" in detail


def test_a_refused_post_keeps_everything_typed_and_says_why(client, personas: Personas) -> None:
    account = make_connected_account(personas.workspace, "brand.bsky.social", network="bluesky")
    client.force_login(personas.editor)
    text = "Long " * 70
    response = client.post(
        _url("compose", personas),
        {"accounts": [account.pk], "text": text, "when": "at", "date": "2026-06-03", "time": "09:30"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "characters too long for Bluesky" in page
    assert text.strip() in page
    assert not Post.objects.exists()


def test_a_blackout_asks_for_confirmation_then_schedules(client, personas: Personas) -> None:
    from publishing.services.queues import blackout_create

    account = make_connected_account(personas.workspace)
    blackout_create(
        workspace=personas.workspace,
        title="Quiet week",
        starts_at=datetime(2026, 6, 2, tzinfo=UTC),
        ends_at=datetime(2026, 6, 9, tzinfo=UTC),
    )
    client.force_login(personas.editor)
    data = {"accounts": [account.pk], "text": "Hi", "when": "at", "date": "2026-06-03", "time": "09:30"}
    response = client.post(_url("compose", personas), data)
    assert response.status_code == 400 and "Quiet week" in response.content.decode()
    assert not Post.objects.exists()
    response = client.post(_url("compose", personas), {**data, "confirmed": "on"})
    assert response.status_code == 302 and Post.objects.count() == 1


def test_the_live_check_counts_per_network(client, personas: Personas) -> None:
    mastodon = make_connected_account(personas.workspace)
    bluesky = make_connected_account(personas.workspace, "brand.bsky.social", network="bluesky")
    client.force_login(personas.contributor)
    response = client.post(
        _url("compose-check", personas), {"accounts": [mastodon.pk, bluesky.pk], "text": "Hello https://example.com/x"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "29 / 500" in page  # Mastodon: 6 + 23 for the link
    assert "27 / 300" in page  # Bluesky: every character
    assert "<html" not in page  # a fragment


def test_the_calendar_feed_and_a_drag(client, personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    post = post_save(
        membership=personas.membership(personas.editor),
        data=PostInput(text="Calendar post", accounts=[account]),
        when=When.AT,
        at_local=datetime(2026, 6, 3, 9, 0),  # noqa: DTZ001 - a wall time
        zone="Europe/Helsinki",
    )
    client.force_login(personas.editor)
    events = client.get(
        _url("calendar-events", personas), {"start": "2026-06-01T00:00:00", "end": "2026-07-01T00:00:00"}
    ).json()
    event = next(e for e in events if e["title"] == "Calendar post")
    assert event["start"] == "2026-06-03T09:00" and event["editable"] is True
    moved = client.post(
        _url("calendar-move", personas),
        {"targets": ",".join(map(str, event["extendedProps"]["targets"])), "start": "2026-06-05T14:15"},
    )
    assert moved.status_code == 200, moved.content
    target = post.targets.get()
    assert target.scheduled_at == datetime(2026, 6, 5, 11, 15, tzinfo=UTC)
    # Into the past: refused, nothing changes.
    refused = client.post(_url("calendar-move", personas), {"targets": str(target.pk), "start": "2026-05-01T09:00"})
    assert refused.status_code == 400 and "passed" in refused.json()["error"]
    target.refresh_from_db()
    assert target.scheduled_at == datetime(2026, 6, 5, 11, 15, tzinfo=UTC)


def test_a_viewer_sees_the_calendar_but_cannot_drag(client, personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    post_save(
        membership=personas.membership(personas.editor),
        data=PostInput(text="Read only", accounts=[account]),
        when=When.AT,
        at_local=datetime(2026, 6, 3, 9, 0),  # noqa: DTZ001
        zone="UTC",
    )
    client.force_login(personas.viewer)
    events = client.get(_url("calendar-events", personas), {"start": "2026-06-01", "end": "2026-07-01"}).json()
    assert [event["editable"] for event in events if not event.get("extendedProps", {}).get("gap")] == [False]


def test_pause_holds_and_resume_lists_what_was_held(
    client, personas: Personas, fake_network, django_capture_on_commit_callbacks, time_machine
) -> None:
    from publishing.services import engine

    account = make_connected_account(personas.workspace)
    post = post_save(
        membership=personas.membership(personas.editor),
        data=PostInput(text="Held one", accounts=[account]),
        when=When.AT,
        at_local=datetime(2026, 6, 1, 7, 0),  # noqa: DTZ001
        zone="UTC",
    )
    client.force_login(personas.editor)
    client.post(_url("pause", personas), {"reason": "Crisis: product recall"})
    assert PublishingSettings.objects.get(workspace=personas.workspace).paused
    page = client.get(reverse("workspace-dashboard", args=[personas.workspace.slug])).content.decode()
    assert "Publishing is paused" in page and "product recall" in page
    time_machine.move_to(datetime(2026, 6, 1, 7, 0, 5, tzinfo=UTC), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        engine.targets_claim_due()
    assert post.targets.get().status == Target.Status.HELD
    response = client.post(_url("resume", personas))
    assert response["Location"] == _url("held", personas)
    held = client.get(response["Location"]).content.decode()
    assert "Held one" in held and "paused in this workspace" in held
    target = post.targets.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("target-action", personas, target.pk, "now"), {"next": "held"})
        engine.targets_claim_due()
    target.refresh_from_db()
    assert target.status == Target.Status.PUBLISHED
    assert len(fake_network.posts) == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        AuditEvent.Action.PUBLISHING_PAUSED,
        AuditEvent.Action.PUBLISHING_RESUMED,
        AuditEvent.Action.POST_PUBLISHED,
    } <= actions


def test_the_post_list_filters_and_costs_a_fixed_number_of_queries(
    client, personas: Personas, django_assert_max_num_queries
) -> None:
    account = make_connected_account(personas.workspace)
    for number in range(30):
        post_save(
            membership=personas.membership(personas.editor),
            data=PostInput(text=f"Post {number}", accounts=[account]),
            when=When.DRAFT,
        )
    client.force_login(personas.owner)
    with django_assert_max_num_queries(20):
        page = client.get(_url("posts", personas)).content.decode()
    assert "Page 1 of 2" in page
    filtered = client.get(_url("posts", personas), {"q": "Post 7"}).content.decode()
    assert "Post 7" in filtered and "Post 8" not in filtered


def test_queue_times_are_saved_from_the_page(client, personas: Personas) -> None:
    account = make_connected_account(personas.workspace)
    client.force_login(personas.owner)
    response = client.post(
        _url("queue-edit", personas, account.pk),
        {
            "day_0": "9:00, 13.30",
            "day_4": "10:00",
            "posts_per_period": "3",
            "period": "week",
            "timezone": "Europe/Helsinki",
        },
    )
    assert response.status_code == 302
    assert sorted((slot.weekday, slot.time.strftime("%H:%M")) for slot in account.queue_slots.all()) == [
        (0, "09:00"),
        (0, "13:30"),
        (4, "10:00"),
    ]
    bad = client.post(
        _url("queue-edit", personas, account.pk), {"day_0": "9 am", "posts_per_period": "3", "period": "week"}
    )
    assert bad.status_code == 400 and "is not a time" in bad.content.decode()
    assert account.queue_slots.count() == 3
    json.dumps({})
