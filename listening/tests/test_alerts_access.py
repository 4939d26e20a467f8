"""Every listening alerts page × persona × method (see tests/access.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from listening import query as q
from listening.models import Alert, AlertRule, Topic
from tests.access import ALL_MEMBERS, PUBLISHERS, Matrix, cases, check_access, check_post_only
from tests.access import slug_kwargs as _slug
from tests.fixtures import Personas


def _topic(p: Personas) -> Topic:
    return Topic.objects.get_or_create(
        workspace=p.workspace, name="Kahvila", defaults={"query": "kahvila", "compiled": q.to_json(q.parse("kahvila"))}
    )[0]


def _rule(p: Personas) -> dict[str, object]:
    rule = AlertRule.objects.create(workspace=p.workspace, topic=_topic(p), name="Spike")
    return {"slug": p.workspace.slug, "rule_id": rule.pk}


def _alert(p: Personas) -> dict[str, object]:
    rule = AlertRule.objects.create(workspace=p.workspace, topic=_topic(p), name="Spike")
    alert = Alert.objects.create(
        workspace=p.workspace,
        rule=rule,
        topic=rule.topic,
        kind=rule.kind,
        bucket_start=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return {"slug": p.workspace.slug, "alert_id": alert.pk}


def _rule_data(p: Personas, _kwargs: dict[str, object]) -> dict[str, object]:
    return {"topic": _topic(p).pk, "name": "Kriisi", "kind": "volume", "sensitivity": "3", "min_mentions": "10"}


MATRIX: Matrix = {
    "listening:alerts": (_slug, {"get": (ALL_MEMBERS, {})}),
    "listening:alert-detail": (_alert, {"get": (ALL_MEMBERS, {})}),
    "listening:alert-acknowledge": (_alert, {"post": (PUBLISHERS, {})}),
    "listening:rule-new": (_slug, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, _rule_data)}),
    "listening:rule-edit": (_rule, {"get": (PUBLISHERS, {}), "post": (PUBLISHERS, _rule_data)}),
    "listening:rule-delete": (_rule, {"post": (PUBLISHERS, {})}),
    "listening:rule-test": (_rule, {"post": (PUBLISHERS, {})}),
}


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(MATRIX, personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)


def test_another_workspaces_rule_and_alert_are_404(personas: Personas) -> None:
    theirs = Topic.objects.create(workspace=personas.other_workspace, name="Theirs", query="x", compiled={})
    rule = AlertRule.objects.create(workspace=personas.other_workspace, topic=theirs, name="Theirs")
    alert = Alert.objects.create(
        workspace=personas.other_workspace,
        rule=rule,
        topic=theirs,
        kind=rule.kind,
        bucket_start=datetime(2026, 1, 1, tzinfo=UTC),
    )
    client = Client()
    client.force_login(personas.owner)
    slug = personas.workspace.slug
    assert client.get(reverse("listening:rule-edit", args=[slug, rule.pk])).status_code == 404
    assert client.post(reverse("listening:rule-test", args=[slug, rule.pk])).status_code == 404
    assert client.get(reverse("listening:alert-detail", args=[slug, alert.pk])).status_code == 404
    assert client.post(reverse("listening:alert-acknowledge", args=[slug, alert.pk])).status_code == 404
