"""Listening alerts: spike and crisis-word detection in 5-minute buckets, and delivering the alerts.

Buckets are 5 minutes aligned to UTC (12:00–12:05, …). The every-minute task (`alerts_check`) looks
at the current, still open bucket and the LOOKBACK complete ones before it (mentions are often
collected a few minutes after they were published), so an alert is raised within a minute of the
mentions that cross the line being stored. An alert is raised at most once per rule and bucket
(the unique constraint `alert_once_per_bucket`).

The baseline is the topic's own, time-of-day aware: the same 5-minute slot and its two neighbours
(15 minutes) on each of the previous BASELINE_DAYS days, i.e. 3 × 14 = 42 samples.

- Volume: with n mentions in the bucket and the samples' mean μ and standard deviation σ,
  z = (n − μ) / max(σ, 1); alert when n ≥ the rule's floor and z ≥ the rule's sensitivity.
- Negative share: p = negative / n in the bucket; the baseline share p₀ = Σnegative / Σn over the
  samples (PRIOR_NEGATIVE_SHARE when they hold no mentions), clamped to 0.02…0.95; the binomial
  z = (p − p₀) / √(p₀(1 − p₀) / n); alert when n ≥ the floor and z ≥ the sensitivity.
- Crisis words: any mention of the bucket whose text contains one of the rule's words (a word
  beginning, case-insensitive: "boikot" finds "boikotti" and "Boikotoikaa"); no floor.

Delivery: in-app notifications to the rule's members (and their e-mail when chosen; the e-mail
goes through collaboration's notification e-mail, respecting each member's preference), and the
Slack, Microsoft Teams and Discord incoming webhooks in each one's JSON shape, POSTed through the
SSRF-safe client. With a signing secret, each webhook request carries `X-Smm-Timestamp` (Unix
seconds) and `X-Smm-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. A failed
webhook is recorded on the alert and tried again by the next runs, at most MAX_ATTEMPTS times.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from collaboration.models import Notification
from listening.models import Alert, AlertRule, Mention, MentionTopic, Topic
from smm.accounts.models import Membership, User

logger = logging.getLogger(__name__)

BUCKET = timedelta(minutes=5)
BUCKET_SECONDS = 300
LOOKBACK = 3  # complete buckets checked besides the open one
BASELINE_DAYS = 14
NEIGHBOURS = 1  # slots either side of the same time of day
PRIOR_NEGATIVE_SHARE = 0.2
MAX_ATTEMPTS = 5
RETRY_WINDOW = timedelta(hours=6)
MAX_MENTION_IDS = 100
KEYWORD_SCAN = 2000
WEBHOOK_TIMEOUT = (5.0, 10.0)
WEBHOOK_CHANNELS = ("slack", "teams", "discord")


# Buckets ------------------------------------------------------------------------------------------
def bucket_start(moment: datetime) -> datetime:
    seconds = int(moment.timestamp()) // BUCKET_SECONDS * BUCKET_SECONDS
    return datetime.fromtimestamp(seconds, tz=UTC)


def baseline_windows(start: datetime) -> list[tuple[datetime, datetime]]:
    """The same slot (± NEIGHBOURS) on each of the previous BASELINE_DAYS days."""
    return [
        (start - timedelta(days=day) - NEIGHBOURS * BUCKET, start - timedelta(days=day) + (NEIGHBOURS + 1) * BUCKET)
        for day in range(1, BASELINE_DAYS + 1)
    ]


BUCKET_COUNTS_SQL = """
SELECT floor(extract(epoch FROM published_at) / 300)::bigint AS bucket, count(*),
       count(*) FILTER (WHERE sentiment = 'negative')
FROM listening_mentiontopic
WHERE topic_id = %s AND published_at >= %s AND published_at < %s
  AND EXISTS (
    SELECT 1 FROM unnest(%s::timestamptz[], %s::timestamptz[]) AS w(since, until)
    WHERE published_at >= w.since AND published_at < w.until
  )
GROUP BY bucket
"""


def _bucket_counts(topic_id: int, windows: list[tuple[datetime, datetime]]) -> dict[int, tuple[int, int]]:
    """bucket number (epoch seconds / 300) -> (mentions, negative) of the topic within the windows."""
    # The topic's rows from the first window to the last (index mention_topic_newest), kept when
    # inside one of the windows.
    params: list[Any] = [
        topic_id,
        min(since for since, _until in windows),
        max(until for _since, until in windows),
        [since for since, _until in windows],
        [until for _since, until in windows],
    ]
    with connection.cursor() as cursor:
        cursor.execute(BUCKET_COUNTS_SQL, params)
        return {int(row[0]): (int(row[1]), int(row[2])) for row in cursor.fetchall()}


@dataclass
class BucketStats:
    start: datetime
    mentions: int
    negative: int
    samples: list[tuple[int, int]]  # (mentions, negative) of each baseline slot, zeros included

    @property
    def volume_mean(self) -> float:
        return sum(n for n, _neg in self.samples) / len(self.samples) if self.samples else 0.0

    @property
    def volume_stddev(self) -> float:
        if len(self.samples) < 2:
            return 0.0
        mean = self.volume_mean
        return math.sqrt(sum((n - mean) ** 2 for n, _neg in self.samples) / (len(self.samples) - 1))

    @property
    def negative_share(self) -> float:
        return self.negative / self.mentions if self.mentions else 0.0

    @property
    def baseline_negative_share(self) -> float:
        total = sum(n for n, _neg in self.samples)
        share = sum(neg for _n, neg in self.samples) / total if total else PRIOR_NEGATIVE_SHARE
        return min(max(share, 0.02), 0.95)


def bucket_stats_many(topic_id: int, starts: list[datetime]) -> dict[datetime, BucketStats]:
    """Each bucket's counts and baseline samples, from one query for all of them."""
    windows = [window for start in starts for window in (*baseline_windows(start), (start, start + BUCKET))]
    counts = _bucket_counts(topic_id, windows)
    result = {}
    for start in starts:
        own = counts.get(int(start.timestamp()) // BUCKET_SECONDS, (0, 0))
        samples = []
        for since, until in baseline_windows(start):
            first = int(since.timestamp()) // BUCKET_SECONDS
            last = int(until.timestamp()) // BUCKET_SECONDS
            samples += [counts.get(number, (0, 0)) for number in range(first, last)]
        result[start] = BucketStats(start=start, mentions=own[0], negative=own[1], samples=samples)
    return result


def bucket_stats(topic_id: int, start: datetime) -> BucketStats:
    return bucket_stats_many(topic_id, [start])[start]


@dataclass
class Finding:
    observed: float
    baseline: float
    deviation: float
    keywords: list[str] = field(default_factory=list)
    mention_ids: list[int] = field(default_factory=list)


def volume_finding(rule: AlertRule, stats: BucketStats) -> Finding | None:
    mean, sigma = stats.volume_mean, stats.volume_stddev
    z = (stats.mentions - mean) / max(sigma, 1.0)
    if stats.mentions < rule.min_mentions or z < rule.sensitivity:
        return None
    return Finding(observed=stats.mentions, baseline=mean, deviation=z)


def negative_finding(rule: AlertRule, stats: BucketStats) -> Finding | None:
    if stats.mentions < rule.min_mentions:
        return None
    share, base = stats.negative_share, stats.baseline_negative_share
    z = (share - base) / math.sqrt(base * (1 - base) / stats.mentions)
    if z < rule.sensitivity:
        return None
    return Finding(observed=share, baseline=base, deviation=z)


def parse_keywords(text: str) -> list[str]:
    """One word or phrase a line or between commas; casefolded, unique, in order."""
    words: list[str] = []
    for part in re.split(r"[,\n]", text):
        word = " ".join(part.split()).casefold()
        if word and word not in words:
            words.append(word)
    return words


def keyword_pattern(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(word) for word in words) + ")", re.IGNORECASE)


def keyword_finding(rule: AlertRule, start: datetime) -> Finding | None:
    words = parse_keywords(rule.keywords)
    if not words:
        return None
    pattern = keyword_pattern(words)
    rows = (
        Mention.objects.filter(
            topic_links__topic_id=rule.topic_id,
            topic_links__published_at__gte=start,
            topic_links__published_at__lt=start + BUCKET,
        )
        .order_by("-published_at", "-pk")
        .values_list("pk", "title", "text")[:KEYWORD_SCAN]
    )
    found: list[str] = []
    ids: list[int] = []
    for pk, title, text in rows:
        hits = {match.group(1).casefold() for match in pattern.finditer(f"{title}\n{text}")}
        if hits:
            ids.append(pk)
            found += [word for word in words if word in hits or any(hit.startswith(word) for hit in hits)]
    if not ids:
        return None
    matched = [word for word in words if word in found]
    return Finding(observed=len(ids), baseline=0, deviation=0, keywords=matched, mention_ids=ids[:MAX_MENTION_IDS])


def _mention_ids(rule: AlertRule, start: datetime) -> list[int]:
    links = MentionTopic.objects.filter(
        topic_id=rule.topic_id, published_at__gte=start, published_at__lt=start + BUCKET
    )
    if rule.kind == AlertRule.Kind.NEGATIVE:
        links = links.filter(sentiment="negative")
    return list(links.order_by("-published_at").values_list("mention_id", flat=True)[:MAX_MENTION_IDS])


def evaluate(rule: AlertRule, start: datetime, stats: BucketStats | None = None) -> tuple[BucketStats, Finding | None]:
    stats = stats or bucket_stats(rule.topic_id, start)
    if rule.kind == AlertRule.Kind.KEYWORD:
        finding = keyword_finding(rule, start)
    elif rule.kind == AlertRule.Kind.NEGATIVE:
        finding = negative_finding(rule, stats)
    else:
        finding = volume_finding(rule, stats)
    if finding is not None and not finding.mention_ids:
        finding.mention_ids = _mention_ids(rule, start)
    return stats, finding


# Checking -----------------------------------------------------------------------------------------
def alerts_check(*, now: datetime | None = None) -> list[Alert]:
    """Check every active rule against the open bucket and the LOOKBACK before it; deliver what is
    new, then retry earlier failed deliveries. Returns the new alerts."""
    now = now or timezone.now()
    current = bucket_start(now)
    starts = [current - BUCKET * back for back in range(LOOKBACK, -1, -1)]
    raised: list[Alert] = []
    rules = AlertRule.objects.filter(active=True, topic__active=True).select_related("topic", "workspace")
    done = set(Alert.objects.filter(bucket_start__in=starts).values_list("rule_id", "bucket_start"))
    by_topic: dict[int, dict[datetime, BucketStats]] = {}  # one counting query per topic and run
    for rule in rules:
        todo = [start for start in starts if (rule.pk, start) not in done]
        if not todo:
            continue
        if rule.topic_id not in by_topic:
            by_topic[rule.topic_id] = bucket_stats_many(rule.topic_id, starts)
        for start in todo:
            stats, finding = evaluate(rule, start, by_topic[rule.topic_id][start])
            if finding is None:
                continue
            alert = _store(rule, stats, finding)
            if alert is not None:
                raised.append(alert)
    for alert in raised:
        alert_deliver(alert=alert)
    alerts_retry(now=now, skip=[alert.pk for alert in raised])  # the new ones were just tried
    return raised


def _store(rule: AlertRule, stats: BucketStats, finding: Finding) -> Alert | None:
    alert = Alert(
        workspace_id=rule.workspace_id,
        rule=rule,
        topic_id=rule.topic_id,
        kind=rule.kind,
        bucket_start=stats.start,
        mentions=stats.mentions,
        negative=stats.negative,
        observed=finding.observed,
        baseline=finding.baseline,
        deviation=finding.deviation,
        keywords=finding.keywords,
        mention_ids=finding.mention_ids,
    )
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:  # another run raised it first
        return None
    return alert


# Delivery -----------------------------------------------------------------------------------------
def alert_summary(alert: Alert) -> str:
    """One line in the current language."""
    values = {
        "topic": alert.topic.name,
        "rule": alert.rule.name,
        "mentions": alert.mentions,
        "observed": round(alert.observed),
        "baseline": f"{alert.baseline:.1f}",
        "share": round(alert.observed * 100),
        "base_share": round(alert.baseline * 100),
        "words": ", ".join(alert.keywords),
        "time": timezone.localtime(alert.bucket_start).strftime("%H:%M"),
    }
    if alert.kind == AlertRule.Kind.NEGATIVE:
        text = _("%(topic)s: %(share)s %% of %(mentions)s mentions negative at %(time)s (usually %(base_share)s %%).")
    elif alert.kind == AlertRule.Kind.KEYWORD:
        text = _("%(topic)s: %(observed)s mentions with crisis words (%(words)s) at %(time)s.")
    else:
        text = _("%(topic)s: %(mentions)s mentions in 5 minutes at %(time)s (usually %(baseline)s).")
    return text % values


def _summary_in(alert: Alert, zone: str) -> str:
    with timezone.override(zone):
        return alert_summary(alert)


def _workspace_text(alert: Alert) -> str:
    """The summary for webhooks: in the workspace's language and time zone."""
    workspace = alert.topic.workspace
    with translation.override(workspace.language):
        return _summary_in(alert, workspace.timezone)


def alert_path(alert: Alert) -> str:
    return reverse("listening:alert-detail", args=[alert.topic.workspace.slug, alert.pk])


def slack_payload(text: str, link: str) -> dict[str, Any]:
    """Slack incoming webhook: `text` (mrkdwn; &, < and > escaped as Slack documents)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {"text": f"{escaped} <{link}|{_('Open in smm')}>"}


def teams_payload(text: str, link: str) -> dict[str, Any]:
    """Microsoft Teams (Workflows) incoming webhook: a message with an Adaptive Card attachment."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": _("Listening alert"), "weight": "Bolder", "size": "Medium"},
                        {"type": "TextBlock", "text": text, "wrap": True},
                    ],
                    "actions": [{"type": "Action.OpenUrl", "title": _("Open in smm"), "url": link}],
                },
            }
        ],
    }


def discord_payload(text: str, link: str) -> dict[str, Any]:
    """Discord webhook: an embed; `allowed_mentions` empty so that no @everyone or role ping goes out."""
    return {
        "content": "",
        "embeds": [{"title": _("Listening alert")[:256], "description": text[:4000], "url": link, "color": 0xDC3545}],
        "allowed_mentions": {"parse": []},
    }


PAYLOADS = {"slack": slack_payload, "teams": teams_payload, "discord": discord_payload}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_post(*, url: str, payload: dict[str, Any], secret: str = "") -> str:
    """POST the payload; "" when the receiver accepted it, else the error (for the alert's record)."""
    from smm.lib.http import UnsafeURLError, safe_session

    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        timestamp = str(int(time.time()))
        headers["X-Smm-Timestamp"] = timestamp
        headers["X-Smm-Signature"] = sign(secret, timestamp, body)
    try:
        with safe_session(timeout=WEBHOOK_TIMEOUT, max_bytes=64 * 1024) as session:
            response = session.post(url, data=body, headers=headers, allow_redirects=False)
    except UnsafeURLError as error:
        return str(error)
    except requests.RequestException as error:
        return _("Could not connect: %(error)s") % {"error": type(error).__name__}
    if not 200 <= response.status_code < 300:
        return _("The receiver answered HTTP %(status)s.") % {"status": response.status_code}
    return ""


def rule_webhooks(rule: AlertRule) -> dict[str, str]:
    urls = {"slack": rule.slack_url, "teams": rule.teams_url, "discord": rule.discord_url}
    return {channel: url for channel, url in urls.items() if url}


def _deliver_webhooks(rule: AlertRule, text: str, link: str, channels: Iterable[str]) -> dict[str, str]:
    urls = rule_webhooks(rule)
    return {
        channel: webhook_post(url=urls[channel], payload=PAYLOADS[channel](text, link), secret=rule.webhook_secret)
        for channel in channels
        if channel in urls
    }


def alert_deliver(*, alert: Alert) -> Alert:
    """First delivery: in-app (and e-mail) to the rule's members, then every webhook."""
    from collaboration.services.notifications import notification_send

    rule = alert.rule
    workspace = rule.workspace
    path = alert_path(alert)
    deliveries: dict[str, Any] = {}
    members = list(rule.notify_members.filter(is_active=True))
    if members:
        count = notification_send(
            recipients=members,
            workspace=workspace,
            kind=Notification.Kind.LISTENING_ALERT,
            message=lambda: _summary_in(alert, workspace.timezone),
            url=path,
            email="notification" if rule.send_email else None,
        )
        deliveries["in_app"] = {"ok": True, "error": "", "attempts": 1, "count": count}
    text = _workspace_text(alert)
    link = settings.SITE_URL + path
    for channel, error in _deliver_webhooks(rule, text, link, WEBHOOK_CHANNELS).items():
        deliveries[channel] = {"ok": not error, "error": error, "attempts": 1}
    alert.deliveries = deliveries
    alert.delivery_pending = any(not entry["ok"] for entry in deliveries.values())
    alert.save(update_fields=["deliveries", "delivery_pending"])
    return alert


def alerts_retry(*, now: datetime | None = None, skip: Iterable[int] = ()) -> int:
    """Try failed webhooks again (each at most MAX_ATTEMPTS times, for RETRY_WINDOW). Returns how
    many alerts were retried."""
    now = now or timezone.now()
    pending = (
        Alert.objects.filter(delivery_pending=True, created_at__gte=now - RETRY_WINDOW)
        .exclude(pk__in=list(skip))
        .select_related("rule", "topic", "rule__workspace", "topic__workspace")
    )
    retried = 0
    for alert in pending:
        failed = [
            channel
            for channel, entry in alert.deliveries.items()
            if not entry["ok"] and entry["attempts"] < MAX_ATTEMPTS and channel in WEBHOOK_CHANNELS
        ]
        if failed:
            retried += 1
            link = settings.SITE_URL + alert_path(alert)
            text = _workspace_text(alert)
            for channel, error in _deliver_webhooks(alert.rule, text, link, failed).items():
                entry = alert.deliveries[channel]
                alert.deliveries[channel] = {"ok": not error, "error": error, "attempts": entry["attempts"] + 1}
        alert.delivery_pending = any(
            not entry["ok"] and entry["attempts"] < MAX_ATTEMPTS for entry in alert.deliveries.values()
        )
        alert.save(update_fields=["deliveries", "delivery_pending"])
    return retried


def alert_send_test(*, rule: AlertRule) -> dict[str, str]:
    """Send a test message to the rule's webhooks and members; channel -> error ("" = sent)."""
    from collaboration.services.notifications import notification_send

    text = _("Test alert from smm for the topic “%(topic)s” (rule “%(rule)s”). No action needed.") % {
        "topic": rule.topic.name,
        "rule": rule.name,
    }
    path = reverse("listening:alerts", args=[rule.workspace.slug])
    results: dict[str, str] = {}
    members = list(rule.notify_members.filter(is_active=True))
    if members:
        notification_send(
            recipients=members,
            workspace=rule.workspace,
            kind=Notification.Kind.LISTENING_ALERT,
            message=lambda: _("Test alert for the topic “%(topic)s”.") % {"topic": rule.topic.name},
            url=path,
            email="notification" if rule.send_email else None,
        )
        results["in_app"] = ""
    results.update(_deliver_webhooks(rule, text, settings.SITE_URL + path, WEBHOOK_CHANNELS))
    return results


# Rules and alerts for the pages -------------------------------------------------------------------
def rules_for_member(membership: Membership) -> QuerySet[AlertRule]:
    return AlertRule.objects.filter(workspace_id=membership.workspace_id).select_related("topic")


def alerts_for_member(membership: Membership, *, topic_id: int | None = None) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(workspace_id=membership.workspace_id).select_related(
        "topic", "rule", "acknowledged_by"
    )
    if topic_id:
        alerts = alerts.filter(topic_id=topic_id)
    return alerts


def get_rule_for_user(membership: Membership, rule_id: int, *, write: bool = False) -> AlertRule:
    rule = AlertRule.objects.filter(workspace_id=membership.workspace_id, pk=rule_id).select_related("topic").first()
    if rule is None:
        raise Http404
    if write and not membership.can_publish:
        raise PermissionDenied
    return rule


def get_alert_for_user(membership: Membership, alert_id: int, *, write: bool = False) -> Alert:
    alert = (
        Alert.objects.filter(workspace_id=membership.workspace_id, pk=alert_id)
        .select_related("topic", "rule", "acknowledged_by")
        .first()
    )
    if alert is None:
        raise Http404
    if write and not membership.can_publish:
        raise PermissionDenied
    return alert


def alert_mentions(alert: Alert) -> QuerySet[Mention]:
    return Mention.objects.filter(workspace_id=alert.workspace_id, pk__in=alert.mention_ids)


def topics_for_rules(membership: Membership) -> QuerySet[Topic]:
    return Topic.objects.filter(workspace_id=membership.workspace_id)


def members_for_rules(membership: Membership) -> QuerySet[User]:
    return User.objects.filter(memberships__workspace_id=membership.workspace_id, is_active=True).order_by("email")


AUDITED = ("name", "kind", "sensitivity", "min_mentions", "keywords", "send_email", "active")


def _webhook_hosts(rule: AlertRule) -> dict[str, str]:
    """The webhooks' hosts for the audit log (the URLs themselves are secrets)."""
    from urllib.parse import urlsplit

    return {channel: urlsplit(url).hostname or "" for channel, url in rule_webhooks(rule).items()}


def rule_save(*, membership: Membership, rule: AlertRule | None, values: dict[str, Any]) -> AlertRule:
    """Create or change a rule of the member's workspace; the members to notify must be members."""
    from smm.accounts.models import AuditEvent
    from smm.accounts.services import audit_record

    members = values.pop("notify_members", [])
    creating = rule is None
    if rule is None:
        rule = AlertRule(workspace_id=membership.workspace_id, created_by=membership.user)
        before: dict[str, Any] = {}
    else:
        before = {name: getattr(rule, name) for name in AUDITED}
        before["topic"] = rule.topic_id
    for name, value in values.items():
        setattr(rule, name, value)
    if rule.topic.workspace_id != membership.workspace_id:
        raise PermissionDenied
    rule.full_clean(exclude=["workspace", "created_by", "topic"])
    member_ids = set(
        Membership.objects.filter(workspace_id=membership.workspace_id, user__in=list(members)).values_list(
            "user_id", flat=True
        )
    )
    with transaction.atomic():
        rule.save()
        rule.notify_members.set([user for user in members if user.pk in member_ids])
        after = {name: getattr(rule, name) for name in AUDITED}
        after["topic"] = rule.topic_id
        changed = {name: after[name] for name in after if before.get(name) != after[name]}
        audit_record(
            action=AuditEvent.Action.ALERT_RULE_CREATED if creating else AuditEvent.Action.ALERT_RULE_CHANGED,
            actor=membership.user,
            workspace=membership.workspace,
            target=rule.name,
            data={**changed, "webhooks": _webhook_hosts(rule), "signed": bool(rule.webhook_secret)},
        )
    return rule


def rule_delete(*, membership: Membership, rule: AlertRule) -> None:
    from smm.accounts.models import AuditEvent
    from smm.accounts.services import audit_record

    with transaction.atomic():
        audit_record(
            action=AuditEvent.Action.ALERT_RULE_DELETED,
            actor=membership.user,
            workspace=membership.workspace,
            target=rule.name,
            data={"topic": rule.topic.name, "alerts": rule.alerts.count()},
        )
        rule.delete()


def alert_acknowledge(*, membership: Membership, alert: Alert) -> bool:
    """False when it was already acknowledged."""
    from smm.accounts.models import AuditEvent
    from smm.accounts.services import audit_record

    with transaction.atomic():
        changed = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=membership.user
        )
        if changed:
            audit_record(
                action=AuditEvent.Action.ALERT_ACKNOWLEDGED,
                actor=membership.user,
                workspace=membership.workspace,
                target=alert.rule.name,
                data={"alert": alert.pk, "bucket_start": alert.bucket_start.isoformat()},
            )
    return bool(changed)


def channel_labels() -> dict[str, str]:
    return {"in_app": _("In smm"), "slack": "Slack", "teams": "Microsoft Teams", "discord": "Discord"}
