"""A topic's dashboard for a period against the previous period of the same length.

Everything is aggregated in PostgreSQL over the topic's MentionTopic rows (BRIN on published_at),
bucketed with ``date_trunc`` in the member's time zone: one query for the volume and sentiment
buckets (whose sums are the period's totals), one for the previous period's totals, one for share
of voice, one for sources and languages, one for the opinion leaders (and one for their community
links), and two bounded reads of texts for the themes. The number of queries does not grow with
the number of mentions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from listening.models import Mention, Source, Topic
from listening.services import themes as themes_service
from participation.models import ContactIdentity, Sentiment

PERIOD_CHOICES = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 366
HOURLY_UP_TO = timedelta(days=2)
LEADERS = 10
LEADER_ORDERS = ("reach", "engagement", "frequency")


@dataclass(frozen=True)
class Period:
    start: date  # first day, in the zone
    end: date  # last day, included
    zone: tzinfo

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.zone)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1), self.zone)

    @property
    def hourly(self) -> bool:
        return timedelta(days=self.days) <= HOURLY_UP_TO

    def buckets(self) -> list[datetime]:
        """The local (naive) start of every bucket, as date_trunc gives them."""
        step = timedelta(hours=1) if self.hourly else timedelta(days=1)
        current = datetime.combine(self.start, time.min)
        stop = datetime.combine(self.end + timedelta(days=1), time.min)
        found = []
        while current < stop:
            found.append(current)
            current += step
        return found


def last_days(days: int, *, today: date, zone: tzinfo) -> Period:
    """The last `days` days, today included."""
    return Period(today - timedelta(days=days - 1), today, zone)


@dataclass
class Totals:
    total: int = 0
    positive: int = 0
    neutral: int = 0
    negative: int = 0

    @property
    def opinionated(self) -> int:
        return self.positive + self.negative

    @property
    def positive_share(self) -> float | None:
        """Percent positive of the non-neutral mentions; None when there are none."""
        return round(100 * self.positive / self.opinionated, 1) if self.opinionated else None


@dataclass
class Dashboard:
    topic: Topic
    period: Period
    totals: Totals
    previous: Totals
    labels: list[str]
    volume: list[int]
    positive_share: list[float | None]
    sentiment_counts: dict[str, list[int]]
    goal: int | None
    share_of_voice: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    languages: list[dict[str, Any]]
    leaders: list[dict[str, Any]]
    leaders_by: str
    themes: list[themes_service.Theme] = field(default_factory=list)

    @property
    def goal_met(self) -> bool | None:
        share = self.totals.positive_share
        if self.goal is None or share is None:
            return None
        return share >= self.goal

    @property
    def change(self) -> float | None:
        """Volume change against the previous period, in percent."""
        if not self.previous.total:
            return None
        return round(100 * (self.totals.total - self.previous.total) / self.previous.total, 1)

    def chart(self) -> dict[str, Any]:
        """The numbers the charts draw (a json_script element)."""
        return {
            "labels": self.labels,
            "volume": self.volume,
            "volumeLabel": _("Mentions"),
            "positiveShare": self.positive_share,
            "shareLabel": _("Positive of non-neutral (%)"),
            "goal": self.goal,
            "goalLabel": _("Tone goal"),
            "sentiment": self.sentiment_counts,
            "sentimentLabels": {value: str(label) for value, label in Sentiment.choices},
            "voice": {
                "labels": [row["name"] for row in self.share_of_voice],
                "counts": [row["count"] for row in self.share_of_voice],
            },
        }


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _timeline(topic: Topic, period: Period) -> tuple[list[str], list[int], list[float | None], dict[str, list[int]]]:
    unit = "hour" if period.hourly else "day"
    rows = _fetch(
        "SELECT date_trunc(%s, mt.published_at AT TIME ZONE %s) AS bucket, count(*),"
        " count(*) FILTER (WHERE mt.sentiment = 'positive'),"
        " count(*) FILTER (WHERE mt.sentiment = 'neutral'),"
        " count(*) FILTER (WHERE mt.sentiment = 'negative')"
        " FROM listening_mentiontopic mt"
        " WHERE mt.topic_id = %s AND mt.published_at >= %s AND mt.published_at < %s"
        " GROUP BY bucket",
        [unit, _zone_name(period.zone), topic.pk, period.since, period.until],
    )
    by_bucket = {row[0]: row[1:] for row in rows}
    labels, volume, share = [], [], []
    counts: dict[str, list[int]] = {"positive": [], "neutral": [], "negative": []}
    for bucket in period.buckets():
        total, positive, neutral, negative = by_bucket.get(bucket, (0, 0, 0, 0))
        labels.append(bucket.strftime("%Y-%m-%d %H:00" if period.hourly else "%Y-%m-%d"))
        volume.append(total)
        counts["positive"].append(positive)
        counts["neutral"].append(neutral)
        counts["negative"].append(negative)
        share.append(round(100 * positive / (positive + negative), 1) if positive + negative else None)
    return labels, volume, share, counts


def _previous_totals(topic: Topic, period: Period) -> Totals:
    """The previous period's totals (the current period's are the sum of its buckets)."""
    previous = period.previous
    rows = _fetch(
        "SELECT count(*),"
        " count(*) FILTER (WHERE mt.sentiment = 'positive'),"
        " count(*) FILTER (WHERE mt.sentiment = 'neutral'),"
        " count(*) FILTER (WHERE mt.sentiment = 'negative')"
        " FROM listening_mentiontopic mt"
        " WHERE mt.topic_id = %s AND mt.published_at >= %s AND mt.published_at < %s",
        [topic.pk, previous.since, previous.until],
    )
    return Totals(*rows[0]) if rows else Totals()


def _share_of_voice(topic: Topic, period: Period) -> list[dict[str, Any]]:
    """This topic against the workspace's own-brand and competitor topics, by mentions in the period."""
    rivals = list(
        Topic.objects.filter(workspace_id=topic.workspace_id)
        .filter(Q(category__in=[Topic.Category.BRAND, Topic.Category.COMPETITOR]) | Q(pk=topic.pk))
        .values_list("pk", "name", "category")
    )
    counts = dict(
        _fetch(
            "SELECT mt.topic_id, count(*) FROM listening_mentiontopic mt"
            " WHERE mt.workspace_id = %s AND mt.topic_id = ANY(%s) AND mt.published_at >= %s AND mt.published_at < %s"
            " GROUP BY mt.topic_id",
            [topic.workspace_id, [pk for pk, _name, _category in rivals], period.since, period.until],
        )
    )
    total = sum(counts.values())
    rows = [
        {
            "pk": pk,
            "name": name,
            "category": Topic.Category(category).label,
            "count": counts.get(pk, 0),
            "percent": round(100 * counts.get(pk, 0) / total, 1) if total else 0.0,
            "this": pk == topic.pk,
        }
        for pk, name, category in rivals
    ]
    return sorted(rows, key=lambda row: (-row["count"], row["name"]))


def _sources_and_languages(topic: Topic, period: Period) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = _fetch(
        "SELECT GROUPING(m.language) AS by_source, m.source_id, m.network, m.language, count(*)"
        " FROM listening_mentiontopic mt JOIN listening_mention m ON m.id = mt.mention_id"
        " WHERE mt.topic_id = %s AND mt.published_at >= %s AND mt.published_at < %s"
        " GROUP BY GROUPING SETS ((m.source_id, m.network), (m.language))",
        [topic.pk, period.since, period.until],
    )
    source_rows = [row for row in rows if row[0]]
    names = dict(Source.objects.filter(pk__in=[row[1] for row in source_rows if row[1]]).values_list("pk", "name"))
    total = sum(row[4] for row in source_rows) or 1
    sources = [
        {
            "source_id": row[1],
            "name": names.get(row[1], "") or _("Other"),
            "network": row[2],
            "count": row[4],
            "percent": round(100 * row[4] / total, 1),
        }
        for row in source_rows
    ]
    languages = [
        {"language": row[3] or "", "count": row[4], "percent": round(100 * row[4] / total, 1)}
        for row in rows
        if not row[0]
    ]
    sources.sort(key=lambda row: (-row["count"], row["name"]))
    languages.sort(key=lambda row: (-row["count"], row["language"]))
    return sources, languages


_LEADER_ORDER_SQL = {
    "reach": "reach DESC NULLS LAST, engagement DESC, frequency DESC",
    "engagement": "engagement DESC, frequency DESC, reach DESC NULLS LAST",
    "frequency": "frequency DESC, engagement DESC, reach DESC NULLS LAST",
}


def _leaders(topic: Topic, period: Period, order: str) -> list[dict[str, Any]]:
    """Authors of the period's mentions ranked by reach (followers), engagement (likes + reposts +
    replies) or frequency (mentions), each with the community member who has that handle, if any."""
    rows = _fetch(
        "SELECT m.network, COALESCE(NULLIF(m.author_id, ''), m.author_handle) AS author,"  # noqa: S608 - the ORDER BY is one of three constants
        " max(m.author_handle), max(m.author_name), max(m.author_followers) AS reach,"
        " sum(m.likes + m.reposts + m.replies) AS engagement, count(*) AS frequency"
        " FROM listening_mentiontopic mt JOIN listening_mention m ON m.id = mt.mention_id"
        " WHERE mt.topic_id = %s AND mt.published_at >= %s AND mt.published_at < %s AND m.author_handle <> ''"
        f" GROUP BY m.network, author ORDER BY {_LEADER_ORDER_SQL[order]}, author LIMIT %s",
        [topic.pk, period.since, period.until, LEADERS],
    )
    leaders = [
        {
            "network": network,
            "author_id": author,
            "handle": handle,
            "name": name,
            "reach": reach,
            "engagement": int(engagement or 0),
            "frequency": frequency,
            "contact_id": None,
        }
        for network, author, handle, name, reach, engagement, frequency in rows
    ]
    if leaders:
        identities = ContactIdentity.objects.filter(workspace_id=topic.workspace_id).filter(
            Q(remote_id__in=[row["author_id"] for row in leaders]) | Q(handle__in=[row["handle"] for row in leaders])
        )
        by_id = {}
        by_handle = {}
        for network, remote_id, handle, contact_id in identities.values_list(
            "network", "remote_id", "handle", "contact_id"
        ):
            by_id[(network, remote_id)] = contact_id
            by_handle[(network, handle.lower())] = contact_id
        for row in leaders:
            row["contact_id"] = by_id.get((row["network"], row["author_id"])) or by_handle.get(
                (row["network"], row["handle"].lower())
            )
    return leaders


def _texts(topic: Topic, since: datetime, until: datetime) -> list[tuple[str, str]]:
    mentions = Mention.objects.filter(
        topic_links__topic=topic, topic_links__published_at__gte=since, topic_links__published_at__lt=until
    ).order_by("-topic_links__published_at")
    return [
        (f"{title}\n{text}" if title else text, language)
        for title, text, language in mentions.values_list("title", "text", "language")[: themes_service.SAMPLE]
    ]


def topic_themes(topic: Topic, period: Period) -> list[themes_service.Theme]:
    current = themes_service.count_themes(_texts(topic, period.since, period.until))
    previous = themes_service.count_themes(_texts(topic, period.previous.since, period.previous.until))
    return themes_service.top_themes(current, previous)


def dashboard(*, topic: Topic, period: Period, leaders_by: str = "reach") -> Dashboard:
    leaders_by = leaders_by if leaders_by in LEADER_ORDERS else "reach"
    labels, volume, share, counts = _timeline(topic, period)
    totals = Totals(sum(volume), sum(counts["positive"]), sum(counts["neutral"]), sum(counts["negative"]))
    previous = _previous_totals(topic, period)
    sources, languages = _sources_and_languages(topic, period)
    return Dashboard(
        topic=topic,
        period=period,
        totals=totals,
        previous=previous,
        labels=labels,
        volume=volume,
        positive_share=share,
        sentiment_counts=counts,
        goal=topic.tone_goal_percent,
        share_of_voice=_share_of_voice(topic, period),
        sources=sources,
        languages=languages,
        leaders=_leaders(topic, period, leaders_by),
        leaders_by=leaders_by,
        themes=topic_themes(topic, period),
    )
