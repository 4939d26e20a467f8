"""Listening alerts: spike detection against the time-of-day baseline, crisis words, once per bucket,
delivery (in-app, Slack/Teams/Discord webhooks against a local server, signed), failures retried,
and the pages."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from collaboration.models import Notification
from listening import query as q
from listening.models import Alert, AlertRule, Mention, MentionTopic, Topic
from listening.services import alerts
from listening.services.pipeline import RawItem, ingest
from smm.accounts.models import AuditEvent
from tests.fixtures import Personas

pytestmark = pytest.mark.django_db

# A fixed clock: 12:07:30 UTC, so the open bucket is 12:05 and the last complete one 12:00.
NOW = datetime(2026, 11, 30, 12, 7, 30, tzinfo=UTC)
BUCKET = datetime(2026, 11, 30, 12, 5, tzinfo=UTC)

NEGATIVE_FI = [
    "Aivan surkea palvelu, kahvi oli kylmää ja myyjä töykeä",
    "Olen todella pettynyt, tilaus myöhästyi taas viikolla",
    "Huonoin kokemus ikinä, en suosittele kenellekään",
    "Kamala asiakaspalvelu, kukaan ei vastannut puhelimeen",
    "Tuote hajosi heti ja rahoja ei palautettu, surkeaa",
]


def make_topic(workspace, name: str = "Kahvila", query: str = "kahvila") -> Topic:
    return Topic.objects.create(workspace=workspace, name=name, query=query, compiled=q.to_json(q.parse(query)))


def make_rule(topic: Topic, kind: str = AlertRule.Kind.NEGATIVE, **fields: Any) -> AlertRule:
    fields.setdefault("name", f"{kind} rule")
    return AlertRule.objects.create(workspace=topic.workspace, topic=topic, kind=kind, **fields)


def add_rows(topic: Topic, at: datetime, count: int, *, negative: int = 0, text: str = "kahvila ok") -> None:
    """`count` mentions of the topic published at `at` (the first `negative` of them negative)."""
    start = Mention.objects.count()
    mentions = Mention.objects.bulk_create(
        Mention(
            workspace=topic.workspace,
            network="import",
            remote_id=f"r{start + i}",
            text=text,
            sentiment="negative" if i < negative else "neutral",
            published_at=at,
        )
        for i in range(count)
    )
    MentionTopic.objects.bulk_create(
        MentionTopic(
            workspace=topic.workspace, mention=m, topic=topic, published_at=m.published_at, sentiment=m.sentiment
        )
        for m in mentions
    )


def add_history(topic: Topic, *, per_slot: tuple[int, ...] = (8, 10, 12), negative: int = 1) -> None:
    """The same slot and its neighbours on each of the previous 14 days: 8–12 mentions, 1 negative."""
    for day in range(1, 15):
        for offset, count in zip((-1, 0, 1), per_slot, strict=True):
            add_rows(
                topic,
                BUCKET - timedelta(days=day) + offset * alerts.BUCKET + timedelta(seconds=30),
                count + day % 2,
                negative=negative,
            )


def finnish_burst(workspace, count: int = 25) -> None:
    items = [
        RawItem(
            network="mastodon",
            remote_id=f"burst{i}",
            text=f"Kahvila {i}: {NEGATIVE_FI[i % len(NEGATIVE_FI)]} {'!' * (i // 5)} asiakas numero {i * 7919}",
            language="fi",
            published_at=BUCKET + timedelta(seconds=10 + i),
        )
        for i in range(count)
    ]
    ingest(workspace_id=workspace.pk, source=None, items=items)


# Detection ----------------------------------------------------------------------------------------
def test_buckets_are_five_minutes_and_the_baseline_is_the_same_time_of_day() -> None:
    assert alerts.bucket_start(NOW) == BUCKET
    windows = alerts.baseline_windows(BUCKET)
    assert len(windows) == 14
    assert windows[0] == (BUCKET - timedelta(days=1, minutes=5), BUCKET - timedelta(days=1) + timedelta(minutes=10))


def test_a_burst_of_negative_finnish_posts_raises_an_alert_with_the_right_numbers(personas: Personas) -> None:
    topic = make_topic(personas.workspace)
    add_history(topic)
    rule = make_rule(topic)
    rule.notify_members.set([personas.editor])
    finnish_burst(personas.workspace, 25)
    negatives = MentionTopic.objects.filter(topic=topic, published_at__gte=BUCKET, sentiment="negative").count()
    assert negatives == 25  # the pipeline stored and scored every one (Finnish lexicon)

    raised = alerts.alerts_check(now=NOW)

    assert len(raised) == 1
    alert = raised[0]
    assert (alert.rule, alert.bucket_start, alert.mentions, alert.negative) == (rule, BUCKET, 25, 25)
    assert alert.observed == 1.0
    # Baseline: 42 negative in (8+10+12)×14 + 3×7 = 441 history mentions.
    assert alert.baseline == pytest.approx(42 / 441)
    assert alert.deviation > 3
    assert len(alert.mention_ids) == 25
    notification = Notification.objects.get(recipient=personas.editor)
    assert notification.kind == Notification.Kind.LISTENING_ALERT
    assert notification.url == reverse("listening:alert-detail", args=[personas.workspace.slug, alert.pk])
    assert "25" in notification.message


def test_the_volume_rule_fires_on_the_burst_too(personas: Personas) -> None:
    topic = make_topic(personas.workspace)
    add_history(topic)
    make_rule(topic, AlertRule.Kind.VOLUME)
    finnish_burst(personas.workspace, 25)
    (alert,) = alerts.alerts_check(now=NOW)
    # 42 samples: 14 × (8, 10, 12) plus one every other day.
    assert alert.observed == 25
    assert alert.baseline == pytest.approx(441 / 42)


def test_normal_volume_raises_nothing(personas: Personas) -> None:
    topic = make_topic(personas.workspace)
    add_history(topic)
    make_rule(topic, AlertRule.Kind.VOLUME)
    make_rule(topic, AlertRule.Kind.NEGATIVE)
    add_rows(topic, BUCKET + timedelta(seconds=5), 12, negative=1)
    add_rows(topic, BUCKET - alerts.BUCKET, 9, negative=0)
    assert alerts.alerts_check(now=NOW) == []
    assert not Alert.objects.exists()


def test_a_quiet_topic_does_not_alert_under_the_floor(personas: Personas) -> None:
    topic = make_topic(personas.workspace)  # no history at all
    make_rule(topic, AlertRule.Kind.VOLUME, min_mentions=10)
    make_rule(topic, AlertRule.Kind.NEGATIVE, min_mentions=10)
    add_rows(topic, BUCKET, 3, negative=3)
    assert alerts.alerts_check(now=NOW) == []
    add_rows(topic, BUCKET, 8, negative=8)
    assert {a.kind for a in alerts.alerts_check(now=NOW)} == {"volume", "negative"}


def test_keyword_alert_in_the_open_bucket(personas: Personas) -> None:
    topic = make_topic(personas.workspace)
    make_rule(topic, AlertRule.Kind.KEYWORD, keywords="boikot, tietovuoto\nruokamyrkytys")
    add_rows(topic, BUCKET + timedelta(seconds=20), 3, text="kahvila on mukava")
    assert alerts.alerts_check(now=NOW) == []
    add_rows(topic, BUCKET + timedelta(seconds=40), 1, text="Kahvila: BOIKOTOIKAA heti!")
    add_rows(topic, BUCKET + timedelta(seconds=50), 1, text="kahvila ja ruokamyrkytys")
    (alert,) = alerts.alerts_check(now=NOW)
    assert alert.keywords == ["boikot", "ruokamyrkytys"]
    assert alert.observed == 2
    assert set(Mention.objects.filter(pk__in=alert.mention_ids).values_list("text", flat=True)) == {
        "Kahvila: BOIKOTOIKAA heti!",
        "kahvila ja ruokamyrkytys",
    }


def test_an_alert_is_raised_once_per_rule_and_bucket(personas: Personas) -> None:
    topic = make_topic(personas.workspace)
    rule = make_rule(topic, AlertRule.Kind.KEYWORD, keywords="boikotti")
    add_rows(topic, BUCKET + timedelta(seconds=20), 1, text="boikotti")
    assert len(alerts.alerts_check(now=NOW)) == 1
    add_rows(topic, BUCKET + timedelta(seconds=80), 1, text="boikotti taas")
    assert alerts.alerts_check(now=NOW + timedelta(minutes=1)) == []
    assert Alert.objects.filter(rule=rule).count() == 1
    # The next bucket is a new alert.
    add_rows(topic, BUCKET + alerts.BUCKET + timedelta(seconds=5), 1, text="boikotti")
    assert len(alerts.alerts_check(now=NOW + timedelta(minutes=5))) == 1


def test_inactive_rules_and_old_buckets_are_not_checked(personas: Personas) -> None:
    topic = make_topic(personas.workspace)
    make_rule(topic, AlertRule.Kind.KEYWORD, keywords="boikotti", active=False)
    live = make_rule(topic, AlertRule.Kind.KEYWORD, keywords="boikotti", name="live")
    add_rows(topic, BUCKET - timedelta(minutes=30), 1, text="boikotti")
    assert alerts.alerts_check(now=NOW) == []
    add_rows(topic, BUCKET - timedelta(minutes=15), 1, text="boikotti")  # 3 buckets back: still checked
    (alert,) = alerts.alerts_check(now=NOW)
    assert alert.rule == live


# Webhooks -----------------------------------------------------------------------------------------
class Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]
    status = 200

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"path": self.path, "headers": dict(self.headers), "body": body})  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []  # type: ignore[attr-defined]
    server.status = 200  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def base_url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def verify(secret: str, request: dict[str, Any]) -> bool:
    headers = request["headers"]
    expected = hmac.new(
        secret.encode(), headers["X-Smm-Timestamp"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(headers["X-Smm-Signature"], f"sha256={expected}")


def test_webhooks_get_each_networks_payload_signed(personas: Personas, receiver: ThreadingHTTPServer) -> None:
    topic = make_topic(personas.workspace)
    url = base_url(receiver)
    make_rule(
        topic,
        AlertRule.Kind.KEYWORD,
        keywords="boikotti",
        slack_url=f"{url}/slack",
        teams_url=f"{url}/teams",
        discord_url=f"{url}/discord",
        webhook_secret="s3cret",
    )
    add_rows(topic, BUCKET + timedelta(seconds=20), 1, text="<b>boikotti</b> @everyone")
    (alert,) = alerts.alerts_check(now=NOW)

    by_path = {r["path"]: r for r in receiver.received}  # type: ignore[attr-defined]
    assert set(by_path) == {"/slack", "/teams", "/discord"}
    for request in by_path.values():
        assert request["headers"]["Content-Type"] == "application/json"
        assert verify("s3cret", request)
        assert not verify("wrong", request)
    slack = json.loads(by_path["/slack"]["body"])
    assert set(slack) == {"text"} and "Kahvila" in slack["text"]
    assert f"/listening/alerts/{alert.pk}/|" in slack["text"]
    teams = json.loads(by_path["/teams"]["body"])
    assert teams["type"] == "message"
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    assert card["content"]["actions"][0]["url"].endswith(f"/listening/alerts/{alert.pk}/")
    discord = json.loads(by_path["/discord"]["body"])
    assert discord["allowed_mentions"] == {"parse": []}
    assert "Kahvila" in discord["embeds"][0]["description"]
    alert.refresh_from_db()
    assert {channel: entry["ok"] for channel, entry in alert.deliveries.items()} == {
        "slack": True,
        "teams": True,
        "discord": True,
    }
    assert not alert.delivery_pending


def test_unsigned_without_a_secret(personas: Personas, receiver: ThreadingHTTPServer) -> None:
    rule = make_rule(make_topic(personas.workspace), slack_url=f"{base_url(receiver)}/slack")
    assert alerts.alert_send_test(rule=rule) == {"slack": ""}
    (request,) = receiver.received  # type: ignore[attr-defined]
    assert "X-Smm-Signature" not in request["headers"]


def test_a_failed_delivery_is_recorded_and_retried_bounded(personas: Personas, receiver: ThreadingHTTPServer) -> None:
    topic = make_topic(personas.workspace)
    make_rule(topic, AlertRule.Kind.KEYWORD, keywords="boikotti", discord_url=f"{base_url(receiver)}/discord")
    receiver.status = 500  # type: ignore[attr-defined]
    add_rows(topic, BUCKET + timedelta(seconds=20), 1, text="boikotti")
    (alert,) = alerts.alerts_check(now=NOW)
    alert.refresh_from_db()
    assert alert.deliveries["discord"]["ok"] is False
    assert "500" in alert.deliveries["discord"]["error"]
    assert alert.delivery_pending

    # Still failing: tried again each run, at most MAX_ATTEMPTS times in all.
    for minute in range(1, alerts.MAX_ATTEMPTS + 3):
        alerts.alerts_retry(now=alert.created_at + timedelta(minutes=minute))
    alert.refresh_from_db()
    assert alert.deliveries["discord"]["attempts"] == alerts.MAX_ATTEMPTS
    assert not alert.delivery_pending
    assert len(receiver.received) == alerts.MAX_ATTEMPTS


def test_a_failed_delivery_succeeds_on_the_next_run(personas: Personas, receiver: ThreadingHTTPServer) -> None:
    topic = make_topic(personas.workspace)
    make_rule(topic, AlertRule.Kind.KEYWORD, keywords="boikotti", slack_url=f"{base_url(receiver)}/slack")
    receiver.status = 503  # type: ignore[attr-defined]
    add_rows(topic, BUCKET + timedelta(seconds=20), 1, text="boikotti")
    (alert,) = alerts.alerts_check(now=NOW)
    receiver.status = 200  # type: ignore[attr-defined]
    assert alerts.alerts_check(now=NOW + timedelta(minutes=1)) == []  # the retry runs with the check
    alert.refresh_from_db()
    assert alert.deliveries["slack"] == {"ok": True, "error": "", "attempts": 2}
    assert not alert.delivery_pending


def test_a_refused_address_is_an_error_not_a_crash(personas: Personas, settings: Any) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    rule = make_rule(make_topic(personas.workspace), teams_url="http://127.0.0.1:9/teams")
    result = alerts.alert_send_test(rule=rule)
    assert result["teams"]


# Pages --------------------------------------------------------------------------------------------
def test_rule_form_saves_and_refuses_bad_input(personas: Personas) -> None:
    topic = make_topic(personas.workspace)
    client = Client()
    client.force_login(personas.editor)
    url = reverse("listening:rule-new", args=[personas.workspace.slug])
    data = {"topic": topic.pk, "name": "Kriisi", "kind": "keyword", "sensitivity": "3", "min_mentions": "10"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Enter at least one crisis word." in response.content.decode()
    response = client.post(url, {**data, "slack_url": "javascript:alert(1)", "keywords": "boikotti"})
    assert response.status_code == 400
    other_topic = make_topic(personas.other_workspace, "Theirs")
    response = client.post(url, {**data, "topic": other_topic.pk, "keywords": "boikotti"})
    assert response.status_code == 400
    response = client.post(
        url, {**data, "keywords": "boikotti", "notify_members": [personas.viewer.pk], "webhook_secret": "abc"}
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.topic, rule.webhook_secret, list(rule.notify_members.all())) == (topic, "abc", [personas.viewer])
    # Editing without a secret keeps it; the page never shows it.
    edit = reverse("listening:rule-edit", args=[personas.workspace.slug, rule.pk])
    assert "abc" not in client.get(edit).content.decode()
    assert client.post(edit, {**data, "keywords": "kriisi"}).status_code == 302
    rule.refresh_from_db()
    assert (rule.keywords, rule.webhook_secret) == ("kriisi", "abc")
    events = list(AuditEvent.objects.filter(action__startswith="alert_rule").order_by("pk"))
    assert [(e.action, e.target) for e in events] == [
        ("alert_rule_created", "Kriisi"),
        ("alert_rule_changed", "Kriisi"),
    ]
    assert events[1].data == {"keywords": "kriisi", "webhooks": {}, "signed": True}
    assert "abc" not in str(events[0].data)
    assert client.post(reverse("listening:rule-delete", args=[personas.workspace.slug, rule.pk])).status_code == 302
    assert not AlertRule.objects.exists()
    assert AuditEvent.objects.filter(action="alert_rule_deleted").count() == 1


def test_alert_page_lists_and_links_and_acknowledges(personas: Personas) -> None:
    topic = make_topic(personas.workspace)
    make_rule(topic, AlertRule.Kind.KEYWORD, keywords="boikotti")
    add_rows(topic, BUCKET + timedelta(seconds=20), 1, text="boikotti <script>x</script>")
    (alert,) = alerts.alerts_check(now=NOW)
    client = Client()
    client.force_login(personas.viewer)
    slug = personas.workspace.slug
    page = client.get(reverse("listening:alerts", args=[slug])).content.decode()
    assert reverse("listening:alert-detail", args=[slug, alert.pk]) in page
    assert reverse("publishing:pause", args=[slug]) in page
    assert "How spikes are detected" in page
    detail = client.get(reverse("listening:alert-detail", args=[slug, alert.pk])).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in detail and "<script>x" not in detail
    assert reverse("publishing:pause", args=[slug]) in detail
    assert reverse("listening:topic-dashboard", args=[slug, topic.pk]) in detail
    assert reverse("listening:search", args=[slug]) + f"?topic={topic.pk}&amp;date_from=2026-11-30" in detail
    client.force_login(personas.editor)
    client.post(reverse("listening:alert-acknowledge", args=[slug, alert.pk]))
    alert.refresh_from_db()
    assert alert.acknowledged_by == personas.editor
    client.post(reverse("listening:alert-acknowledge", args=[slug, alert.pk]))  # twice: one event
    assert AuditEvent.objects.filter(action="alert_acknowledged").count() == 1


def test_the_task_is_scheduled_every_minute() -> None:
    from smm.accounts.management.commands.setup_periodic_tasks import SCHEDULES

    assert SCHEDULES["listening-alerts"] == ("listening.tasks.alerts_check_task", {"minute": "*"})


def test_the_task_checks_the_rules(personas: Personas) -> None:
    from listening.tasks import alerts_check_task

    topic = make_topic(personas.workspace)
    make_rule(topic, AlertRule.Kind.KEYWORD, keywords="boikotti")
    make_rule(topic, AlertRule.Kind.VOLUME, name="second rule on the same topic")
    add_rows(topic, alerts.bucket_start(timezone.now()) + timedelta(seconds=1), 1, text="boikotti")
    assert alerts_check_task() == 1
    assert alerts_check_task() == 0
