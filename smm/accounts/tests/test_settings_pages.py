"""User settings, language switching and workspace settings."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from smm.accounts.models import AuditEvent
from tests.fixtures import Personas


def test_it_saves_preferences_and_shows_times_in_the_users_zone(client, personas: Personas) -> None:
    client.force_login(personas.owner)
    response = client.post(
        reverse("accounts:preferences"), {"full_name": "Olivia O.", "language": "fi", "timezone": "America/New_York"}
    )
    assert response.status_code == 302
    personas.owner.refresh_from_db()
    assert (personas.owner.full_name, personas.owner.language, personas.owner.timezone) == (
        "Olivia O.",
        "fi",
        "America/New_York",
    )
    page = client.get(reverse("workspace-audit", args=[personas.workspace.slug]))
    assert "America/New_York" in page.content.decode()
    assert page["Content-Language"] == "fi"


def test_it_refuses_an_unknown_time_zone_with_a_message(client, personas: Personas) -> None:
    client.force_login(personas.owner)
    response = client.post(reverse("accounts:preferences"), {"full_name": "X", "language": "", "timezone": "Mars/Base"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_language_switcher_remembers_the_choice(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    dashboard = reverse("workspace-dashboard", args=[personas.workspace.slug])
    response = client.post(reverse("language-set"), {"language": "fi", "next": dashboard})
    assert response["Location"] == dashboard
    personas.editor.refresh_from_db()
    assert personas.editor.language == "fi"
    assert client.get(dashboard)["Content-Language"] == "fi"
    offsite = client.post(reverse("language-set"), {"language": "en", "next": "https://evil.example/"})
    assert offsite["Location"] == reverse("home")
    translation.activate("en")


def test_anonymous_visitors_can_switch_language(client, db) -> None:
    response = client.post(reverse("language-set"), {"language": "fi", "next": reverse("accounts:login")})
    assert response.cookies["django_language"].value == "fi"
    assert client.get(reverse("accounts:login"))["Content-Language"] == "fi"
    translation.activate("en")


def test_an_admin_changes_workspace_settings_and_it_is_audited(client, personas: Personas) -> None:
    client.force_login(personas.admin)
    url = reverse("workspace-settings", args=[personas.workspace.slug])
    response = client.post(
        url, {"name": "Acme Group", "timezone": "Europe/Stockholm", "language": "en", "require_2fa_for_admins": "on"}
    )
    assert response.status_code == 302
    personas.workspace.refresh_from_db()
    assert personas.workspace.name == "Acme Group"
    assert personas.workspace.require_2fa_for_admins
    event = AuditEvent.objects.get(action=AuditEvent.Action.WORKSPACE_SETTINGS_CHANGED)
    assert event.data["changes"]["timezone"] == {"from": "Europe/Helsinki", "to": "Europe/Stockholm"}


def test_bad_workspace_settings_are_explained_and_nothing_is_saved(client, personas: Personas) -> None:
    client.force_login(personas.admin)
    url = reverse("workspace-settings", args=[personas.workspace.slug])
    response = client.post(url, {"name": "", "timezone": "Nowhere/City", "language": "en"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "This field is required" in content
    assert "Select a valid choice" in content
    personas.workspace.refresh_from_db()
    assert personas.workspace.name == "Acme Oy"


def test_a_viewer_sees_settings_read_only(client, personas: Personas) -> None:
    client.force_login(personas.viewer)
    content = client.get(reverse("workspace-settings", args=[personas.workspace.slug])).content.decode()
    assert "Only owners and admins can change these settings" in content
    assert "disabled" in content
