"""How notifications are e-mailed: the preference on the notifications page, and the daily digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.translation import gettext_lazy

from collaboration import services
from collaboration.models import Notification, NotificationPreference
from collaboration.services.notifications import notification_preference_set
from collaboration.tasks import notification_digests_task
from smm.accounts.models import User
from tests.fixtures import Personas

NOW = datetime(2030, 5, 8, 6, 0, tzinfo=UTC)
DIGEST = NotificationPreference.Email.DIGEST


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def _notify(personas: Personas, *recipients: User, text: str = "A post failed.") -> None:
    services.notification_send(
        recipients=recipients,
        workspace=personas.workspace,
        kind=Notification.Kind.PUBLISH_FAILED,
        message=gettext_lazy(text),
        url=f"/w/{personas.workspace.slug}/publishing/held/",
        email="publish_failed",
    )


def _preferences_url(personas: Personas) -> str:
    return reverse("collaboration:notification-preferences", args=[personas.workspace.slug])


# The preference --------------------------------------------------------------------------------
def test_the_notifications_page_shows_the_users_choice(client, personas: Personas) -> None:
    list_url = reverse("collaboration:notification-list", args=[personas.workspace.slug])
    client.force_login(personas.viewer)
    page = client.get(list_url).content.decode()
    assert 'value="immediate" class="form-check-input" id="id_email_0" required checked' in page
    notification_preference_set(user=personas.viewer, email=DIGEST)
    page = client.get(list_url).content.decode()
    assert 'value="digest" class="form-check-input" id="id_email_1" required checked' in page


def test_saving_the_preference_without_javascript(client, personas: Personas) -> None:
    client.force_login(personas.viewer)
    response = client.post(_preferences_url(personas), {"email": "none"})
    assert response.status_code == 302
    assert response["Location"] == reverse("collaboration:notification-list", args=[personas.workspace.slug])
    assert NotificationPreference.objects.get(user=personas.viewer).email == NotificationPreference.Email.NONE


def test_saving_the_preference_with_htmx_returns_the_form(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    response = client.post(_preferences_url(personas), {"email": "digest"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith("<form") and "Saved" in fragment and "<html" not in fragment
    assert NotificationPreference.objects.get(user=personas.editor).email == DIGEST
    response = client.post(_preferences_url(personas), {"email": "hourly"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert NotificationPreference.objects.get(user=personas.editor).email == DIGEST


# Sending ---------------------------------------------------------------------------------------
def test_a_digest_user_gets_no_email_at_once_but_one_digest_of_their_unread_items(
    personas: Personas, clock, django_capture_on_commit_callbacks
) -> None:
    notification_preference_set(user=personas.editor, email=DIGEST)
    clock.move_to(NOW - timedelta(hours=5))
    with django_capture_on_commit_callbacks(execute=True):
        _notify(personas, personas.editor, text="First problem")
        _notify(personas, personas.editor, text="Already seen")
        _notify(personas, personas.editor, text="Second problem")
    assert mail.outbox == []
    services.notification_mark_read(
        recipient=personas.editor, ids=Notification.objects.filter(message="Already seen").values_list("pk", flat=True)
    )
    clock.move_to(NOW)
    assert notification_digests_task() == 1
    assert [message.to for message in mail.outbox] == [["editor@example.com"]]
    body = mail.outbox[0].body
    assert "First problem" in body and "Second problem" in body and "Already seen" not in body
    assert "2 new notifications" in mail.outbox[0].subject
    assert NotificationPreference.objects.get(user=personas.editor).last_digest_at == NOW
    # The next day's digest has only what came since.
    clock.move_to(NOW + timedelta(days=1))
    notification_digests_task()
    assert len(mail.outbox) == 1


def test_a_user_who_wants_no_email_gets_none(personas: Personas, clock, django_capture_on_commit_callbacks) -> None:
    notification_preference_set(user=personas.viewer, email=NotificationPreference.Email.NONE)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(personas, personas.viewer)
    clock.move_to(NOW + timedelta(hours=1))
    assert notification_digests_task() == 0
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=personas.viewer).count() == 1  # still in smm


def test_a_user_who_wants_email_at_once_gets_no_digest(
    personas: Personas, clock, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _notify(personas, personas.owner)
    assert [message.to for message in mail.outbox] == [["owner@example.com"]]
    clock.move_to(NOW + timedelta(hours=1))
    assert notification_digests_task() == 0
    assert len(mail.outbox) == 1


def test_the_digest_skips_deactivated_users(personas: Personas, clock) -> None:
    notification_preference_set(user=personas.editor, email=DIGEST)
    _notify(personas, personas.editor)
    User.objects.filter(pk=personas.editor.pk).update(is_active=False)
    clock.move_to(NOW + timedelta(hours=1))
    assert notification_digests_task() == 0
    assert mail.outbox == []
