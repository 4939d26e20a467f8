"""Imports: the CSV page (bad rows listed with their lines, valid rows kept) and the HTTP endpoint
with import tokens (hashed, shown once, revocable; 401/413/422/429 as JSON)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from listening.models import ImportToken, Mention, Source
from listening.services import sources as service
from tests.access import client_for
from tests.fixtures import Personas

CSV = (
    "url,text,author,published_at,network,likes\n"  # line 1
    "https://forum.example/t/1,Kahvi oli tänään erinomaista,anna,2026-03-01T12:00:00+02:00,forum,3\n"  # 2
    "https://forum.example/t/2,,bertta,2026-03-01,forum,0\n"  # 3: no text
    "not-a-url,Hyvä palvelu,cecilia,2026-03-01,forum,0\n"  # 4: bad url
    "https://forum.example/t/4,Great coffee today,dave,yesterday,forum,0\n"  # 5: bad time
    "https://forum.example/t/5,Coffee again and again,erik,2026-03-02 08:00,forum,-1\n"  # 6: negative likes
    "https://forum.example/t/6,Naive time is read in the workspace zone,fiona,2026-03-02 08:00,news,\n"  # 7
).encode()


def _upload(client: Client, personas: Personas, data: bytes):
    url = reverse("listening:import-csv", args=[personas.workspace.slug])
    return client.post(url, {"file": SimpleUploadedFile("mentions.csv", data, "text/csv")})


def test_a_csv_keeps_valid_rows_and_lists_bad_ones_by_line(personas: Personas) -> None:
    response = _upload(client_for(personas, "editor"), personas, CSV)
    assert response.status_code == 200
    result = response.context["result"]
    assert result.stored == 2
    assert [error.line for error in result.errors] == [3, 4, 5, 6]
    html = response.content.decode()
    assert "“text” is empty." in html and "“url” is not a web address" in html
    assert "“published_at” is not a date and time" in html and "cannot be negative" in html
    first = Mention.objects.get(remote_id="https://forum.example/t/1")
    assert first.network == "forum" and first.likes == 3 and first.author_handle == "anna"
    assert first.published_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert first.source is not None and first.source.kind == Source.Kind.IMPORT
    # The same file again stores nothing twice.
    again = _upload(client_for(personas, "editor"), personas, CSV).context["result"]
    assert again.stored == 0 and again.duplicates == 2


def test_semicolons_and_a_bom_are_fine_and_a_broken_file_is_explained(personas: Personas) -> None:
    client = client_for(personas, "editor")
    ok = _upload(client, personas, "\ufefftext;author\nHei maailma tänään;anna\n".encode())
    assert ok.context["result"].stored == 1
    latin = _upload(client, personas, "text\nHyv\xe4\n".encode("latin-1"))
    assert latin.status_code == 400 and "not UTF-8" in latin.content.decode()
    headerless = _upload(client, personas, b"foo,bar\n1,2\n")
    assert headerless.status_code == 400 and "text" in headerless.content.decode()


def test_the_workspace_time_zone_reads_naive_times(personas: Personas) -> None:
    personas.workspace.timezone = "Europe/Helsinki"
    personas.workspace.save(update_fields=["timezone"])
    _upload(client_for(personas, "editor"), personas, CSV)
    naive = Mention.objects.get(remote_id="https://forum.example/t/6")
    assert naive.published_at == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


# Tokens ------------------------------------------------------------------------------------------
def _token(personas: Personas) -> str:
    client = client_for(personas, "admin")
    response = client.post(reverse("listening:import-tokens", args=[personas.workspace.slug]), {"name": "Vendor"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret and secret in response.content.decode()
    token = ImportToken.objects.get(name="Vendor")
    assert secret not in token.token_hash and len(token.token_hash) == 64
    listing = client.get(reverse("listening:import-tokens", args=[personas.workspace.slug]))
    assert secret not in listing.content.decode()  # shown once
    return secret


def _post(secret: str | None, body: object):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Client().post(reverse("listening-import-api"), payload, content_type="application/json", headers=headers)


def test_the_endpoint_ingests_valid_items_and_reports_the_rest(personas: Personas) -> None:
    secret = _token(personas)
    items = [
        {"id": "v-1", "text": "Great coffee at the new place", "author": "vera", "network": "vendor", "likes": 5},
        {"text": ""},
        {"id": "v-2", "title": "Uutinen kahvilasta", "url": "https://news.example/k", "published_at": "2026-03-01"},
        "not an object",
    ]
    response = _post(secret, items)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stored"] == 2 and body["received"] == 4
    assert [error["index"] for error in body["errors"]] == [1, 3]
    assert Mention.objects.get(remote_id="v-1").likes == 5
    assert ImportToken.objects.get().last_used_at is not None
    assert _post(secret, {"items": items[:1]}).json()["stored"] == 0  # a duplicate


@pytest.mark.parametrize("secret", [None, "wrong", ""])
def test_the_endpoint_refuses_without_a_valid_token(personas: Personas, secret: str | None) -> None:
    response = _post(secret, [{"text": "hello there"}])
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token" and "Bearer" in response["WWW-Authenticate"]
    assert not Mention.objects.exists()


def test_a_revoked_token_is_refused(personas: Personas) -> None:
    secret = _token(personas)
    token = ImportToken.objects.get()
    client = client_for(personas, "admin")
    assert (
        client.post(reverse("listening:import-token-revoke", args=[personas.workspace.slug, token.pk])).status_code
        == 302
    )
    assert _post(secret, [{"text": "hello there"}]).status_code == 401


def test_the_endpoint_limits(personas: Personas, monkeypatch) -> None:
    secret = _token(personas)
    not_json = _post(secret, b"{nope")
    assert not_json.status_code == 422 and not_json.json()["error"] == "invalid_json"
    not_a_list = _post(secret, {"text": "x"})
    assert not_a_list.status_code == 422 and not_a_list.json()["error"] == "invalid_body"
    all_bad = _post(secret, [{"text": ""}])
    assert all_bad.status_code == 422 and all_bad.json()["errors"][0]["index"] == 0
    too_many = _post(secret, [{"text": "x"}] * (service.IMPORT_MAX_ITEMS + 1))
    assert too_many.status_code == 413 and too_many.json()["error"] == "too_many_items"
    monkeypatch.setattr(service, "IMPORT_MAX_BYTES", 100)
    too_large = _post(secret, [{"text": "x" * 200}])
    assert too_large.status_code == 413 and too_large.json()["error"] == "too_large"
    assert _post("wrong", [{"text": "x" * 200}]).status_code == 401  # no hint about sizes without a token


def test_the_endpoint_is_rate_limited_per_token(personas: Personas, monkeypatch) -> None:
    monkeypatch.setattr(service, "IMPORT_REQUESTS_PER_MINUTE", 3)
    secret = _token(personas)
    statuses = [_post(secret, [{"text": f"hello number {n}"}]).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = _post(secret, [{"text": "one more"}])
    assert limited.json()["error"] == "rate_limited" and int(limited["Retry-After"]) >= 1
    ImportToken.objects.update(window_started_at=datetime(2026, 1, 1, tzinfo=UTC))  # the minute has passed
    assert _post(secret, [{"text": "after the window"}]).status_code == 200


def test_the_endpoint_takes_only_post(personas: Personas) -> None:
    assert Client().get(reverse("listening-import-api")).status_code == 405
