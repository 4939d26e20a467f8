"""In-app notifications: sending (with email), reading, the pages and the navigation bell."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collaboration import services
from collaboration.models import Notification
from collaboration.selectors import unread_count
from smm.accounts.models import User
from smm.networks import services as network_services
from smm.networks.base import AuthError
from tests.factories import make_user
from tests.fixtures import Personas

FAILED = Notification.Kind.PUBLISH_FAILED


def _send(personas: Personas, *recipients: User, url: str = "/w/acme-oy/publishing/", **extra: object) -> int:
    return services.notification_send(
        recipients=recipients or [personas.owner],
        workspace=personas.workspace,
        kind=FAILED,
        message=gettext_lazy("Home"),
        url=url,
        **extra,  # type: ignore[arg-type]
    )


def _list_url(personas: Personas) -> str:
    return reverse("collaboration:notification-list", args=[personas.workspace.slug])


def _open_url(personas: Personas, notification: Notification) -> str:
    return reverse("collaboration:notification-open", args=[personas.workspace.slug, notification.pk])


# Sending -------------------------------------------------------------------------------------
def test_it_renders_the_message_in_each_recipients_language(personas: Personas) -> None:
    User.objects.filter(pk=personas.admin.pk).update(language="fi")
    personas.admin.refresh_from_db()
    count = services.notification_send(
        recipients=[personas.owner, personas.admin],
        workspace=personas.workspace,
        kind=FAILED,
        message=lambda: _("%(account)s works.") % {"account": "@brand"},
    )
    assert count == 2
    messages = dict(Notification.objects.values_list("recipient__email", "message"))
    assert messages == {"owner@example.com": "@brand works.", "admin@example.com": "Tili @brand toimii."}


def test_it_falls_back_to_the_workspace_language_and_accepts_lazy_strings(personas: Personas) -> None:
    personas.workspace.language = "fi"
    personas.workspace.save(update_fields=["language"])
    User.objects.filter(pk=personas.editor.pk).update(language="en")
    personas.editor.refresh_from_db()
    _send(personas, personas.owner, personas.editor)
    messages = dict(Notification.objects.values_list("recipient__email", "message"))
    assert messages == {"owner@example.com": "Etusivu", "editor@example.com": "Home"}


def test_it_notifies_each_member_once_and_skips_non_members(personas: Personas) -> None:
    recipients = [personas.owner, *services.workspace_admins(personas.workspace), personas.outsider]
    assert _send(personas, *recipients) == 2
    assert sorted(Notification.objects.values_list("recipient__email", flat=True)) == [
        "admin@example.com",
        "owner@example.com",
    ]
    assert set(Notification.objects.values_list("workspace_id", flat=True)) == {personas.workspace.pk}


def test_workspace_admins_are_the_active_owners_and_admins(personas: Personas) -> None:
    assert [user.email for user in services.workspace_admins(personas.workspace)] == [
        "admin@example.com",
        "owner@example.com",
    ]
    User.objects.filter(pk=personas.admin.pk).update(is_active=False)
    assert [user.email for user in services.workspace_admins(personas.workspace)] == ["owner@example.com"]


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_it_refuses_links_off_the_site(personas: Personas, url: str) -> None:
    with pytest.raises(ValueError, match="path on this site"):
        _send(personas, url=url)
    assert not Notification.objects.exists()


def test_it_emails_each_recipient_once_after_commit_with_an_absolute_link(
    personas: Personas, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SITE_URL = "https://smm.example"
    User.objects.filter(pk=personas.admin.pk).update(language="fi")
    personas.admin.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _send(personas, personas.owner, personas.admin, personas.owner, email="publish_failed")
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert sorted(message.to[0] for message in mail.outbox) == ["admin@example.com", "owner@example.com"]
    by_recipient = {message.to[0]: message for message in mail.outbox}
    english, finnish = by_recipient["owner@example.com"], by_recipient["admin@example.com"]
    assert "Home" in english.body and "Etusivu" in finnish.body
    assert "https://smm.example/w/acme-oy/publishing/" in english.body
    assert isinstance(english, EmailMultiAlternatives)
    assert 'href="https://smm.example/w/acme-oy/publishing/"' in str(english.alternatives[0][0])
    assert "Acme Oy" in english.subject


def test_it_passes_extra_context_to_the_email_and_refuses_what_cannot_be_queued(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _send(personas, email="publish_failed", context={"message": "overridden?", "extra": 1})
    assert "Home" in mail.outbox[0].body  # the notification's own message wins
    with pytest.raises(ValueError, match="JSON"):
        _send(personas, email="publish_failed", context={"user": personas.owner})


def test_the_email_task_skips_a_deactivated_recipient(personas: Personas) -> None:
    from collaboration.tasks import notification_email_task

    _send(personas)
    notification = Notification.objects.get()
    User.objects.filter(pk=personas.owner.pk).update(is_active=False)
    notification_email_task.delay(notification.pk, "publish_failed")
    notification_email_task.delay(notification.pk + 1000, "publish_failed")  # deleted meanwhile
    assert mail.outbox == []


def test_an_email_without_a_url_links_to_the_notifications_page(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _send(personas, url="", email="publish_failed")
    assert _list_url(personas) in mail.outbox[0].body


# Reading -------------------------------------------------------------------------------------
def test_mark_read_changes_only_the_recipients_chosen_notifications(personas: Personas) -> None:
    _send(personas, personas.owner, personas.admin)
    _send(personas, personas.owner)
    mine = list(Notification.objects.filter(recipient=personas.owner).order_by("pk"))
    theirs = Notification.objects.get(recipient=personas.admin)
    assert services.notification_mark_read(recipient=personas.owner, ids=[mine[0].pk, theirs.pk]) == 1
    assert unread_count(personas.owner) == 1
    assert unread_count(personas.admin) == 1
    assert services.notification_mark_read(recipient=personas.owner) == 1
    assert unread_count(personas.owner) == 0
    assert services.notification_mark_read(recipient=personas.owner) == 0


def test_unread_count_can_be_limited_to_a_workspace(personas: Personas) -> None:
    _send(personas, personas.owner)
    Notification.objects.create(recipient=personas.owner, workspace=personas.other_workspace, kind=FAILED, message="x")
    assert unread_count(personas.owner) == 2
    assert unread_count(personas.owner, personas.workspace) == 1
    services.notification_mark_read(recipient=personas.owner, workspace=personas.workspace)
    assert unread_count(personas.owner) == 1


# Connected accounts --------------------------------------------------------------------------
def test_a_needed_reconnect_notifies_admins_in_the_app_and_emails_them_once(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:
    account = personas.account
    with django_capture_on_commit_callbacks(execute=True):
        network_services.account_record_failure(account=account, error=AuthError("The token was revoked."))
        network_services.account_record_failure(account=account, error=AuthError("The token was revoked."))
    notifications = Notification.objects.filter(kind=Notification.Kind.ACCOUNT_RECONNECT)
    assert sorted(notifications.values_list("recipient__email", flat=True)) == [
        "admin@example.com",
        "owner@example.com",
    ]
    notification = notifications.first()
    assert notification is not None
    assert account.handle in notification.message and "reconnected" in notification.message
    assert notification.url == reverse("workspace-accounts", args=[personas.workspace.slug])
    # One email each: the reconnect email, not a second one for the in-app notification.
    assert sorted(message.to[0] for message in mail.outbox) == ["admin@example.com", "owner@example.com"]


# Pages ---------------------------------------------------------------------------------------
def test_the_list_shows_only_the_members_own_notifications_in_this_workspace(client, personas: Personas) -> None:
    services.notification_send(
        recipients=[personas.editor], workspace=personas.workspace, kind=FAILED, message=lambda: "Editor's own"
    )
    services.notification_send(
        recipients=[personas.owner], workspace=personas.workspace, kind=FAILED, message=lambda: "The owner's"
    )
    personas.other_workspace.memberships.create(user=personas.editor, role="editor")
    services.notification_send(
        recipients=[personas.editor], workspace=personas.other_workspace, kind=FAILED, message=lambda: "Elsewhere"
    )
    client.force_login(personas.editor)
    page = client.get(_list_url(personas)).content.decode()
    assert "Editor&#x27;s own" in page
    assert "The owner&#x27;s" not in page
    assert "Elsewhere" not in page


def test_the_list_puts_unread_first_highlighted_with_exact_times(client, personas: Personas) -> None:
    services.notification_send(
        recipients=[personas.owner], workspace=personas.workspace, kind=FAILED, message=lambda: "Older unread"
    )
    services.notification_send(
        recipients=[personas.owner], workspace=personas.workspace, kind=FAILED, message=lambda: "Newer read"
    )
    services.notification_mark_read(recipient=personas.owner, ids=[Notification.objects.get(message="Newer read").pk])
    User.objects.filter(pk=personas.owner.pk).update(timezone="Europe/Helsinki")
    client.force_login(personas.owner)
    page = client.get(_list_url(personas)).content.decode()
    assert page.index("Older unread") < page.index("Newer read")
    assert page.count("list-group-item-primary") == 1
    assert "Unread:" in page
    assert "(Europe/Helsinki)" in page and "<time datetime=" in page
    assert "now" in page  # naturaltime


def test_the_list_page_costs_a_fixed_number_of_queries(client, personas: Personas, django_assert_num_queries) -> None:
    for _number in range(30):
        _send(personas, personas.owner)
    client.force_login(personas.owner)
    # session, user, two 2FA device checks, membership, paginator count, workspace switcher, bell and
    # open-tasks counts (one query), publishing pause banner, page rows, the e-mail preference: the
    # same for any number of notifications.
    with django_assert_num_queries(11):
        response = client.get(_list_url(personas))
    assert response.status_code == 200
    assert "Page 1 of 2" in response.content.decode()


def test_the_bell_shows_the_unread_count_on_workspace_pages_only(client, personas: Personas) -> None:
    client.force_login(personas.owner)
    dashboard = reverse("workspace-dashboard", args=[personas.workspace.slug])
    page = client.get(dashboard).content.decode()
    assert 'id="notifications-bell"' in page and "unread" not in page
    _send(personas, personas.owner)
    _send(personas, personas.owner)
    page = client.get(dashboard).content.decode()
    assert "Notifications, 2 unread" in page
    assert _list_url(personas) in page
    page = client.get(reverse("accounts:preferences")).content.decode()
    assert 'id="notifications-bell"' not in page


def test_mark_all_as_read_marks_only_this_workspace(client, personas: Personas) -> None:
    _send(personas, personas.owner)
    Notification.objects.create(recipient=personas.owner, workspace=personas.other_workspace, kind=FAILED, message="x")
    client.force_login(personas.owner)
    response = client.post(reverse("collaboration:notification-mark-all-read", args=[personas.workspace.slug]))
    assert response.status_code == 302
    assert response["Location"] == _list_url(personas)
    assert unread_count(personas.owner, personas.workspace) == 0
    assert unread_count(personas.owner, personas.other_workspace) == 1
    assert client.get(response["Location"]).status_code == 200


def test_opening_a_notification_marks_it_read_and_follows_its_local_link(client, personas: Personas) -> None:
    _send(personas, personas.owner, url="/w/acme-oy/accounts/?tab=health")
    notification = Notification.objects.get()
    client.force_login(personas.owner)
    response = client.post(_open_url(personas, notification))
    assert response.status_code == 302
    assert response["Location"] == "/w/acme-oy/accounts/?tab=health"
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize("url", ["", "https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_opening_never_redirects_off_the_site(client, personas: Personas, url: str) -> None:
    # Written past the service's check, as a row from the admin or an old bug could be.
    notification = Notification.objects.create(
        recipient=personas.owner, workspace=personas.workspace, kind=FAILED, message="x", url=url
    )
    client.force_login(personas.owner)
    response = client.post(_open_url(personas, notification))
    assert response["Location"] == _list_url(personas)


def test_a_teammates_notification_cannot_be_opened(client, personas: Personas) -> None:
    _send(personas, personas.admin)
    notification = Notification.objects.get()
    client.force_login(personas.owner)
    assert client.post(_open_url(personas, notification)).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_notification_is_opened_only_through_its_own_workspace(client, personas: Personas) -> None:
    other = make_user("member-of-both@example.com")
    personas.workspace.memberships.create(user=other, role="editor")
    personas.other_workspace.memberships.create(user=other, role="editor")
    notification = Notification.objects.create(
        recipient=other, workspace=personas.other_workspace, kind=FAILED, message="x"
    )
    client.force_login(other)
    assert client.post(_open_url(personas, notification)).status_code == 404


def test_opening_and_marking_need_a_post(client, personas: Personas) -> None:
    _send(personas, personas.owner)
    client.force_login(personas.owner)
    assert client.get(_open_url(personas, Notification.objects.get())).status_code == 405
    assert (
        client.get(reverse("collaboration:notification-mark-all-read", args=[personas.workspace.slug])).status_code
        == 405
    )
    assert client.post(_list_url(personas)).status_code == 405
