from unittest import mock

from django.urls import reverse


def test_it_reports_database_and_broker(client, db) -> None:
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_it_returns_503_when_the_database_is_down(client, db) -> None:
    with mock.patch("smm.lib.health.connection.cursor", side_effect=OSError("connection refused")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_it_returns_503_when_the_broker_is_unreachable(client, db) -> None:
    with mock.patch("smm.celery.app.connection_for_write", side_effect=OSError("no broker")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "broker": "error"}
