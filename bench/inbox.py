"""Is the inbox list fast with 200,000 items? The real view, middleware and templates, timed in-process.

    .venv/bin/python bench/inbox.py [--items 200000] [--small 2000] [--runs 30] [--explain] [--keep]

Two workspaces in one database: a big one (200,000 inbox items) and a small one (2,000), each with
four connected accounts (Mastodon and Bluesky), contacts, tags, six members and items grouped into
conversations as the collector leaves them (comment threads on our posts, mentions, DM threads,
quotes and reposts; statuses, assignees, tags and sentiments over six months). A member signed in
with django.test.Client asks for the inbox list:

  first page      no filters (the default: not closed, without reposts and spam)
  htmx refresh    the same, as the page's 60-second htmx poll asks for it (the rows only)
  filtered        account + status + tag + sentiment + the last 90 days
  page 50         no filters, the 50th page (the last page where there are fewer)
  any status      every conversation, closed ones too (the count goes over all of them)
  search, common  the text box (subject or any item's text contains it): a word in 1 item of 16
  search, rare    a word in 1 item of 500, any status

Server time is the test client's request, from the middleware to the rendered page, after warm-up.
The SQL queries of one request are counted for both workspaces: the count must not grow with the
data. Targets: p95 <= 100 ms at 200,000 items; the same number of queries at 2,000 and 200,000.

The database: a new database `smm_bench_inbox_<pid>` on DATABASE_URL's server (else the embedded
PostgreSQL), migrated, filled with INSERT ... SELECT generate_series (10-20 s for 200,000 items)
and dropped at the end (--keep leaves it, to look at plans with psql). See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BIG_ITEMS = 200_000
SMALL_ITEMS = 2_000
RUNS = 30
WARM_UP = 5
TARGET_MS = 100.0
DAYS = 180  # the items' dates spread over the last six months
SEED = 0.42

# What customers write (the search looks for one of these words).
PHRASES = [
    "Is the shop open on Sunday?",
    "My order has not arrived yet, can you check?",
    "Love the new autumn collection!",
    "I would like a refund for my last order",
    "Where can I find the size guide?",
    "Great service at the Tampere store today",
    "The app crashes when I log in",
    "Do you ship to Sweden and Norway?",
    "The discount code does not work at checkout",
    "Can I change the delivery address of my order?",
    "Thanks for the quick answer",
    "Why was my comment removed?",
    "When is the next sale?",
    "The invoice shows the wrong amount",
    "Is this jacket available in size XL?",
    "Your customer service is terrible",
]
SEARCH_WORD = "invoice"  # in one customer item of 16
RARE_PHRASE = "Does the warranty cover a broken zipper?"  # one in 500
RARE_WORD = "warranty"
OUR_REPLIES = [
    "Thanks for writing! We will look into it and get back to you.",
    "Sorry about that: could you send us your order number in a direct message?",
    "Happy to hear that!",
]
TAGS = ["complaint", "delivery", "feedback", "lead", "order", "praise", "question", "returns"]


from benchdb import bench_database  # noqa: E402  (bench/ is the script's folder)


# Data --------------------------------------------------------------------------------------------
@dataclass
class Bench:
    """One workspace and the query strings of its scenarios."""

    workspace: Any
    scenarios: dict[str, dict[str, str]] = field(default_factory=dict)


def populate(*, name: str, items: int, agent: Any) -> Bench:
    """A workspace with `items` inbox items: accounts, members and tags with the ORM, the rest in SQL."""
    from django.db import connection, transaction

    from participation.models import InboxTag, InboxView, ResponseTargets
    from smm.accounts.models import Membership
    from smm.networks.models import ConnectedAccount
    from tests.factories import make_member, make_workspace

    workspace = make_workspace(name)
    short = workspace.slug
    Membership.objects.create(workspace=workspace, user=agent, role=Membership.Role.EDITOR)
    others = [make_member(workspace, Membership.Role.EDITOR, f"agent{n}@{short}.example") for n in range(4)]
    accounts = ConnectedAccount.objects.bulk_create(
        [
            ConnectedAccount(workspace=workspace, network=network, handle=handle)
            for network, handle in (
                ("mastodon", f"@{short}@mastodon.example"),
                ("mastodon", f"@{short}_help@mastodon.example"),
                ("bluesky", f"{short}.example.com"),
                ("bluesky", f"help.{short}.example.com"),
            )
        ]
    )
    tags = InboxTag.objects.bulk_create([InboxTag(workspace=workspace, name=tag) for tag in TAGS])
    ResponseTargets.objects.create(workspace=workspace, first_response_minutes=120)
    InboxView.objects.bulk_create(
        [
            InboxView(workspace=workspace, name="Mine", query="assignee=me", position=1),
            InboxView(workspace=workspace, name="Negative", query="sentiment=negative", position=2),
            InboxView(workspace=workspace, owner=agent, name="Complaints", query=f"tag={tags[0].pk}", position=3),
        ]
    )
    params = {
        "workspace": workspace.pk,
        "items": items,
        # ~5.5 items a conversation on average; the plan takes a few more and cuts at `items`.
        "plan": items // 4 + 10,
        "contacts": max(50, items // 12),
        "accounts": [account.pk for account in accounts],
        "networks": [account.network for account in accounts],
        "handles": [account.handle for account in accounts],
        "members": [agent.pk, *(other.user_id for other in others)],
        "tags": [tag.pk for tag in tags],
        "phrases": PHRASES,
        "rare": RARE_PHRASE,
        "ours": OUR_REPLIES,
        "days": DAYS,
        "seed": SEED,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in FILL_SQL:
            cursor.execute(statement, params)
    return Bench(workspace)


# One transaction; %(name)s are the parameters above. random() after setseed() makes the data the
# same on every run. Ids come from the tables' own sequences, so rows added later do not collide.
FILL_SQL = [
    "SELECT setseed(%(seed)s)",
    # Contacts, each with one identity on one of the two networks.
    """
    CREATE TEMP TABLE bench_contact ON COMMIT DROP AS
    SELECT n, nextval(pg_get_serial_sequence('participation_contact', 'id')) AS id,
           nextval(pg_get_serial_sequence('participation_contactidentity', 'id')) AS identity_id,
           CASE WHEN n %% 2 = 0 THEN 'mastodon' ELSE 'bluesky' END AS network,
           CASE WHEN n %% 2 = 0 THEN '@customer' || n || '@social.example'
                ELSE 'customer' || n || '.bsky.social' END AS handle,
           'Customer ' || n AS name
    FROM generate_series(1, %(contacts)s) AS n
    """,
    """
    INSERT INTO participation_contact (id, workspace_id, display_name, note, blocked, created_at, last_seen_at, score)
    SELECT id, %(workspace)s, name, '', false, now() - make_interval(days => %(days)s + 10),
           now() - random() * make_interval(days => %(days)s), 0
    FROM bench_contact
    """,
    """
    INSERT INTO participation_contactidentity (id, workspace_id, contact_id, network, remote_id, handle,
        display_name, profile_url, avatar_url, previous_handles, first_seen_at, last_seen_at)
    SELECT identity_id, %(workspace)s, id, network, 'remote-' || n, handle, name, '', '', '[]'::jsonb,
           now() - make_interval(days => %(days)s + 10), now()
    FROM bench_contact
    """,
    # The conversations' plan: kind, account, contact, start, planned number of items, randoms.
    """
    CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
    SELECT n, nextval(pg_get_serial_sequence('participation_conversation', 'id')) AS id, kind,
           1 + floor(r_account * r_account * array_length(%(accounts)s::bigint[], 1))::int AS account_index,
           CASE WHEN r_contact < 0.05 THEN NULL ELSE 1 + floor(r_contact * %(contacts)s)::int END AS contact_n,
           start,
           CASE kind WHEN 'thread' THEN interval '2 days' WHEN 'mention' THEN interval '3 hours'
                     WHEN 'direct' THEN interval '3 days' ELSE interval '1 day' END AS span,
           CASE kind WHEN 'thread' THEN 1 + floor(r_items * 20) WHEN 'mention' THEN 1 + floor(r_items * 2)
                     WHEN 'direct' THEN 2 + floor(r_items * 8) ELSE 1 + floor(r_items * 3) END::int AS planned,
           r_status, r_assignee, r_priority, r_sentiment, r_spam, r_tag1, r_tag2, r_subject
    FROM (
        SELECT n, random() AS r_account, random() AS r_contact, random() AS r_items, random() AS r_status,
               random() AS r_assignee, random() AS r_priority, random() AS r_sentiment, random() AS r_spam,
               random() AS r_tag1, random() AS r_tag2, random() AS r_subject,
               CASE WHEN r_kind < 0.35 THEN 'thread' WHEN r_kind < 0.65 THEN 'mention'
                    WHEN r_kind < 0.85 THEN 'direct' ELSE 'share' END AS kind,
               date_trunc('second', now() - r_start * make_interval(days => %(days)s)) AS start
        FROM (SELECT n, random() AS r_kind, random() AS r_start FROM generate_series(1, %(plan)s) AS n) AS g
    ) AS r
    """,
    "ALTER TABLE bench_plan ADD COLUMN first_item bigint",
    """
    UPDATE bench_plan SET first_item = s.first_item
    FROM (SELECT n, sum(planned) OVER (ORDER BY n) - planned AS first_item FROM bench_plan) AS s
    WHERE s.n = bench_plan.n
    """,
    "DELETE FROM bench_plan WHERE first_item >= %(items)s",
    # Items: exactly %(items)s, numbered i; the first of a conversation is the customer's.
    """
    CREATE TEMP TABLE bench_item ON COMMIT DROP AS
    SELECT p.first_item + k AS i, p.id AS conversation_id, p.kind AS conversation_kind, k,
           (%(accounts)s::bigint[])[p.account_index] AS account_id,
           CASE WHEN p.kind = 'thread' AND k > 1 AND p.contact_n IS NOT NULL
                THEN 1 + floor(random() * %(contacts)s)::int ELSE p.contact_n END AS contact_n,
           CASE p.kind
               WHEN 'thread' THEN CASE WHEN k = 1 THEN 'comment' WHEN r < 0.55 THEN 'comment'
                                       WHEN r < 0.8 THEN 'reply' ELSE 'ours' END
               WHEN 'mention' THEN CASE WHEN k = 1 THEN 'mention' WHEN r < 0.6 THEN 'reply' ELSE 'ours' END
               WHEN 'direct' THEN CASE WHEN k = 1 OR r < 0.65 THEN 'direct' ELSE 'ours' END
               ELSE CASE WHEN r < 0.3 THEN 'quote' WHEN r < 0.8 THEN 'repost' ELSE 'like' END
           END AS kind,
           LEAST(now(), p.start + p.span * ((k - 1)::float / p.planned) + random() * interval '20 minutes')
               AS created_at,
           random() AS r_text, random() AS r_sentiment, random() AS r_rare
    FROM bench_plan AS p
    CROSS JOIN LATERAL generate_series(1, LEAST(p.planned, %(items)s - p.first_item)::int) AS k
    CROSS JOIN LATERAL (SELECT random() + 0 * k AS r) AS rr
    """,
    # Conversations, with the timers and counters the collector keeps; old ones are mostly closed.
    """
    INSERT INTO participation_conversation (id, workspace_id, account_id, kind, root_remote_id, root_url,
        subject, contact_id, status, assignee_id, priority, sentiment, spam, lower_priority, item_count,
        first_item_at, first_response_at, first_responder_id, waiting_since, resolved_at, breach_notified_at,
        last_activity_at, created_at)
    SELECT p.id, %(workspace)s, (%(accounts)s::bigint[])[p.account_index], p.kind, 'root-' || p.n, '',
           (%(phrases)s::text[])[1 + floor(p.r_subject * array_length(%(phrases)s::text[], 1))::int]
               || ' (' || p.n || ')',
           c.id, s.status,
           CASE WHEN p.r_assignee < 0.4 THEN NULL
                ELSE (%(members)s::bigint[])[1 + floor((p.r_assignee - 0.4) / 0.6
                                                       * array_length(%(members)s::bigint[], 1))::int] END,
           CASE WHEN p.r_priority < 0.1 THEN 2 WHEN p.r_priority < 0.2 THEN 0 ELSE 1 END,
           CASE WHEN p.r_sentiment < 0.2 THEN '' WHEN p.r_sentiment < 0.65 THEN 'neutral'
                WHEN p.r_sentiment < 0.85 THEN 'positive' ELSE 'negative' END,
           p.r_spam < 0.02, p.kind = 'share' AND p.r_spam > 0.4, a.item_count,
           a.first_theirs, a.first_ours,
           CASE WHEN a.first_ours IS NOT NULL THEN (%(members)s::bigint[])[1 + p.n %% 5] END,
           CASE WHEN s.status IN ('new', 'open') THEN a.last_theirs END,
           CASE WHEN s.status = 'closed' THEN a.last_at + interval '1 hour' END,
           NULL, a.last_at, p.start
    FROM bench_plan AS p
    JOIN (
        SELECT conversation_id, count(*) AS item_count, max(created_at) AS last_at,
               min(created_at) FILTER (WHERE kind <> 'ours') AS first_theirs,
               max(created_at) FILTER (WHERE kind <> 'ours') AS last_theirs,
               min(created_at) FILTER (WHERE kind = 'ours') AS first_ours
        FROM bench_item GROUP BY conversation_id
    ) AS a ON a.conversation_id = p.id
    LEFT JOIN bench_contact AS c ON c.n = p.contact_n
    CROSS JOIN LATERAL (
        SELECT CASE
            WHEN a.last_at < now() - interval '14 days' THEN
                CASE WHEN p.r_status < 0.92 THEN 'closed' WHEN p.r_status < 0.96 THEN 'waiting' ELSE 'open' END
            WHEN p.r_status < 0.35 THEN 'new' WHEN p.r_status < 0.65 THEN 'open'
            WHEN p.r_status < 0.8 THEN 'waiting' ELSE 'closed' END AS status
    ) AS s
    ORDER BY p.n
    """,
    """
    INSERT INTO participation_inboxitem (workspace_id, account_id, conversation_id, kind, remote_id,
        parent_remote_id, url, identity_id, contact_id, author_handle, author_name, text, html, language,
        sentiment, sentiment_score, created_at, collected_at, hidden, deleted, sent_by_id)
    SELECT %(workspace)s, i.account_id, i.conversation_id, i.kind, 'item-' || i.i,
           CASE WHEN i.k > 1 THEN 'item-' || (i.i - 1) ELSE '' END, '',
           CASE WHEN i.kind <> 'ours' THEN c.identity_id END,
           CASE WHEN i.kind <> 'ours' THEN c.id END,
           CASE WHEN i.kind = 'ours' THEN (%(handles)s::text[])[array_position(%(accounts)s::bigint[], i.account_id)]
                ELSE coalesce(c.handle, '@someone@social.example') END,
           CASE WHEN i.kind = 'ours' THEN '' ELSE coalesce(c.name, 'Someone') END,
           t.text, '<p>' || t.text || '</p>', CASE WHEN i.i %% 3 = 0 THEN 'fi' ELSE 'en' END,
           CASE WHEN i.kind = 'ours' THEN '' WHEN i.r_sentiment < 0.5 THEN 'neutral'
                WHEN i.r_sentiment < 0.8 THEN 'positive' ELSE 'negative' END,
           CASE WHEN i.kind = 'ours' THEN NULL ELSE round((i.r_sentiment * 2 - 1)::numeric, 3) END,
           i.created_at, i.created_at + interval '1 minute', false, false,
           CASE WHEN i.kind = 'ours' THEN (%(members)s::bigint[])[1 + i.i %% 5] END
    FROM bench_item AS i
    LEFT JOIN bench_contact AS c ON c.n = i.contact_n
    CROSS JOIN LATERAL (
        SELECT CASE WHEN i.kind = 'ours'
                    THEN (%(ours)s::text[])[1 + floor(i.r_text * array_length(%(ours)s::text[], 1))::int]
                    WHEN i.r_rare < 0.002 THEN %(rare)s || ' #' || i.i
                    ELSE (%(phrases)s::text[])[1 + floor(i.r_text * array_length(%(phrases)s::text[], 1))::int]
                         || ' #' || i.i END AS text
    ) AS t
    ORDER BY i.i
    """,
    # Tags: half the conversations have one, some a second.
    """
    INSERT INTO participation_conversation_tags (conversation_id, inboxtag_id)
    SELECT id, (%(tags)s::bigint[])[1 + floor(r_tag1 / 0.5 * array_length(%(tags)s::bigint[], 1))::int]
    FROM bench_plan WHERE r_tag1 < 0.5
    UNION
    SELECT id, (%(tags)s::bigint[])[1 + floor(r_tag2 / 0.15 * array_length(%(tags)s::bigint[], 1))::int]
    FROM bench_plan WHERE r_tag2 < 0.15
    """,
]


def choose_scenarios(bench: Bench) -> None:
    """The same filters for both workspaces, with values taken from each one's own data.

    The filtered page uses the account, status, tag and sentiment shared by the most not-closed
    conversations of the last 90 days, so that the page is not empty in either workspace (an empty
    page skips the rows' queries, and the comparison of query counts would mean nothing)."""
    from django.db import connection
    from django.utils import timezone

    today = timezone.localdate()
    since = today - timedelta(days=90)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.account_id, c.status, t.inboxtag_id, c.sentiment, count(*)
            FROM participation_conversation AS c
            JOIN participation_conversation_tags AS t ON t.conversation_id = c.id
            WHERE c.workspace_id = %s AND c.status <> 'closed' AND c.sentiment <> ''
              AND NOT c.spam AND NOT c.lower_priority AND c.last_activity_at >= %s
            GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC, 1, 2, 3, 4 LIMIT 1
            """,
            [bench.workspace.pk, since],
        )
        row = cursor.fetchone()
    if row is None:
        raise SystemExit(f"{bench.workspace.name}: no tagged open conversation to filter on; use more items")
    account_id, status, tag_id, sentiment, _count = row
    bench.scenarios = {
        "first page": {},
        "htmx refresh": {},
        "filtered": {
            "account": str(account_id),
            "status": status,
            "tag": str(tag_id),
            "sentiment": sentiment,
            "date_from": since.isoformat(),
            "date_to": today.isoformat(),
        },
        "page 50": {"page": "50"},
        "any status": {"status": "all"},
        "search, common": {"q": SEARCH_WORD},
        "search, rare": {"q": RARE_WORD, "status": "all"},
    }


# Measuring -----------------------------------------------------------------------------------------
@dataclass
class Result:
    scenario: str
    times: list[float]  # ms per request, the big workspace
    cpu: list[float]  # ms of this process's CPU time per request (PostgreSQL's is not in it)
    sql: list[float]  # ms of the requests' time spent in SQL (sent, executed, read back)
    queries_small: int
    queries_big: int
    rows: int
    pages: str

    def row(self) -> str:
        ordered = sorted(self.times)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        met = p95 <= TARGET_MS and self.queries_big == self.queries_small
        return (
            f"{self.scenario:<14} {statistics.median(ordered):>7.1f} {p95:>7.1f} {ordered[-1]:>7.1f} "
            f"{statistics.median(self.cpu):>8.1f} {statistics.median(self.sql):>8.1f}   "
            f"{self.queries_small:>7} {self.queries_big:>7}   "
            f"{self.rows:>4} {self.pages:>8}   {'yes' if met else 'NO'}"
        )


def header(small: int, big: int) -> str:
    def size(items: int) -> str:
        return f"{items / 1000:g}k"

    return (
        f"{'inbox list':<14} {'p50':>7} {'p95':>7} {'max':>7} {'CPU p50':>8} {'SQL p50':>8}   "
        f"{'queries':>7} {'queries':>7}   {'rows':>4} {'page':>8}   met\n"
        f"{'(' + size(big) + ', ms)':<14} {'':>7} {'':>7} {'':>7} {'':>8} {'':>8}   {size(small):>7} {size(big):>7}"
    )


def request(client: Any, bench: Bench, scenario: str) -> Any:
    from django.urls import reverse

    url = reverse("participation:inbox", args=[bench.workspace.slug])
    headers = {"HX-Request": "true"} if scenario == "htmx refresh" else {}
    response = client.get(url, bench.scenarios[scenario], headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"{scenario}: HTTP {response.status_code}")
    return response


def count_queries(client: Any, bench: Bench, scenario: str) -> tuple[int, list[dict[str, str]], Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = request(client, bench, scenario)
    return len(captured), list(captured.captured_queries), response


def timed(client: Any, bench: Bench, scenario: str, runs: int) -> tuple[list[float], list[float], list[float]]:
    """Milliseconds per request after the warm-up: wall clock, this process's CPU, in SQL."""
    from django.db import connection

    sql = [0.0]

    def clock(execute: Any, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(*args)
        finally:
            sql[0] += time.perf_counter() - started

    for _n in range(WARM_UP):
        request(client, bench, scenario)
    times, cpu_times, sql_times = [], [], []
    with connection.execute_wrapper(clock):
        for _n in range(runs):
            sql[0] = 0.0
            started, cpu = time.perf_counter(), time.process_time()
            request(client, bench, scenario)
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
            sql_times.append(sql[0] * 1000)
    return times, cpu_times, sql_times


def explain(queries: Sequence[dict[str, str]], top: int) -> None:
    """EXPLAIN ANALYZE the slowest of one request's queries (their SQL as sent, parameters filled in)."""
    from django.db import connection

    slowest = sorted(queries, key=lambda query: float(query["time"]), reverse=True)[:top]
    with connection.cursor() as cursor:
        for query in slowest:
            print(f"    -- {float(query['time']) * 1000:.1f} ms: {query['sql'][:300]}")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            for (line,) in cursor.fetchall():
                print(f"       {line}")


def page_label(response: Any) -> tuple[int, str]:
    """The rows shown and "page/pages", read from the HTML (the test client's context needs the test
    environment's instrumented templates, which would add to the times)."""
    html = response.content.decode()
    pages = re.search(r"Page (\d+) of (\d+)", html)
    return html.count("data-conversation="), f"{pages[1]}/{pages[2]}" if pages else "1/1"


# The run -------------------------------------------------------------------------------------------
def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=BIG_ITEMS, help="inbox items in the big workspace")
    parser.add_argument("--small", type=int, default=SMALL_ITEMS, help="inbox items in the small workspace")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed requests per scenario (after warm-up)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each scenario's slowest queries")
    parser.add_argument("--keep", action="store_true", help="keep the database (to look at it with psql)")
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smm.settings_test")
    results: list[Result] = []
    with bench_database("smm_bench_inbox", keep=options.keep) as url:
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        from tests.factories import make_user

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"bench: database {url.rsplit('/', 1)[1]} migrated in {time.monotonic() - started:.1f}s", flush=True)
        agent = make_user("agent@example.com", full_name="Anna Agent", language="en", timezone="Europe/Helsinki")
        benches = []
        for label, items in (("small", options.small), ("big", options.items)):
            started = time.monotonic()
            bench = populate(name=f"Inbox {label}", items=items, agent=agent)
            choose_scenarios(bench)
            benches.append(bench)
            print(f"bench: {label} workspace, {items:,} items in {time.monotonic() - started:.1f}s", flush=True)
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"bench: VACUUM ANALYZE in {time.monotonic() - started:.1f}s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT w.name, count(*),"
                " count(*) FILTER (WHERE status <> 'closed' AND NOT spam AND NOT lower_priority)"
                " FROM participation_conversation AS c JOIN accounts_workspace AS w ON w.id = c.workspace_id"
                " GROUP BY 1 ORDER BY 2"
            )
            for name, conversations, listed in cursor.fetchall():
                print(f"bench: {name}: {conversations:,} conversations, {listed:,} of them in the default list")
        small, big = benches
        client = Client()
        client.force_login(agent)
        print(f"bench: {options.runs} timed requests per scenario after {WARM_UP} warm-up requests", flush=True)
        for scenario in big.scenarios:
            queries_small, _captured, small_response = count_queries(client, small, scenario)
            queries_big, captured, response = count_queries(client, big, scenario)
            if not page_label(small_response)[0]:
                print(f"  ({scenario}: the small workspace's page is empty; its query count is not comparable)")
            result = Result(
                scenario, *timed(client, big, scenario, options.runs), queries_small, queries_big, *page_label(response)
            )
            results.append(result)
            print(f"  {result.row()}", flush=True)
            if options.explain:
                explain(captured, top=2)
        print(f"bench: filtered = {big.scenarios['filtered']}")
    print()
    print(header(options.small, options.items))
    for result in results:
        print(result.row())
    print(f"target: p95 <= {TARGET_MS:.0f} ms at {options.items:,} items; as many queries at {options.small:,} items")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
