"""Searching a workspace's mentions: filters, full text, newest first, highlights for one page.

The text box is read with ``websearch_to_tsquery`` (quotes, ``or``, ``-word``) in the three
configurations the mentions are stored with (finnish, english, simple) ORed together, so a Finnish
word finds Finnish mentions in its inflected forms ("palvelu" finds "palvelusta"), an English word
English ones, and a name or hashtag any mention. Highlights come from ``ts_headline``, computed for
the page being shown only, with private markers that are swapped for ``<mark>`` after the text is
escaped: nothing from the mention is ever HTML.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.safestring import SafeString, mark_safe

from listening.models import Mention, MentionTopic

PAGE_SIZE = 50
MAX_QUERY = 500
CONFIGS = ("finnish", "english", "simple")
_START, _STOP = "\x02", "\x03"  # never in a stored mention (the pipeline removes control characters)


def text_query(q: str) -> SearchQuery:
    """The text box as one tsquery: the websearch reading in every stored configuration, ORed."""
    q = q[:MAX_QUERY]
    combined = SearchQuery(q, config=CONFIGS[0], search_type="websearch")
    for config in CONFIGS[1:]:
        combined = combined | SearchQuery(q, config=config, search_type="websearch")
    return combined


def search(
    *,
    workspace_id: int,
    q: str = "",
    topic_id: int | None = None,
    sentiment: str = "",
    language: str = "",
    network: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Mention]:
    """The workspace's mentions that pass every given filter, newest first (`until` is exclusive)."""
    mentions = Mention.objects.filter(workspace_id=workspace_id)
    q = q.strip()
    if q:
        mentions = mentions.filter(search=text_query(q))
    if topic_id is not None:
        mentions = mentions.filter(
            Exists(MentionTopic.objects.filter(topic_id=topic_id, mention_id=OuterRef("pk"), workspace_id=workspace_id))
        )
    if sentiment:
        mentions = mentions.filter(sentiment=sentiment)
    if language:
        mentions = mentions.filter(language=language)
    if network:
        mentions = mentions.filter(network=network)
    if since is not None:
        mentions = mentions.filter(published_at__gte=since)
    if until is not None:
        mentions = mentions.filter(published_at__lt=until)
    return mentions.order_by("-published_at", "-pk")


@dataclass(frozen=True)
class Page:
    mentions: list[Mention]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page(mentions: QuerySet[Mention], number: int = 1, size: int = PAGE_SIZE) -> Page:
    """One page of a search without counting every match (one row more tells whether there is a next)."""
    number = max(1, min(number, 10_000))
    start = (number - 1) * size
    rows = list(mentions[start : start + size + 1])
    return Page(rows[:size], number, len(rows) > size)


def highlights(mentions: Sequence[Mention], q: str) -> dict[int, SafeString]:
    """Mention id → an escaped excerpt of its title and text with the matching words in <mark>."""
    q = q.strip()[:MAX_QUERY]
    if not q or not mentions:
        return {}
    options = f"StartSel={_START}, StopSel={_STOP}, MaxWords=40, MinWords=15, MaxFragments=2, FragmentDelimiter=\u2026 "
    query = " || ".join(f"websearch_to_tsquery('{config}', %s)" for config in CONFIGS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, ts_headline(CASE m.language WHEN 'fi' THEN 'finnish'::regconfig"  # noqa: S608 - constant column names and configs, values are parameters
            " WHEN 'en' THEN 'english'::regconfig ELSE 'simple'::regconfig END,"
            f" m.title || ' ' || m.text, ({query}), %s)"
            " FROM listening_mention m WHERE m.id = ANY(%s)",
            [*([q] * len(CONFIGS)), options, [mention.pk for mention in mentions]],
        )
        found = cursor.fetchall()
    return {pk: _marked(headline) for pk, headline in found}


def _marked(headline: str) -> SafeString:
    escaped = html.escape(headline.strip())
    return mark_safe(escaped.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308 - escaped above
