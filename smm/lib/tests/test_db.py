"""update_from_values writes many rows' fields in one statement, NULLs and time stamps included."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from smm.lib.db import update_from_values
from smm.networks.models import ConnectedAccount
from tests.factories import make_account
from tests.fixtures import Personas


def test_it_updates_each_row_with_its_own_values_in_one_query(personas: Personas) -> None:
    first, second = make_account(personas.workspace), make_account(personas.workspace)
    first.display_name, first.followers_count, first.last_success_at = "First", 10, datetime(2030, 1, 1, tzinfo=UTC)
    second.display_name, second.followers_count, second.last_success_at = "Second's \\ 'quote'", None, None
    with CaptureQueriesContext(connection) as queries:
        assert update_from_values([first, second], ["display_name", "followers_count", "last_success_at"]) == 2
    assert len(queries) == 1
    rows = dict(ConnectedAccount.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "display_name"))
    assert rows == {first.pk: "First", second.pk: "Second's \\ 'quote'"}
    second.refresh_from_db()
    assert second.followers_count is None and second.last_success_at is None
    assert update_from_values([], ["display_name"]) == 0
