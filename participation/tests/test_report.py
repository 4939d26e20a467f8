"""The response-time report: medians and 90th percentiles per member, account and week, the targets
and their misses, the chart's data, the CSV, and the period in the user's time zone."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from participation.models import ResponseTargets
from participation.tests.inbox_data import answered, make_item
from smm.accounts.models import AccountLevel, AccountPermission
from tests.factories import make_account
from tests.fixtures import Personas

NOW = datetime(2026, 6, 24, 12, 0, tzinfo=UTC)  # a Wednesday in ISO week 26


@pytest.fixture
def inbox(personas: Personas, time_machine) -> dict[str, object]:
    """Conversations of the last weeks: answered in time, late, not yet, spam, and one long ago."""
    time_machine.move_to(NOW, tick=False)
    on_time = make_item(personas, text="Quick one", at=datetime(2026, 6, 22, 9, 0, tzinfo=UTC))
    answered(on_time, after=timedelta(minutes=30), by=personas.editor, resolved_after=timedelta(hours=2))
    late = make_item(personas, text="Slow one", at=datetime(2026, 6, 15, 10, 0, tzinfo=UTC))
    answered(late, after=timedelta(minutes=90), by=personas.admin, resolved_after=timedelta(hours=30))
    make_item(personas, text="Still waiting", at=datetime(2026, 6, 23, 8, 0, tzinfo=UTC))
    spam = make_item(personas, text="Casino", at=datetime(2026, 6, 23, 8, 0, tzinfo=UTC), conversation={"spam": True})
    answered(spam, after=timedelta(days=2), by=personas.admin)
    old = make_item(personas, text="Long ago", at=datetime(2026, 4, 1, 8, 0, tzinfo=UTC))
    answered(old, after=timedelta(minutes=5), by=personas.editor)
    secret = make_account(personas.workspace, "@secret@mastodon.example")
    AccountPermission.objects.create(
        membership=personas.membership(personas.viewer), account=secret, level=AccountLevel.NONE
    )
    hidden = make_item(personas, account=secret, text="Secret", at=datetime(2026, 6, 22, 10, 0, tzinfo=UTC))
    answered(hidden, after=timedelta(minutes=10), by=personas.editor)
    return {"secret": secret}


def _url(personas: Personas) -> str:
    return reverse("participation:report", args=[personas.workspace.slug])


def _table(html: str, table_id: str) -> list[list[str]]:
    """The rows of a table on the page as text cells."""
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    rows = []
    for row in body.split("</tr>")[:-1]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([re.sub(r"\s+", " ", cell).strip() for cell in cells])
    return rows


def test_the_last_four_weeks_per_member_account_and_week(client, personas: Personas, inbox) -> None:
    client.force_login(personas.editor)
    response = client.get(_url(personas))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="2026-05-28"' in html and 'value="2026-06-24"' in html  # four weeks, today included
    # The spam conversation was answered by the admin after two days: it counts neither in the medians
    # nor against the targets.
    assert _table(html, "report-members") == [
        ["admin@example.com", "1", "90.0", "90.0"],
        ["editor@example.com", "2", "20.0", "30.0"],
    ]
    assert _table(html, "report-accounts") == [
        ["Mastodon @acme@mastodon.example", "2", "60.0", "90.0"],
        ["Mastodon @secret@mastodon.example", "1", "10.0", "10.0"],
    ]
    assert _table(html, "report-weeks") == [
        ["2026-W25", "1", "90.0", "90.0"],
        ["2026-W26", "2", "20.0", "30.0"],
    ]
    breaches = html.split('id="report-breaches"', 1)[1].split("</dl>", 1)[0]
    # Of the four real conversations: the slow one and the unanswered one missed the first response
    # (60 min); the slow one (30 h), the unanswered one (28 h so far) and the secret one (answered, still
    # open after 50 h) missed the resolution (24 h).
    first, resolution = breaches.split("Resolved within 1440 minutes")
    assert "First response within 60 minutes" in first and "Missed in 2 of 4 conversations" in first
    assert "Missed in 3 of 4 conversations" in resolution


def test_the_chart_reads_its_numbers_from_json_and_no_script_is_inline(client, personas: Personas, inbox) -> None:
    client.force_login(personas.editor)
    html = client.get(_url(personas)).content.decode()
    data = json.loads(html.split('<script id="report-chart-data" type="application/json">', 1)[1].split("</script>")[0])
    assert data["labels"] == ["2026-W22", "2026-W23", "2026-W24", "2026-W25", "2026-W26"]
    assert data["medians"] == [None, None, None, 90.0, 20.0]
    assert data["target"] == 60 and data["label"] == "Median first response (minutes)"
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/inbox-report.js" in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attributes or 'type="application/json"' in attributes for attributes in scripts)
    assert 'id="report-chart" role="img"' in html


def test_the_period_is_in_the_users_time_zone(client, personas: Personas, inbox) -> None:
    # 21:30 UTC on 27 May is already 28 May in Helsinki: inside the default period there, not in UTC.
    late_evening = make_item(personas, text="Late evening", at=datetime(2026, 5, 27, 21, 30, tzinfo=UTC))
    answered(late_evening, after=timedelta(minutes=7), by=personas.owner)
    client.force_login(personas.editor)
    assert "Olivia Owner" not in client.get(_url(personas)).content.decode()
    personas.editor.timezone = "Europe/Helsinki"
    personas.editor.save(update_fields=["timezone"])
    html = client.get(_url(personas)).content.decode()
    assert ["Olivia Owner", "1", "7.0", "7.0"] in _table(html, "report-members")
    assert ["2026-W22", "1", "7.0", "7.0"] in _table(html, "report-weeks")
    assert "Europe/Helsinki" in html


def test_a_chosen_period_and_a_wrong_one(client, personas: Personas, inbox) -> None:
    client.force_login(personas.editor)
    html = client.get(_url(personas), {"date_from": "2026-03-01", "date_to": "2026-04-30"}).content.decode()
    assert _table(html, "report-members") == [["editor@example.com", "1", "5.0", "5.0"]]
    wrong = client.get(_url(personas), {"date_from": "2026-06-30", "date_to": "2026-06-01"})
    assert wrong.status_code == 400 and "The start comes after the end." in wrong.content.decode()
    too_long = client.get(_url(personas), {"date_from": "2020-01-01", "date_to": "2026-06-01"})
    assert too_long.status_code == 400 and "at most a year" in too_long.content.decode()
    assert client.get(_url(personas), {"date_from": "yesterday", "date_to": ""}).status_code == 400


def test_accounts_the_member_cannot_see_are_left_out(client, personas: Personas, inbox) -> None:
    client.force_login(personas.viewer)
    html = client.get(_url(personas)).content.decode()
    assert "@secret@mastodon.example" not in html
    assert _table(html, "report-accounts") == [["Mastodon @acme@mastodon.example", "2", "60.0", "90.0"]]
    assert "One account you cannot see is left out of this table." in html


def test_the_csv_has_the_same_numbers(client, personas: Personas, inbox) -> None:
    ResponseTargets.objects.create(workspace=personas.workspace, first_response_minutes=45, resolution_minutes=600)
    client.force_login(personas.editor)
    page = client.get(_url(personas)).content.decode()
    assert 'href="?date_from=2026-05-28&amp;date_to=2026-06-24&amp;download=csv"' in page
    response = client.get(_url(personas), {"date_from": "2026-05-28", "date_to": "2026-06-24", "download": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="response-times-acme-oy-20260528-20260624.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Group", "Name", "Conversations", "Median (minutes)", "90th percentile (minutes)"]
    assert ["Member", "editor@example.com", "2", "20.0", "30.0"] in rows
    assert ["Account", "Mastodon @secret@mastodon.example", "1", "10.0", "10.0"] in rows
    assert ["Week", "2026-W25", "1", "90.0", "90.0"] in rows
    assert ["Conversations", "All in the period", "4", "", ""] in rows
    assert ["Missed targets", "First response later than 45 minutes", "2", "", ""] in rows
    assert ["Missed targets", "Resolved later than 600 minutes", "3", "", ""] in rows


def test_names_that_look_like_formulas_are_defused_in_the_csv(client, personas: Personas, time_machine) -> None:
    time_machine.move_to(NOW, tick=False)
    personas.editor.full_name = "=HYPERLINK(1)"
    personas.editor.save(update_fields=["full_name"])
    item = make_item(personas, at=NOW - timedelta(days=1))
    answered(item, after=timedelta(minutes=3), by=personas.editor)
    client.force_login(personas.owner)
    text = client.get(_url(personas), {"download": "csv"}).content.decode()
    assert "'=HYPERLINK(1)" in text and "\n=HYPERLINK" not in text.replace("\r", "")
