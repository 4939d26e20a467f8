"""Is mention search fast at 1,000,000 mentions? Newest-50 for a common and a rare term, p95.

    .venv/bin/python bench/search.py [--mentions 1000000] [--base 20000] [--runs 30] [--explain] [--keep]

The mentions: `--base` generated items (bench/ingest.py's generator: Finnish and English, brands,
hashtags, handles) go through the real pipeline, with a rare word put in 1 of 10,000 of them; then
SQL copies those rows (tsvector included) with new ids and dates until there are `--mentions`, so
words keep their frequencies. VACUUM ANALYZE, then each scenario runs `--runs` times after warm-up
through `listening.services.search` (the page of 50 newest, as the search page asks for it:
`search(...)` + `page(...)`, i.e. 51 rows, no count), and again with the page's highlights:

  common term   "palvelu" (a Finnish word; ~1 mention in 6 has one of its inflected forms)
  common, en    "delivery"
  rare term     a word in 1 mention in 10,000
  rare + filters  the rare word, network web, last 180 days

Target: p95 ≤ 50 ms for both terms. The database: `smm_bench_search_<pid>`, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from benchdb import bench_database  # noqa: E402
from ingest import generate, setup_workspace  # noqa: E402

MENTIONS = 1_000_000
BASE = 20_000
RUNS = 30
WARM_UP = 5
TARGET_MS = 50.0
RARE_WORD = "zeppeliinipullat"
RARE_EVERY = 10_000


def populate(mentions: int, base: int) -> Any:
    from django.db import connection

    from listening.services.pipeline import RawItem, ingest

    workspace, brands = setup_workspace(100)
    batch: list[Any] = []
    for number, item in enumerate(generate(base, brands)):
        if number % RARE_EVERY == RARE_EVERY // 2:
            item = RawItem(**{**item.__dict__, "text": f"{item.text} {RARE_WORD.capitalize()} olivat kylmiä"})
        batch.append(item)
        if len(batch) == 1000:
            ingest(workspace_id=workspace.pk, source=None, items=batch)
            batch = []
    if batch:
        ingest(workspace_id=workspace.pk, source=None, items=batch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), min(published_at), max(published_at) FROM listening_mention")
        stored, first, last = cursor.fetchone()
        copies = max(0, -(-mentions // stored) - 1)
        span = last - first
        # Copy n: the same rows, dated one span earlier per copy (so dates stay spread and distinct).
        cursor.execute(
            "INSERT INTO listening_mention (workspace_id, source_id, network, remote_id, url, canonical_url, author_id,"
            " author_handle, author_name, author_followers, title, text, language, sentiment, sentiment_score,"
            " sentiment_corrected, likes, reposts, replies, simhash, search, published_at, collected_at)"
            " SELECT workspace_id, source_id, network, remote_id || '-' || n, url, canonical_url, author_id,"
            " author_handle, author_name, author_followers, title, text, language, sentiment, sentiment_score,"
            " sentiment_corrected, likes, reposts, replies, simhash, search, published_at - n * %s::interval,"
            " collected_at FROM listening_mention, generate_series(1, %s) AS n ORDER BY n, published_at LIMIT %s",
            [span, copies, mentions - stored],
        )
        cursor.execute("SELECT count(*) FROM listening_mention")
        total = cursor.fetchone()[0]
        cursor.execute("VACUUM ANALYZE listening_mention")
    return workspace, total


def timed(call: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    for _ in range(WARM_UP):
        call()
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=MENTIONS)
    parser.add_argument("--base", type=int, default=BASE, help="items through the pipeline before copying")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each scenario's query")
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smm.settings_test")
    with bench_database("smm_bench_search", keep=options.keep) as url:
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from datetime import timedelta

        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from listening.services.search import highlights, page, search

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        workspace, total = populate(options.mentions, options.base)
        print(
            f"bench: {total:,} mentions in {time.monotonic() - started:.0f}s"
            " (migrate, pipeline, copies, VACUUM ANALYZE)"
        )
        since = timezone.now() - timedelta(days=180)
        scenarios = {
            "common term (palvelu)": {"q": "palvelu"},
            "common term, en (delivery)": {"q": "delivery"},
            "rare term": {"q": RARE_WORD},
            "rare, web, last 180 days": {"q": RARE_WORD, "since": since, "network": "web"},
        }
        print(
            f"bench: {options.runs} timed runs per scenario after {WARM_UP} warm-up runs;"
            f" target p95 ≤ {TARGET_MS:.0f} ms"
        )
        print(f"{'':30}{'matches':>10}{'rows':>6}{'p50 ms':>9}{'p95 ms':>9}{'+highlights p95':>17}")
        for label, filters in scenarios.items():
            qs = search(workspace_id=workspace.pk, **filters)

            def first_page(qs: Any = qs) -> Any:
                return page(qs, 1)

            def with_highlights(qs: Any = qs, q: str = str(filters["q"])) -> Any:
                found = page(qs, 1)
                return highlights(found.mentions, q)

            times, found = timed(first_page, options.runs)
            times_h, _ = timed(with_highlights, options.runs)
            matches = qs.count()
            verdict = "ok" if p95(times) <= TARGET_MS else "SLOW"
            print(
                f"{label:30}{matches:>10,}{len(found.mentions):>6}{statistics.median(times):>9.1f}"
                f"{p95(times):>9.1f}{p95(times_h):>17.1f}  {verdict}",
                flush=True,
            )
            if options.explain:
                sql, params = qs[:51].query.sql_with_params()
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                    print("\n".join("    " + row[0] for row in cursor.fetchall()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
