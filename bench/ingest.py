"""How fast is the listening pipeline? Mentions per second through `ingest`, beside a raw COPY.

    .venv/bin/python bench/ingest.py [--mentions 1000000] [--topics 1000] [--batch 1000] [--keep]

Generated mentions (Finnish and English about half and half, with brand names, hashtags, @handles,
links and engagement; about half carry the network's language hint, the rest are detected; a few
per cent are re-sent ids, shared links and copied texts, as collectors see them) go through the
whole pipeline (`listening.services.pipeline.ingest`) in batches, into a workspace with 1,000
active topics (brand names, competitor names with inflected Finnish prefixes, hashtags, handles,
phrases, AND/NOT and lang:). Only the `ingest` calls are timed, not generating the items.

The baseline: the rows the pipeline stored (mentions with their tsvector, and the topic links) are
copied out, both tables truncated, and the same rows loaded back with PostgreSQL's COPY into the
same tables with the same indexes (btree, BRIN, GIN on the tsvector, the SimHash bands): the
fastest the database can take these rows, with no analysis at all. Target: pipeline ≥ 0.5× COPY.

The database: a new database `smm_bench_ingest_<pid>` on DATABASE_URL's server (else the embedded
PostgreSQL), migrated, and dropped at the end (--keep leaves it). See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MENTIONS = 1_000_000
TOPICS = 1_000
BATCH = 1_000
SEED = 9
DAYS = 90  # the mentions' dates spread over the last 90 days, oldest first (as a backfill)

FI_OPENERS = [
    "Kiitos {brand} nopeasta toimituksesta",
    "Olen todella pettynyt {brand} asiakaspalveluun",
    "Kävin eilen {brand} myymälässä {place}",
    "Onko kellään kokemuksia {brand} uudesta {product}",
    "{brand} nosti taas hintoja ja se harmittaa",
    "Suosittelen lämpimästi {brand} palvelua kaikille",
    "Tilaus {brand} verkkokaupasta ei ole vieläkään saapunut",
    "Uusi {product} on aivan loistava, kiitos {brand}",
    "Miksi {brand} ei vastaa viesteihin",
    "Ihan ok kokemus {brand} kanssa, ei valittamista",
]
FI_MIDDLES = [
    "Toimitus kesti {n} päivää.",
    "Henkilökunta oli ystävällistä ja osaavaa.",
    "Jono oli pitkä ja odotin {n} minuuttia.",
    "Hinta-laatusuhde on kohdallaan.",
    "Laatu on heikentynyt viime vuosina.",
    "Palautus onnistui ilman ongelmia.",
    "Sovellus kaatuu aina kun yritän maksaa.",
    "Kahvi oli kylmää ja pulla kuivaa.",
    "Sain hyvityksen {n} euroa.",
    "En aio enää asioida siellä.",
    "Ensi kerralla kokeilen {other}.",
    "Vertailin myös {other} tarjontaa.",
]
EN_OPENERS = [
    "Thanks {brand} for the quick delivery",
    "Really disappointed with {brand} customer service",
    "Visited the {brand} store in {place} yesterday",
    "Has anyone tried the new {product} from {brand}",
    "{brand} raised their prices again, not happy",
    "Highly recommend {brand} to everyone",
    "My order from {brand} still has not arrived",
    "The new {product} is brilliant, well done {brand}",
    "Why does {brand} never answer messages",
    "Decent experience with {brand}, no complaints",
]
EN_MIDDLES = [
    "Delivery took {n} days.",
    "The staff were friendly and helpful.",
    "The queue was long and I waited {n} minutes.",
    "Good value for the money.",
    "The quality has gone down in recent years.",
    "The return was easy.",
    "The app crashes every time I try to pay.",
    "The coffee was cold and the bun was dry.",
    "I got a refund of {n} euros.",
    "I will not shop there again.",
    "Next time I will try {other}.",
    "I also compared what {other} offers.",
]
PLACES = ["Helsinki", "Tampere", "Turku", "Oulu", "Espoo", "Vantaa", "Jyväskylä", "Kuopio", "Lahti", "Pori"]
PRODUCTS_FI = ["tuotteesta", "sovelluksesta", "kahvista", "palvelusta", "mallistosta", "tarjouksesta"]
PRODUCTS_EN = ["product", "app", "coffee blend", "service", "collection", "offer"]
TAGS = ["asiakaspalvelu", "kahvi", "ruoka", "kauppa", "tarjous", "customerservice", "coffee", "retail", "fail", "love"]
SYLLABLES = ["ka", "lo", "mi", "ra", "su", "te", "vo", "ne", "pi", "ja", "ko", "ha", "li", "tu", "me"]


def brand_names(count: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))).capitalize())
    return sorted(names)


def topic_queries(brands: list[str], rng: random.Random) -> list[str]:
    """One query per brand, in the shapes marketers write."""
    queries = []
    for index, brand in enumerate(brands):
        word = brand.lower()
        shape = index % 8
        if shape == 0:
            queries.append(f"{word} OR #{word} OR @{word}")
        elif shape == 1:
            queries.append(f"{word}* lang:fi")
        elif shape == 2:
            queries.append(f'"{word} oy" OR {word}')
        elif shape == 3:
            queries.append(f"{word} AND (hinta* OR price OR prices)")
        elif shape == 4:
            queries.append(f"{word} NOT kahvi")
        elif shape == 5:
            queries.append(f"({word} OR {word}*) AND (pettynyt OR disappointed OR huono* OR cold)")
        elif shape == 6:
            queries.append(f"#{word} OR {word} lang:en")
        else:
            queries.append(f"{word}*")
    return queries


def generate(count: int, brands: list[str], *, seed: int = SEED) -> Iterator[Any]:
    """`count` RawItems, oldest first; about 3 % are re-sent ids, shared links or copied texts."""
    from listening.services.pipeline import RawItem

    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=DAYS)
    step = timedelta(days=DAYS) / max(count, 1)
    recent: list[Any] = []
    for number in range(count):
        published = start + step * number
        roll = rng.random()
        if recent and roll < 0.01:  # the same post read again by another source
            yield recent[rng.randrange(len(recent))]
            continue
        if recent and roll < 0.02:  # a copied text, another id
            original = recent[rng.randrange(len(recent))]
            yield RawItem(
                network=original.network,
                remote_id=f"copy-{number}",
                text=original.text + " " + rng.choice(["!", "👍", "+1"]),
                published_at=published,
                author_handle=f"@user{rng.randrange(200_000)}@mastodon.example",
            )
            continue
        finnish = rng.random() < 0.5
        brand, other = rng.choice(brands), rng.choice(brands)
        opener = rng.choice(FI_OPENERS if finnish else EN_OPENERS)
        middles = rng.sample(FI_MIDDLES if finnish else EN_MIDDLES, 2)
        fill = {
            "brand": brand,
            "other": other,
            "place": rng.choice(PLACES),
            "product": rng.choice(PRODUCTS_FI if finnish else PRODUCTS_EN),
            "n": rng.randint(2, 90),
        }
        parts = [opener.format(**fill) + rng.choice(["!", ".", "?", "!!"]), *(m.format(**fill) for m in middles)]
        if rng.random() < 0.6:
            parts.append(f"#{rng.choice(TAGS)}")
        if rng.random() < 0.3:
            parts.append(f"@{brand.lower()}")
        network = rng.choice(["mastodon", "bluesky", "web"])
        url = ""
        if network == "web" or roll < 0.03:
            url = f"https://news{rng.randrange(50)}.example/{published:%Y/%m}/{number}?utm_source=feed"
        item = RawItem(
            network=network,
            remote_id=f"{network}-{number}",
            text=" ".join(parts),
            url=url,
            title=f"{brand}: {rng.choice(PLACES)}" if network == "web" else "",
            author_id=str(rng.randrange(200_000)),
            author_handle=f"@user{rng.randrange(200_000)}@mastodon.example",
            author_name=f"User {rng.randrange(200_000)}",
            author_followers=int(rng.paretovariate(1.2) * 20),
            published_at=published,
            likes=rng.randrange(50),
            reposts=rng.randrange(10),
            replies=rng.randrange(5),
            language=("fi" if finnish else "en") if rng.random() < 0.5 else "",
        )
        if roll < 0.03 and url:  # a shared link: the same article under another id
            yield item
            yield RawItem(
                network="web",
                remote_id=f"share-{number}",
                text=item.text[::-1],
                url=url.upper().replace("HTTPS", "https"),
                published_at=published,
            )
            continue
        recent.append(item)
        if len(recent) > 500:
            recent.pop(0)
        yield item


from benchdb import bench_database  # noqa: E402  (bench/ is the script's folder)


def setup_workspace(topics: int) -> tuple[Any, list[str]]:
    """A workspace with `topics` active topics (one per brand); the brand names."""
    from listening import query as q
    from listening.models import Topic
    from tests.factories import make_workspace

    rng = random.Random(SEED)
    workspace = make_workspace("Listening bench")
    brands = brand_names(topics, rng)
    Topic.objects.bulk_create(
        [
            Topic(workspace=workspace, name=f"Topic {n}", query=text, compiled=q.to_json(q.parse(text)))
            for n, text in enumerate(topic_queries(brands, rng))
        ]
    )
    return workspace, brands


def run_pipeline(workspace: Any, brands: list[str], mentions: int, batch: int) -> tuple[float, Any]:
    """Ingest `mentions` generated items in batches; (seconds inside ingest, the summed result)."""
    from listening.services.pipeline import IngestResult, ingest

    total = IngestResult()
    spent = 0.0
    chunk: list[Any] = []
    reported = time.monotonic()

    def flush() -> None:
        nonlocal spent, reported
        started = time.perf_counter()
        result = ingest(workspace_id=workspace.pk, source=None, items=chunk)
        spent += time.perf_counter() - started
        result.mention_ids = []
        total.add(result)
        chunk.clear()
        if time.monotonic() - reported > 30:
            reported = time.monotonic()
            print(f"bench: … {total.received:,} items, {total.received / spent:,.0f}/s so far", flush=True)

    for item in generate(mentions, brands):
        chunk.append(item)
        if len(chunk) >= batch:
            flush()
    if chunk:
        flush()
    return spent, total


MENTION_COLUMNS = (
    "id, workspace_id, source_id, network, remote_id, url, canonical_url, author_id, author_handle, author_name,"
    " author_followers, title, text, language, sentiment, sentiment_score, sentiment_corrected, likes, reposts,"
    " replies, simhash, search, published_at, collected_at"
)
LINK_COLUMNS = "id, workspace_id, mention_id, topic_id, published_at, sentiment"


def run_copy(folder: str) -> tuple[float, int, int]:
    """Copy the stored rows out, empty the tables, and time COPY of the same rows back in."""
    from django.db import connection

    mentions_file = os.path.join(folder, "mentions.copy")
    links_file = os.path.join(folder, "links.copy")
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's cursor, for copy_expert
        with open(mentions_file, "w") as out:
            raw.copy_expert(f"COPY (SELECT {MENTION_COLUMNS} FROM listening_mention ORDER BY id) TO STDOUT", out)  # noqa: S608 - constant column names and configs, values are parameters
        with open(links_file, "w") as out:
            raw.copy_expert(f"COPY (SELECT {LINK_COLUMNS} FROM listening_mentiontopic ORDER BY id) TO STDOUT", out)  # noqa: S608 - constant column names and configs, values are parameters
        cursor.execute("SELECT count(*) FROM listening_mention")
        mentions = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM listening_mentiontopic")
        links = cursor.fetchone()[0]
        cursor.execute("TRUNCATE listening_mentiontopic, listening_sentimentcorrection, listening_mention")
        cursor.execute("CHECKPOINT")
        started = time.perf_counter()
        with open(mentions_file) as source:
            raw.copy_expert(f"COPY listening_mention ({MENTION_COLUMNS}) FROM STDIN", source)
        with open(links_file) as source:
            raw.copy_expert(f"COPY listening_mentiontopic ({LINK_COLUMNS}) FROM STDIN", source)
        spent = time.perf_counter() - started
    return spent, mentions, links


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=MENTIONS, help="generated items")
    parser.add_argument("--topics", type=int, default=TOPICS, help="active topics in the workspace")
    parser.add_argument("--batch", type=int, default=BATCH, help="items per ingest call")
    parser.add_argument("--keep", action="store_true", help="keep the database (to look at it with psql)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of the pipeline")
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smm.settings_test")
    with bench_database("smm_bench_ingest", keep=options.keep) as url:
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from django.core.management import call_command

        started = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"bench: database {url.rsplit('/', 1)[1]} migrated in {time.monotonic() - started:.1f}s", flush=True)
        workspace, brands = setup_workspace(options.topics)
        # Warm the analysers (model and lexicon loading is a one-off at process start).
        from smm.lib.textanalysis import analyse, detect_language

        (
            analyse("Kiitos hyvästä palvelusta", "fi"),
            analyse("Thanks", "en"),
            detect_language("Kiitos hyvästä palvelusta"),
        )
        print(f"bench: {options.mentions:,} items, {options.topics:,} topics, batches of {options.batch:,}", flush=True)
        if options.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            pipeline_seconds, result = profiler.runcall(
                run_pipeline, workspace, brands, options.mentions, options.batch
            )
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        else:
            pipeline_seconds, result = run_pipeline(workspace, brands, options.mentions, options.batch)
        with tempfile.TemporaryDirectory(prefix="smm-bench-ingest-") as folder:
            copy_seconds, mentions, links = run_copy(folder)
        pipeline_rate = result.received / pipeline_seconds
        stored_rate = result.stored / pipeline_seconds
        copy_rate = mentions / copy_seconds
        print()
        print(
            f"stored {result.stored:,} of {result.received:,}; duplicates: {result.duplicates_id:,} id,"
            f" {result.duplicates_url:,} url, {result.duplicates_text:,} text; {result.topic_links:,} topic links"
        )
        print(f"{'':40}{'seconds':>10}{'rows/s':>12}")
        print(f"{'pipeline: items through ingest()':40}{pipeline_seconds:>10.1f}{pipeline_rate:>12,.0f}")
        print(f"{'pipeline: mentions stored':40}{pipeline_seconds:>10.1f}{stored_rate:>12,.0f}")
        print(f"{'COPY: the same mentions + topic links':40}{copy_seconds:>10.1f}{copy_rate:>12,.0f}")
        ratio = stored_rate / copy_rate
        verdict = "meets" if ratio >= 0.5 else "misses"
        print(f"pipeline / COPY = {ratio:.2f} (stored mentions per second; target ≥ 0.50: {verdict})")
        print(f"({links:,} topic links copied with the mentions)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
