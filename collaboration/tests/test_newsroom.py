"""The social newsroom: the page for every member, the digest settings and the weekly e-mail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from collaboration.models import NewsroomDigest, Objective
from collaboration.services.newsroom import newsroom_digest_send
from collaboration.tasks import newsroom_digests_task
from publishing.models import Campaign, Post, Target
from publishing.services.posts import PostInput, When, post_save
from smm.accounts.models import AccountLevel, AccountPermission, AuditEvent, User
from smm.networks.models import ConnectedAccount
from tests.factories import make_account
from tests.fixtures import Personas

NOW = datetime(2030, 5, 6, 6, 0, tzinfo=UTC)  # a Monday, when the weekly digest goes out


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def _url(personas: Personas, name: str = "collaboration:newsroom") -> str:
    return reverse(name, args=[personas.workspace.slug])


def _scheduled(personas: Personas, text: str, at: datetime, account: ConnectedAccount | None = None, **extra) -> Post:
    return post_save(
        membership=personas.membership(personas.owner),
        data=PostInput(text=text, accounts=[account or personas.account], **extra),
        when=When.AT,
        at_local=at.replace(tzinfo=None),
        zone="UTC",
        confirmed=True,
    )


def _published(personas: Personas, text: str, at: datetime, account: ConnectedAccount | None = None) -> Post:
    """A post published at `at` (built directly: the engine and its network are tested elsewhere)."""
    post = post_save(
        membership=personas.membership(personas.owner),
        data=PostInput(text=text, accounts=[account or personas.account]),
        when=When.DRAFT,
    )
    Target.objects.filter(post=post).update(
        status=Target.Status.PUBLISHED,
        remote_id=f"{post.pk}",
        remote_url=f"https://mastodon.example/@acme/{post.pk}",
        published_at=at,
    )
    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED)
    return post


def _campaign(personas: Personas, name: str, starts: date | None, ends: date | None, **fields) -> Campaign:
    return Campaign.objects.create(workspace=personas.workspace, name=name, starts_on=starts, ends_on=ends, **fields)


def _hide_account_from(personas: Personas, user: User, account: ConnectedAccount) -> None:
    AccountPermission.objects.create(membership=personas.membership(user), account=account, level=AccountLevel.NONE)


# The page --------------------------------------------------------------------------------------
def test_it_shows_the_next_two_weeks_of_scheduled_posts(client, personas: Personas, clock) -> None:
    _scheduled(personas, "Tomorrow's post", NOW + timedelta(days=1))
    _scheduled(personas, "In thirteen days", NOW + timedelta(days=13))
    _scheduled(personas, "In three weeks", NOW + timedelta(days=21))
    client.force_login(personas.viewer)
    page = client.get(_url(personas)).content.decode()
    assert page.index("Tomorrow&#x27;s post") < page.index("In thirteen days")
    assert "In three weeks" not in page
    assert "@acme@mastodon.example" in page


def test_it_shows_only_the_accounts_the_member_may_view(client, personas: Personas, clock) -> None:
    hidden = make_account(personas.workspace, "@secret@mastodon.example")
    _scheduled(personas, "On the main account", NOW + timedelta(days=1))
    _scheduled(personas, "Secret launch", NOW + timedelta(days=1), account=hidden)
    _published(personas, "Secret result", NOW - timedelta(days=1), account=hidden)
    _hide_account_from(personas, personas.viewer, hidden)
    client.force_login(personas.viewer)
    page = client.get(_url(personas)).content.decode()
    assert "On the main account" in page
    assert "Secret" not in page
    client.force_login(personas.owner)
    page = client.get(_url(personas)).content.decode()
    assert "Secret launch" in page and "Secret result" in page


def test_it_shows_the_last_two_weeks_published_with_links_to_the_network(client, personas: Personas, clock) -> None:
    recent = _published(personas, "Last week's news", NOW - timedelta(days=6))
    _published(personas, "Old news", NOW - timedelta(days=15))
    client.force_login(personas.viewer)
    page = client.get(_url(personas)).content.decode()
    assert "Last week&#x27;s news" in page and "Old news" not in page
    assert f'href="https://mastodon.example/@acme/{recent.pk}"' in page
    assert reverse("publishing:post-detail", args=[personas.workspace.slug, recent.pk]) in page


def test_a_post_to_several_accounts_is_one_item(client, personas: Personas, clock) -> None:
    second = make_account(personas.workspace, "@acme@mastodon.social")
    _scheduled(personas, "Everywhere at once", NOW + timedelta(days=2), account=None)
    post = Post.objects.get()
    Target.objects.create(
        post=post,
        account=second,
        status=Target.Status.SCHEDULED,
        scheduled_at=NOW + timedelta(days=2, hours=1),
        due_at=NOW + timedelta(days=2, hours=1),
    )
    client.force_login(personas.owner)
    page = client.get(_url(personas)).content.decode()
    assert page.count("Everywhere at once") == 1
    assert "@acme@mastodon.example" in page and "@acme@mastodon.social" in page


def test_it_shows_running_and_coming_campaigns_with_dates_and_colour(client, personas: Personas, clock) -> None:
    today = date(2030, 5, 6)
    _campaign(personas, "Spring push", today - timedelta(days=10), today + timedelta(days=3), color="#198754")
    _campaign(personas, "Ends today", today - timedelta(days=10), today)
    _campaign(personas, "Summer fair", today + timedelta(days=20), today + timedelta(days=30))
    _campaign(personas, "Open-ended", today - timedelta(days=100), None)
    _campaign(personas, "Winter is over", today - timedelta(days=10), today - timedelta(days=1))
    _campaign(personas, "Archived one", today, today + timedelta(days=3), archived=True)
    _campaign(personas, "Undated", None, None)
    client.force_login(personas.viewer)
    page = client.get(_url(personas)).content.decode()
    for name in ("Spring push", "Ends today", "Summer fair", "Open-ended"):
        assert name in page
    for name in ("Winter is over", "Archived one", "Undated"):
        assert name not in page
    assert 'data-color="#198754"' in page
    assert "05/09/2030" in page  # the running campaign's end
    assert page.index("Open-ended") < page.index("Spring push") < page.index("Summer fair")


def test_it_lists_the_objectives_in_order(client, personas: Personas) -> None:
    Objective.objects.create(workspace=personas.workspace, title="Second", position=2)
    Objective.objects.create(workspace=personas.workspace, title="First", position=1, description="Why it matters")
    client.force_login(personas.viewer)
    page = client.get(_url(personas)).content.decode()
    assert page.index("First") < page.index("Second") and "Why it matters" in page


def test_it_makes_no_promise_about_mentions_before_there_are_any(client, personas: Personas) -> None:
    client.force_login(personas.owner)
    page = client.get(_url(personas)).content.decode()
    # The newsroom itself, not the navigation (whose Listening menu names mention search).
    newsroom = page[page.index("<main") : page.index("</main>")]
    assert "mention" not in newsroom.lower()
    assert "Notable mentions" not in newsroom


def test_only_admins_see_the_digest_settings(client, personas: Personas) -> None:
    for persona, shown in (("owner", True), ("admin", True), ("editor", False), ("viewer", False)):
        client.force_login(getattr(personas, persona))
        page = client.get(_url(personas)).content.decode()
        assert ("Weekly e-mail digest" in page) is shown, persona
        assert (_url(personas, "collaboration:newsroom-digest-test") in page) is shown, persona


def test_the_page_costs_a_fixed_number_of_queries(client, personas: Personas, clock, django_assert_num_queries) -> None:
    campaign = _campaign(personas, "Spring", date(2030, 5, 1), date(2030, 5, 31))
    for number in range(5):
        _scheduled(personas, f"Coming {number}", NOW + timedelta(days=number + 1), campaign=campaign)
        _published(personas, f"Gone {number}", NOW - timedelta(days=number + 1))
    Objective.objects.create(workspace=personas.workspace, title="Grow")
    client.force_login(personas.owner)
    # session, user, two 2FA device checks, membership, visible accounts (accounts and permissions),
    # campaigns, scheduled, published, objectives, digest settings, workspace switcher, navigation
    # counts, publishing pause banner.
    with django_assert_num_queries(15):
        assert client.get(_url(personas)).status_code == 200


# Digest settings -------------------------------------------------------------------------------
def test_an_admin_turns_the_digest_on_for_valid_addresses_and_it_is_audited(client, personas: Personas) -> None:
    client.force_login(personas.admin)
    response = client.post(
        _url(personas, "collaboration:newsroom-digest"),
        {"enabled": "on", "recipients": " comms@example.com\nceo@example.com, COMMS@example.com\n\n"},
    )
    assert response.status_code == 302 and response["Location"] == _url(personas)
    digest = NewsroomDigest.objects.get(workspace=personas.workspace)
    assert digest.enabled and digest.recipient_list == ["comms@example.com", "ceo@example.com"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.WORKSPACE_SETTINGS_CHANGED)
    assert event.actor == personas.admin and event.target == "Newsroom digest"
    assert event.data["recipients"] == [[], ["comms@example.com", "ceo@example.com"]]
    page = client.get(_url(personas)).content.decode()
    assert "comms@example.com\nceo@example.com</textarea>" in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"enabled": "on", "recipients": "comms@example.com\nnot an address"}, "not an address"),
        ({"enabled": "on", "recipients": ""}, "Add at least one recipient"),
    ],
)
def test_it_refuses_bad_digest_settings(client, personas: Personas, data: dict[str, str], error: str) -> None:
    client.force_login(personas.owner)
    response = client.post(_url(personas, "collaboration:newsroom-digest"), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not NewsroomDigest.objects.exists()


def test_turning_the_digest_off_keeps_the_recipients(client, personas: Personas) -> None:
    NewsroomDigest.objects.create(workspace=personas.workspace, enabled=True, recipients="comms@example.com")
    client.force_login(personas.owner)
    client.post(_url(personas, "collaboration:newsroom-digest"), {"recipients": "comms@example.com"})
    digest = NewsroomDigest.objects.get()
    assert not digest.enabled and digest.recipient_list == ["comms@example.com"]


# The e-mail ------------------------------------------------------------------------------------
def _news(personas: Personas) -> None:
    _campaign(personas, "Spring sale", date(2030, 5, 1), date(2030, 5, 31))
    _scheduled(personas, "Sale starts Friday", datetime(2030, 5, 10, 9, 0, tzinfo=UTC))
    _published(personas, "We opened a shop", NOW - timedelta(days=2))
    _published(personas, "Two weeks ago", NOW - timedelta(days=10))
    Objective.objects.create(workspace=personas.workspace, title="More visits to the shop")


def test_a_test_digest_goes_to_the_admin_in_the_workspace_language(client, personas: Personas, clock, settings) -> None:
    settings.SITE_URL = "https://smm.example"
    personas.workspace.language = "fi"
    personas.workspace.save(update_fields=["language"])
    User.objects.filter(pk=personas.owner.pk).update(language="en")
    _news(personas)
    client.force_login(personas.owner)
    response = client.post(_url(personas, "collaboration:newsroom-digest-test"))
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["owner@example.com"]]
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    for text in (message.body, html):
        assert "Spring sale" in text and "Sale starts Friday" in text and "We opened a shop" in text
        assert "More visits to the shop" in text
        assert "10.5.2030 12.00" in text  # Finnish format, Helsinki time
        assert "Two weeks ago" not in text  # the e-mail covers the week since the last one
    assert "https://mastodon.example/@acme/" in message.body
    assert 'href="https://smm.example/w/acme-oy/newsroom/"' in html
    assert "Acme Oy" in message.subject and "19" in message.subject  # ISO week 19
    assert not NewsroomDigest.objects.filter(last_sent_at__isnull=False).exists()  # a test is not the weekly one


def test_the_test_digest_is_sent_even_when_there_is_no_news(client, personas: Personas) -> None:
    client.force_login(personas.owner)
    client.post(_url(personas, "collaboration:newsroom-digest-test"))
    assert len(mail.outbox) == 1
    assert "Nothing is scheduled" in mail.outbox[0].body


def test_the_weekly_task_sends_one_email_to_each_recipient_once_a_week(personas: Personas, clock) -> None:
    _news(personas)
    NewsroomDigest.objects.create(
        workspace=personas.workspace, enabled=True, recipients="comms@example.com\nceo@example.com"
    )
    NewsroomDigest.objects.create(workspace=personas.other_workspace, enabled=False, recipients="rival@example.com")
    assert newsroom_digests_task() == 1
    assert sorted(message.to[0] for message in mail.outbox) == ["ceo@example.com", "comms@example.com"]
    assert all("Sale starts Friday" in message.body for message in mail.outbox)
    assert NewsroomDigest.objects.get(workspace=personas.workspace).last_sent_at == NOW
    # A second run the same week (a retried beat, two schedulers) sends nothing more...
    newsroom_digests_task()
    assert len(mail.outbox) == 2
    # ...and next Monday it goes out again.
    clock.move_to(NOW + timedelta(days=7))
    newsroom_digests_task()
    assert len(mail.outbox) == 4


def test_a_week_without_news_sends_no_digest(personas: Personas, clock) -> None:
    Objective.objects.create(workspace=personas.workspace, title="Standing objectives are not news")
    NewsroomDigest.objects.create(workspace=personas.workspace, enabled=True, recipients="comms@example.com")
    assert newsroom_digest_send(workspace_id=personas.workspace.pk) == 0
    assert mail.outbox == []


def test_the_digest_covers_the_workspaces_own_accounts_not_personal_ones(personas: Personas, clock) -> None:
    personal = ConnectedAccount.objects.create(
        workspace=personas.workspace,
        network="mastodon",
        handle="@olivia@mastodon.example",
        personal_owner=personas.owner,
    )
    _published(personas, "Brand news", NOW - timedelta(days=1))  # on the brand account
    post = _published(personas, "Olivia's own share", NOW - timedelta(days=1))
    Target.objects.filter(post=post).update(account=personal)
    NewsroomDigest.objects.create(workspace=personas.workspace, enabled=True, recipients="comms@example.com")
    newsroom_digest_send(workspace_id=personas.workspace.pk)
    assert "Brand news" in mail.outbox[0].body and "Olivia" not in mail.outbox[0].body


def test_the_schedules_run_the_digests_at_six_utc() -> None:
    from smm.accounts.management.commands.setup_periodic_tasks import SCHEDULES

    assert SCHEDULES["collaboration-notification-digests"] == (
        "collaboration.tasks.notification_digests_task",
        {"minute": "0", "hour": "6"},
    )
    assert SCHEDULES["collaboration-newsroom-digests"] == (
        "collaboration.tasks.newsroom_digests_task",
        {"minute": "0", "hour": "6", "day_of_week": "1"},
    )
