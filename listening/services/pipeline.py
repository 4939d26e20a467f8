"""The ingestion pipeline: every collected item goes through ``ingest`` (docs/listening.md).

normalise → deduplicate (network id, canonical URL, near-duplicate SimHash) → language →
sentiment (a stored correction wins) → match every active topic of the workspace → store in bulk.

A batch costs a fixed number of queries whatever its size: one per dedupe kind, one for the
corrections, one for the topics, one ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING``
for the mentions (the ``search`` tsvector computed in SQL with the language's configuration) and
one for the MentionTopic rows. Callers pass batches of ~500–2,000 items; ``ingest`` splits bigger
ones.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from listening.models import ListeningSettings, Mention, MentionTopic, SentimentCorrection, Source, Topic
from listening.services import simhash as sh
from listening.services.matching import TopicMatcher
from participation.models import Sentiment
from smm.accounts.models import AuditEvent
from smm.accounts.services import audit_record
from smm.lib.textanalysis import analyse, detect_language, normalise_for_correction

if TYPE_CHECKING:
    from smm.accounts.models import User

BATCH_SIZE = 2000
TEXT_MAX = 10_000
NEAR_DUPLICATE_WINDOW = timedelta(days=7)
# Shorter texts are never near-duplicates of each other ("Kiitos!" from two people is two mentions).
NEAR_DUPLICATE_MIN_WORDS = 6
INT_MAX = 2**31 - 1

# What PostgreSQL text search configuration reads a language; anything else is 'simple'.
TS_CONFIG_SQL = (
    "CASE {col} WHEN 'fi' THEN 'finnish'::regconfig WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END"
)

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WHITESPACE_RE = re.compile(r"\s+")
_BLOCK_END_RE = re.compile(r"(?i)<\s*(?:br\s*/?|/\s*(?:p|div|li|h[1-6]|blockquote|pre|tr)\s*)>")
_TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid"}


@dataclass(frozen=True)
class RawItem:
    """One item as a source read it; only ``network``, ``remote_id`` and ``text`` or ``html`` are needed."""

    network: str
    remote_id: str
    text: str = ""
    html: str = ""
    url: str = ""
    title: str = ""
    author_id: str = ""
    author_handle: str = ""
    author_name: str = ""
    author_followers: int | None = None
    published_at: datetime | None = None
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    language: str = ""  # a hint from the network ("fi", "en-GB"); detected when empty


@dataclass
class IngestResult:
    received: int = 0
    stored: int = 0
    duplicates_id: int = 0
    duplicates_url: int = 0
    duplicates_text: int = 0
    topic_links: int = 0
    mention_ids: list[int] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.duplicates_id + self.duplicates_url + self.duplicates_text

    def add(self, other: IngestResult) -> None:
        self.received += other.received
        self.stored += other.stored
        self.duplicates_id += other.duplicates_id
        self.duplicates_url += other.duplicates_url
        self.duplicates_text += other.duplicates_text
        self.topic_links += other.topic_links
        self.mention_ids.extend(other.mention_ids)


@dataclass
class _Row:
    network: str
    remote_id: str
    url: str
    canonical_url: str
    author_id: str
    author_handle: str
    author_name: str
    author_followers: int | None
    title: str
    text: str
    language: str
    published_at: datetime
    likes: int
    reposts: int
    replies: int
    simhash: int = 0  # signed
    long_enough: bool = False
    sentiment: str = ""
    sentiment_score: float = 0.0
    sentiment_corrected: bool = False
    topics: list[int] = field(default_factory=list)


# Normalising ------------------------------------------------------------------------------------
def html_to_text(value: str) -> str:
    """Plain text of untrusted HTML: tags (and script/style content) dropped, entities decoded."""
    if not value:
        return ""
    value = _BLOCK_END_RE.sub("\n", value)
    return html_lib.unescape(nh3.clean(value, tags=set(), strip_comments=True))


def clean_text(value: str, limit: int = TEXT_MAX) -> str:
    """NFC, control characters and NUL bytes removed, whitespace collapsed, capped at `limit`."""
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value)
    value = _CONTROL_RE.sub(" ", value)
    return _WHITESPACE_RE.sub(" ", value).strip()[:limit]


def canonical_url(url: str) -> str:
    """The URL as a dedupe key: http(s) only, lower-case host, no default port, no fragment, no
    utm_*/fbclid/gclid parameters, no trailing slash. "" for anything that is not a web URL."""
    url = clean_text(url, 2000)
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not host:
        return ""
    if port and not (scheme == "http" and port == 80 or scheme == "https" and port == 443):
        host = f"{host}:{port}"
    query = urlencode(
        [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if not key.lower().startswith("utm_") and key.lower() not in _TRACKING_PARAMS
        ]
    )
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, host, path, query, ""))[:2000]


def _count(value: Any) -> int:
    try:
        return max(0, min(int(value or 0), INT_MAX))
    except (TypeError, ValueError):
        return 0


def _language_hint(value: str) -> str:
    return clean_text(value, 20).lower().replace("_", "-").partition("-")[0][:8]


def normalise(item: RawItem, *, now: datetime) -> _Row | None:
    """The item cleaned, or None when nothing is left to store (no id, no text)."""
    text = clean_text(html_to_text(item.html) if item.html and not item.text else item.text)
    title = clean_text(html_to_text(item.title) if "<" in (item.title or "") else item.title, 500)
    remote_id = clean_text(item.remote_id, 500)
    network = clean_text(item.network, 20).lower()
    if not remote_id or not network or not (text or title):
        return None
    published = item.published_at or now
    if timezone.is_naive(published):
        published = published.replace(tzinfo=UTC)
    url = clean_text(item.url, 2000)
    canonical = canonical_url(url)
    followers = item.author_followers
    return _Row(
        network=network,
        remote_id=remote_id,
        url=url if canonical else "",
        canonical_url=canonical,
        author_id=clean_text(item.author_id, 300),
        author_handle=clean_text(item.author_handle, 300),
        author_name=clean_text(item.author_name, 200),
        author_followers=None if followers is None else _count(followers),
        title=title,
        text=text,
        language=_language_hint(item.language),
        published_at=published,
        likes=_count(item.likes),
        reposts=_count(item.reposts),
        replies=_count(item.replies),
    )


# The pipeline -----------------------------------------------------------------------------------
def ingest(*, workspace_id: int, source: Source | None, items: Sequence[RawItem]) -> IngestResult:
    """Run `items` through the pipeline into the workspace's mentions; duplicates are counted, not stored."""
    result = IngestResult()
    matcher = topic_matcher(workspace_id)
    for start in range(0, len(items), BATCH_SIZE):
        result.add(
            _ingest_batch(
                workspace_id=workspace_id,
                source_id=source.pk if source else None,
                items=items[start : start + BATCH_SIZE],
                matcher=matcher,
            )
        )
    return result


_MATCHERS: dict[int, tuple[tuple[Any, ...], TopicMatcher]] = {}
_MATCHERS_MAX = 64


def topic_matcher(workspace_id: int) -> TopicMatcher:
    """The workspace's active topics compiled; kept between batches until a topic is added, changed
    or deleted (one small aggregate query tells)."""
    topics = Topic.objects.filter(workspace_id=workspace_id, active=True)
    signature = tuple(topics.aggregate(n=Count("pk"), changed=Max("updated_at"), last=Max("pk")).values())
    cached = _MATCHERS.get(workspace_id)
    if cached is not None and cached[0] == signature:
        return cached[1]
    matcher = TopicMatcher(topics)
    if len(_MATCHERS) >= _MATCHERS_MAX:
        _MATCHERS.pop(next(iter(_MATCHERS)))
    _MATCHERS[workspace_id] = (signature, matcher)
    return matcher


def _ingest_batch(
    *, workspace_id: int, source_id: int | None, items: Sequence[RawItem], matcher: TopicMatcher
) -> IngestResult:
    result = IngestResult(received=len(items))
    now = timezone.now()
    rows = [row for row in (normalise(item, now=now) for item in items) if row is not None]
    result.duplicates_id += len(items) - len(rows)  # nothing to store counts as a duplicate of nothing
    rows = _drop_duplicates(workspace_id, rows, result)
    _analyse(workspace_id, rows)
    for row in rows:
        row.topics = matcher.match(row.title, row.text, row.author_handle, row.language)
    with transaction.atomic():
        stored = _store(workspace_id, source_id, rows)
        result.stored = len(stored)
        result.mention_ids = [pk for pk, _row in stored]
        result.duplicates_id += len(rows) - len(stored)  # lost a race with another ingest
        result.topic_links = _store_topic_links(workspace_id, stored)
    return result


def _drop_duplicates(workspace_id: int, rows: list[_Row], result: IngestResult) -> list[_Row]:
    if not rows:
        return rows
    # 1. The same (network, remote id): in the batch, or already stored. Every look-up below is
    # written as one index probe per key of the batch (unnest + a LATERAL subquery, which the planner
    # cannot turn into a hash join over the whole workspace), so its plan does not depend on the
    # table's statistics being fresh during a bulk load (stale ones made each look-up read every
    # row of the workspace: 0.5 s a batch at 300,000 mentions).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.network, u.remote_id FROM unnest(%s::text[], %s::text[]) AS u(network, remote_id)"
            " CROSS JOIN LATERAL (SELECT 1 FROM listening_mention m WHERE m.workspace_id = %s"
            " AND m.network = u.network AND m.remote_id = u.remote_id LIMIT 1) AS found",
            [[row.network for row in rows], [row.remote_id for row in rows], workspace_id],
        )
        seen_ids = set(cursor.fetchall())
    kept: list[_Row] = []
    for row in rows:
        key = (row.network, row.remote_id)
        if key in seen_ids:
            result.duplicates_id += 1
            continue
        seen_ids.add(key)
        kept.append(row)
    # 2. The same canonical URL.
    urls = [row.canonical_url for row in kept if row.canonical_url]
    seen_urls: set[str] = set()
    if urls:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT u.url FROM unnest(%s::text[]) AS u(url) CROSS JOIN LATERAL (SELECT 1 FROM listening_mention m"
                " WHERE m.workspace_id = %s AND m.canonical_url = u.url LIMIT 1) AS found",
                [sorted(set(urls)), workspace_id],
            )
            seen_urls = {url for (url,) in cursor.fetchall()}
    rows, kept = kept, []
    for row in rows:
        if row.canonical_url:
            if row.canonical_url in seen_urls:
                result.duplicates_url += 1
                continue
            seen_urls.add(row.canonical_url)
        kept.append(row)
    # 3. Near-duplicate text: SimHash within distance 3 of a mention of the last 7 days.
    for row in kept:
        tokens = sh.words(f"{row.title} {row.text}")
        row.long_enough = len(tokens) >= NEAR_DUPLICATE_MIN_WORDS
        if row.long_enough:
            row.simhash = sh.to_signed(sh.simhash(f"{row.title} {row.text}"))
    candidates = [row for row in kept if row.long_enough]
    if not candidates:
        return kept
    index = sh.BandIndex(_recent_hashes(workspace_id, candidates))
    rows, kept = kept, []
    for row in rows:
        if row.long_enough:
            if index.near(row.simhash) is not None:
                result.duplicates_text += 1
                continue
            index.add(row.simhash)
        kept.append(row)
    return kept


def _recent_hashes(workspace_id: int, rows: list[_Row]) -> list[int]:
    """Stored hashes of the window that share a band with one of `rows` (expression indexes, 0002)."""
    since = min(row.published_at for row in rows) - NEAR_DUPLICATE_WINDOW
    columns: list[list[int]] = [[] for _ in range(sh.BANDS)]
    for row in rows:
        for band, key in enumerate(sh.bands(row.simhash)):
            columns[band].append(key)
    probes = " UNION ".join(
        "SELECT found.simhash FROM unnest(%s::bigint[]) AS k(key) CROSS JOIN LATERAL"  # noqa: S608 - numbers
        " (SELECT m.simhash FROM listening_mention m WHERE m.workspace_id = %s"
        f" AND ((m.simhash >> {sh.BAND_BITS * band}) & {sh.BAND_MASK}) = k.key"
        " AND m.simhash <> 0 AND m.published_at >= %s OFFSET 0) AS found"
        for band in range(sh.BANDS)
    )
    params: list[Any] = []
    for column in columns:
        params.extend([sorted(set(column)), workspace_id, since])
    with connection.cursor() as cursor:
        cursor.execute(probes, params)
        return [value for (value,) in cursor.fetchall()]


def _analyse(workspace_id: int, rows: list[_Row]) -> None:
    """Language (the hint, else detected) and sentiment (a stored correction for the same text wins)."""
    backend = getattr(settings, "SENTIMENT_BACKEND", "lexicon")
    keys: list[str] = []
    for row in rows:
        body = f"{row.title}\n{row.text}" if row.title else row.text
        if not row.language:
            row.language = detect_language(body)[:8]
        keys.append(normalise_for_correction(body))
    corrections: dict[str, str] = {}
    if rows:
        for text, to in (
            SentimentCorrection.objects.filter(workspace_id=workspace_id, normalised_text__in=set(keys) - {""})
            .order_by("created_at", "pk")
            .values_list("normalised_text", "to_sentiment")
        ):
            corrections[text] = to  # the newest correction wins
    for row, key in zip(rows, keys, strict=True):
        if key in corrections:
            row.sentiment, row.sentiment_score, row.sentiment_corrected = corrections[key], 0.0, True
        else:
            body = f"{row.title}\n{row.text}" if row.title else row.text
            sentiment = analyse(body, row.language, backend=backend)
            row.sentiment, row.sentiment_score = sentiment.label, float(sentiment.score)


_COLUMNS = (
    ("network", "text"),
    ("remote_id", "text"),
    ("url", "text"),
    ("canonical_url", "text"),
    ("author_id", "text"),
    ("author_handle", "text"),
    ("author_name", "text"),
    ("author_followers", "int"),
    ("title", "text"),
    ("text", "text"),
    ("language", "text"),
    ("sentiment", "text"),
    ("sentiment_score", "float8"),
    ("sentiment_corrected", "bool"),
    ("likes", "int"),
    ("reposts", "int"),
    ("replies", "int"),
    ("simhash", "bigint"),
    ("published_at", "timestamptz"),
)
_INSERT_SQL = (  # noqa: S608 - constant column names and configs, values are parameters
    "INSERT INTO listening_mention (workspace_id, source_id, collected_at, search, {names})"
    " SELECT %s, %s, %s, to_tsvector({config}, t.title || ' ' || t.text), {names}"
    " FROM unnest({arrays}) AS t({names})"
    " ON CONFLICT (workspace_id, network, remote_id) DO NOTHING"
    " RETURNING id, network, remote_id"
).format(
    names=", ".join(name for name, _type in _COLUMNS),
    config=TS_CONFIG_SQL.format(col="t.language"),
    arrays=", ".join(f"%s::{kind}[]" for _name, kind in _COLUMNS),
)


def _store(workspace_id: int, source_id: int | None, rows: list[_Row]) -> list[tuple[int, _Row]]:
    if not rows:
        return []
    arrays = [[getattr(row, name) for row in rows] for name, _kind in _COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, [workspace_id, source_id, timezone.now(), *arrays])
        inserted = {(network, remote_id): pk for pk, network, remote_id in cursor.fetchall()}
    by_key = {(row.network, row.remote_id): row for row in rows}
    return [(pk, by_key[key]) for key, pk in inserted.items()]


def _store_topic_links(workspace_id: int, stored: list[tuple[int, _Row]]) -> int:
    mention_ids: list[int] = []
    topic_ids: list[int] = []
    published: list[datetime] = []
    sentiments: list[str] = []
    for pk, row in stored:
        for topic_id in row.topics:
            mention_ids.append(pk)
            topic_ids.append(topic_id)
            published.append(row.published_at)
            sentiments.append(row.sentiment)
    if not mention_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO listening_mentiontopic (workspace_id, mention_id, topic_id, published_at, sentiment)"
            " SELECT %s, * FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::text[])"
            " ON CONFLICT (topic_id, mention_id) DO NOTHING",
            [workspace_id, mention_ids, topic_ids, published, sentiments],
        )
        return cursor.rowcount


# Corrections -----------------------------------------------------------------------------------
def correct_sentiment(*, mention: Mention, to: str, user: User) -> SentimentCorrection:
    """A member's correction: kept (and used for the same text later), applied to the mention and its
    topic links, audited."""
    if to not in Sentiment.values:
        raise ValidationError({"sentiment": _("Choose positive, neutral or negative.")})
    body = f"{mention.title}\n{mention.text}" if mention.title else mention.text
    with transaction.atomic():
        correction = SentimentCorrection(
            workspace_id=mention.workspace_id,
            mention=mention,
            normalised_text=normalise_for_correction(body),
            language=mention.language,
            from_sentiment=mention.sentiment,
            to_sentiment=to,
            corrected_by=user,
        )
        # A text that is only a link normalises to "": kept for the record, never looked up.
        correction.full_clean(exclude=None if correction.normalised_text else ["normalised_text"])
        correction.save()
        mention.sentiment = to
        mention.sentiment_corrected = True
        mention.save(update_fields=["sentiment", "sentiment_corrected"])
        MentionTopic.objects.filter(mention=mention).update(sentiment=to)
        audit_record(
            action=AuditEvent.Action.MENTION_SENTIMENT_CORRECTED,
            actor=user,
            workspace=mention.workspace,
            target=f"mention:{mention.pk}",
            data={"from": correction.from_sentiment, "to": to},
        )
    return correction


# Retention -------------------------------------------------------------------------------------
def retention_purge(*, workspace_id: int, now: datetime | None = None, chunk: int = 10_000) -> int:
    """Delete the workspace's mentions published before its retention window; the number deleted."""
    days = ListeningSettings.retention_days_for(workspace_id)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted = 0
    while True:
        ids = list(
            Mention.objects.filter(workspace_id=workspace_id, published_at__lt=cutoff).values_list("pk", flat=True)[
                :chunk
            ]
        )
        if not ids:
            return deleted
        with transaction.atomic():
            MentionTopic.objects.filter(mention_id__in=ids).delete()
            SentimentCorrection.objects.filter(mention_id__in=ids).update(mention=None)
            Mention.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
