"""The draw procedure (docs/community.md, "The draw"): a known vector, the same winners from the
shipped docs/verify_draw.py run as a separate program, and the procedure's rules one by one."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
from pathlib import Path

import pytest

from participation.services import draw

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "verify_draw.py"

# The vector docs/community.md publishes too: seed = sha256("smm contest test vector"), seven
# Bluesky entries.
SEED = hashlib.sha256(b"smm contest test vector").hexdigest()
TICKETS = sorted(draw.ticket("bluesky", f"at://did:plc:vector/app.bsky.feed.post/{number}") for number in range(7))
SEED_HASH = "4a31936ea13981e38b700d322d762d67746b1a328780a607adbef55d34d0d5c7"
LIST_HASH = "9f6deebb372a0da1e2d47a9e830e8254366532014f93cb30d3e76fc7051bd051"
ROUND_1 = [
    "2f6324789a3dc98d43d28ded41ecf0986ea1d7bcaa58afa8e50a26641fd59c9d",
    "bb050566b5be74996edf53934a5f76aa029ff3119e2d0d5a20cf8f29635aadb9",
]
ROUND_2 = ["84dc40c10e265451ed60d6985fc2594388ce5ef07bca0f15c2afcc259c05cf46"]


def run_script(tmp_path: Path, *args: str, tickets: list[str] = TICKETS) -> subprocess.CompletedProcess[str]:
    entries = tmp_path / "list.txt"
    entries.write_text(draw.entry_list(tickets), encoding="utf-8")
    return subprocess.run(  # noqa: S603 - our own script, with arguments we chose
        [sys.executable, str(SCRIPT), "--entries", str(entries), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def winners_printed(output: str) -> list[str]:
    lines = output.split("winners:\n", 1)[1].splitlines()
    return [line.split(". ", 1)[1] for line in lines if ". " in line]


def test_it_gives_the_known_vector():
    assert draw.commitment(SEED) == SEED_HASH
    assert draw.list_hash(draw.entry_list(TICKETS)) == LIST_HASH
    assert draw.pick(seed_hex=SEED, list_hash=LIST_HASH, tickets=TICKETS, count=2) == ROUND_1
    assert draw.pick(seed_hex=SEED, list_hash=LIST_HASH, tickets=TICKETS, count=1, round=2, exclude=ROUND_1) == ROUND_2


def test_the_shipped_script_gives_the_same_winners_and_checks_the_hashes(tmp_path):
    done = run_script(tmp_path, "--seed", SEED, "--winners", "2", "--seed-hash", SEED_HASH, "--list-hash", LIST_HASH)

    assert done.returncode == 0, done.stderr
    assert winners_printed(done.stdout) == ROUND_1
    assert f"seed hash: {SEED_HASH}  (matches the published hash)" in done.stdout
    assert f"list hash: {LIST_HASH}  (7 entries)  (matches the published hash)" in done.stdout

    redraw = run_script(tmp_path, "--seed", SEED, "--winners", "1", "--round", "2", "--exclude", ",".join(ROUND_1))
    assert redraw.returncode == 0, redraw.stderr
    assert winners_printed(redraw.stdout) == ROUND_2


def test_the_script_says_when_a_hash_does_not_match(tmp_path):
    other_seed = hashlib.sha256(b"another seed").hexdigest()
    done = run_script(tmp_path, "--seed", other_seed, "--winners", "1", "--seed-hash", SEED_HASH)
    assert done.returncode == 1
    assert "DOES NOT MATCH" in done.stdout
    # One ticket left out of the list: its hash no longer matches.
    shorter = run_script(tmp_path, "--seed", SEED, "--winners", "1", "--list-hash", LIST_HASH, tickets=TICKETS[1:])
    assert shorter.returncode == 1 and "(6 entries)  (DOES NOT MATCH" in shorter.stdout


def test_the_script_refuses_bad_input(tmp_path):
    assert run_script(tmp_path, "--seed", "nothex", "--winners", "1").returncode == 2
    assert run_script(tmp_path, "--seed", SEED, "--winners", "0").returncode == 2
    assert run_script(tmp_path, "--seed", SEED, "--winners", "1", tickets=["not a ticket"]).returncode == 2


def by_the_document(seed_hex: str, tickets: list[str], count: int, round_number: int, exclude: set[str]) -> list[str]:
    """The procedure re-read from docs/community.md, written as plainly as possible."""
    n = len(tickets)
    list_hash = hashlib.sha256("\n".join(tickets).encode()).hexdigest()
    drawn: list[int] = [tickets.index(ticket) for ticket in exclude]
    winners: list[str] = []
    counter = 0
    while len(winners) < count:
        h = int(hmac.new(seed_hex.encode(), f"{list_hash}:{round_number}:{counter}".encode(), "sha256").hexdigest(), 16)
        counter += 1
        if h >= 2**256 - (2**256 % n):
            continue
        if h % n in drawn:
            continue
        drawn.append(h % n)
        winners.append(tickets[h % n])
    return winners


@pytest.mark.parametrize("size", [1, 2, 3, 10, 257])
def test_it_follows_the_documented_procedure(size):
    tickets = sorted(draw.ticket("mastodon", str(number)) for number in range(size))
    seed = draw.new_seed()
    list_hash = draw.list_hash(draw.entry_list(tickets))
    count = min(3, size)
    first = draw.pick(seed_hex=seed, list_hash=list_hash, tickets=tickets, count=count)
    assert first == by_the_document(seed, tickets, count, 1, set())
    assert len(set(first)) == count  # nobody twice
    if size > count:
        second = draw.pick(seed_hex=seed, list_hash=list_hash, tickets=tickets, count=1, round=2, exclude=first)
        assert second == by_the_document(seed, tickets, 1, 2, set(first))
        assert second[0] not in first


def test_it_draws_no_more_than_there_are_entries_left():
    tickets = sorted(draw.ticket("mastodon", str(number)) for number in range(3))
    list_hash = draw.list_hash(draw.entry_list(tickets))
    everyone = draw.pick(seed_hex=SEED, list_hash=list_hash, tickets=tickets, count=5)
    assert sorted(everyone) == tickets
    assert draw.pick(seed_hex=SEED, list_hash=list_hash, tickets=tickets, count=1, round=2, exclude=tickets) == []
    assert draw.pick(seed_hex=SEED, list_hash=list_hash, tickets=[], count=1) == []


def test_it_refuses_an_unsorted_list():
    with pytest.raises(ValueError):
        draw.pick(seed_hex=SEED, list_hash=LIST_HASH, tickets=list(reversed(TICKETS)), count=1)


def test_a_different_seed_or_list_gives_a_different_draw():
    other = hashlib.sha256(b"other").hexdigest()
    many = sorted(draw.ticket("mastodon", str(number)) for number in range(1000))
    list_hash = draw.list_hash(draw.entry_list(many))
    assert draw.pick(seed_hex=SEED, list_hash=list_hash, tickets=many, count=3) != draw.pick(
        seed_hex=other, list_hash=list_hash, tickets=many, count=3
    )
    assert draw.pick(seed_hex=SEED, list_hash=list_hash, tickets=many, count=3) != draw.pick(
        seed_hex=SEED, list_hash=draw.list_hash("x"), tickets=many, count=3
    )


def test_seeds_are_fresh_and_well_formed():
    seeds = {draw.new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(draw.is_seed(seed) for seed in seeds)
    assert draw.ticket("bluesky", "at://x") == hashlib.sha256(b"bluesky:at://x").hexdigest()
