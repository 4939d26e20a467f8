"""The audit log: append-only in the ORM and in PostgreSQL, filters, CSV, viewer's time zone."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from smm.accounts import services
from smm.accounts.models import AuditEvent
from tests.fixtures import Personas


def test_it_refuses_updates_and_deletes_through_the_orm(personas: Personas) -> None:
    event = AuditEvent.objects.first()
    assert event is not None
    event.target = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(target="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_postgresql_refuses_an_update_or_delete_of_an_audit_row(personas: Personas) -> None:
    event = AuditEvent.objects.first()
    assert event is not None
    for statement in (
        "UPDATE accounts_auditevent SET target = 'tampered' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).target == event.target


def test_it_filters_the_log_and_paginates(client, personas: Personas) -> None:
    owner = personas.membership(personas.owner)
    for number in range(60):
        services.audit_record(
            action=AuditEvent.Action.INVITATION_SENT,
            actor=personas.owner,
            workspace=personas.workspace,
            target=f"person{number}@example.com",
        )
    services.audit_record(action=AuditEvent.Action.MEMBER_REMOVED, actor=personas.admin, workspace=personas.workspace)
    services.audit_record(
        action=AuditEvent.Action.MEMBER_REMOVED, actor=personas.outsider, workspace=personas.other_workspace
    )
    client.force_login(owner.user)
    url = reverse("workspace-audit", args=[personas.workspace.slug])
    page = client.get(url).content.decode()
    assert "Page 1 of 2" in page
    filtered = client.get(url, {"action": "member_removed"}).content.decode()
    assert personas.admin.email in filtered
    assert personas.outsider.email not in filtered  # another workspace's log never shows
    by_person = client.get(url, {"actor": "admin@"}, HTTP_HX_REQUEST="true")
    assert "<html" not in by_person.content.decode()  # htmx gets only the rows
    assert personas.admin.email in by_person.content.decode()
    bad = client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"}).content.decode()
    assert "The end date is before the start date" in bad


def test_it_exports_csv_in_the_viewers_time_zone(client, personas: Personas) -> None:
    personas.owner.timezone = "Europe/Helsinki"
    personas.owner.save(update_fields=["timezone"])
    event = AuditEvent.objects.create(
        action=AuditEvent.Action.MEMBER_REMOVED,
        workspace=personas.workspace,
        actor_email="x@example.com",
        target='=HYPERLINK("http://evil")',
        created_at=datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("UTC")),
    )
    client.force_login(personas.owner)
    response = client.get(
        reverse("workspace-audit-export", args=[personas.workspace.slug]), {"action": "member_removed"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "Time"
    assert rows[1][0] == "2026-06-01 12:00:00"  # 09:00 UTC is 12:00 in Helsinki in summer
    assert rows[1][1] == "Europe/Helsinki"
    assert rows[1][4].startswith("'=")  # no formula injection
    assert len(rows) == 2
    assert event.pk


def test_it_records_sign_ins_and_failures(client, personas: Personas) -> None:
    from tests.factories import PASSWORD

    client.post(reverse("accounts:login"), {"username": personas.editor.email, "password": "wrong"})
    client.post(reverse("accounts:login"), {"username": personas.editor.email.upper(), "password": PASSWORD})
    actions = list(AuditEvent.objects.filter(actor=personas.editor).values_list("action", flat=True))
    assert AuditEvent.Action.LOGIN_FAILED in actions
    assert AuditEvent.Action.LOGIN in actions


def test_details_are_written_for_people(personas: Personas) -> None:
    event = services.audit_record(
        action=AuditEvent.Action.WORKSPACE_SETTINGS_CHANGED,
        workspace=personas.workspace,
        data={
            "changes": {
                "timezone": {"from": "UTC", "to": "Europe/Helsinki"},
                "require_2fa_for_admins": {"from": False, "to": True},
            }
        },
    )
    assert event.details == (
        "Time zone: UTC → Europe/Helsinki; Require two-factor authentication for owners and admins: no → yes"
    )
    role = services.audit_record(
        action=AuditEvent.Action.MEMBER_ROLE_CHANGED, data={"from": "editor", "to": "viewer", "via": "admin"}
    )
    assert role.details == "Editor → Viewer; in the admin panel"
    level = services.audit_record(
        action=AuditEvent.Action.ACCOUNT_PERMISSION_CHANGED, data={"account": 1, "from": "default", "to": "manage"}
    )
    assert level.details == "role default → Manage"
