"""Every listening sources and import page × persona × method (see tests/access.py)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from listening.models import ImportToken, Source
from tests.access import ADMINS, ALL_MEMBERS, PUBLISHERS, Matrix, cases, check_access, check_post_only, client_for
from tests.access import slug_kwargs as _slug
from tests.fixtures import Personas


def _source(p: Personas) -> dict[str, object]:
    source = Source.objects.create(workspace=p.workspace, kind=Source.Kind.INBOX, name="Our inbox")
    return {"slug": p.workspace.slug, "source_id": source.pk}


def _token(p: Personas) -> dict[str, object]:
    token = ImportToken.objects.create(workspace=p.workspace, name="Vendor", token_hash="0" * 64)
    return {"slug": p.workspace.slug, "token_id": token.pk}


def _csv(_p: Personas, _kwargs: dict[str, object]) -> dict[str, object]:
    return {"file": SimpleUploadedFile("m.csv", b"text,url\nHyva kahvi,https://example.com/1\n", "text/csv")}


MATRIX: Matrix = {
    "listening:sources": (_slug, {"get": (ALL_MEMBERS, {})}),
    "listening:source-new": (
        _slug,
        {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, {"kind": "inbox", "name": "Inbox", "active": "on"})},
    ),
    "listening:source-edit": (
        _source,
        {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, {"kind": "inbox", "name": "Renamed", "active": "on"})},
    ),
    "listening:source-delete": (_source, {"post": (PUBLISHERS, {})}),
    "listening:source-collect": (_source, {"post": (PUBLISHERS, {})}),
    "listening:import-csv": (_slug, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, _csv)}),
    "listening:import-tokens": (_slug, {"get": (ADMINS, {}), "post": (ADMINS, {"name": "Vendor"})}),
    "listening:import-token-revoke": (_token, {"post": (ADMINS, {})}),
}


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(MATRIX, personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)


def test_another_workspaces_source_and_token_are_404(personas: Personas) -> None:
    source = Source.objects.create(workspace=personas.other_workspace, kind=Source.Kind.INBOX, name="Theirs")
    token = ImportToken.objects.create(workspace=personas.other_workspace, name="Theirs", token_hash="1" * 64)
    client = client_for(personas, "owner")
    slug = personas.workspace.slug
    assert client.get(reverse("listening:source-edit", args=[slug, source.pk])).status_code == 404
    assert client.post(reverse("listening:source-delete", args=[slug, source.pk])).status_code == 404
    assert client.post(reverse("listening:source-collect", args=[slug, source.pk])).status_code == 404
    assert client.post(reverse("listening:import-token-revoke", args=[slug, token.pk])).status_code == 404
    assert Source.objects.filter(pk=source.pk).exists()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_import_endpoint_needs_no_session_but_a_token(db: None) -> None:
    response = Client().post(reverse("listening-import-api"), "[]", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
