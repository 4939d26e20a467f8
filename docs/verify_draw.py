#!/usr/bin/env python3
"""Check an smm contest draw yourself: the same procedure smm used, in one file, standard library only.

From the contest's public page take the revealed seed, the seed's hash (published before the
entry window closed), the entry list (list.txt), the list's hash and the number of winners, then:

    python verify_draw.py --seed SEED --entries list.txt --winners 1 \\
        --seed-hash HASH --list-hash HASH

It prints the winners' tickets; the page shows which entry each ticket belongs to. A redraw for an
unclaimed prize is round 2 (3, …) and skips every earlier winner:

    python verify_draw.py --seed SEED --entries list.txt --winners 1 --round 2 --exclude TICKET

The procedure (docs/community.md, "The draw"):

1. seed hash = sha256(the seed's 64 hex digits as text).
2. The entry list is the tickets sorted, joined with a newline (no final newline);
   list hash = sha256(that text).
3. Winner k of round r: for c = 0, 1, 2, ...: h = HMAC-SHA256(key = the seed's hex text,
   message = "<list hash>:<r>:<c>"), read as a big-endian number. h is skipped when
   h >= 2^256 - (2^256 mod n), n the number of tickets (so every ticket is equally likely);
   otherwise ticket number h mod n (0-based, in sorted order) wins unless it was already drawn.
   The counter c runs on through the round.

Exit status: 0 when every hash given matches, 1 when one does not, 2 for bad input.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import re
import sys

SPACE = 1 << 256
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def pick(
    seed_hex: str, list_hash: str, tickets: list[str], count: int, round_number: int, exclude: set[str]
) -> list[str]:
    n = len(tickets)
    taken = {index for index, ticket in enumerate(tickets) if ticket in exclude}
    wanted = min(count, n - len(taken))
    limit = SPACE - (SPACE % n) if n else 0
    winners: list[str] = []
    counter = 0
    while len(winners) < wanted:
        message = f"{list_hash}:{round_number}:{counter}".encode("ascii")
        value = int.from_bytes(hmac.new(seed_hex.encode("ascii"), message, hashlib.sha256).digest(), "big")
        counter += 1
        if value >= limit or value % n in taken:
            continue
        taken.add(value % n)
        winners.append(tickets[value % n])
    return winners


def say(text: str = "", *, end: str = "\n", error: bool = False) -> None:
    (sys.stderr if error else sys.stdout).write(text + end)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify an smm contest draw.")
    parser.add_argument("--seed", required=True, help="the revealed seed (64 hex digits)")
    parser.add_argument("--entries", required=True, help="the entry list file (list.txt), one ticket a line")
    parser.add_argument("--winners", required=True, type=int, help="how many winners the round drew")
    parser.add_argument("--round", type=int, default=1, help="1 for the draw, 2, 3, ... for redraws")
    parser.add_argument(
        "--exclude", action="append", default=[], help="earlier winners' tickets (repeat, or separate with commas)"
    )
    parser.add_argument("--seed-hash", default="", help="the seed's hash published before the window closed")
    parser.add_argument("--list-hash", default="", help="the entry list's hash published at the draw")
    args = parser.parse_args(argv)

    seed = args.seed.strip().lower()
    if not HEX64.match(seed):
        say("error: the seed must be 64 hex digits", error=True)
        return 2
    if args.winners < 1 or args.round < 1:
        say("error: --winners and --round must be at least 1", error=True)
        return 2
    try:
        with open(args.entries, encoding="utf-8") as file:
            tickets = sorted({line.strip().lower() for line in file if line.strip()})
    except (OSError, UnicodeDecodeError) as error:
        say(f"error: cannot read {args.entries}: {error}", error=True)
        return 2
    if not tickets or not all(HEX64.match(ticket) for ticket in tickets):
        say("error: the entry list must hold tickets of 64 hex digits, one a line", error=True)
        return 2
    exclude = {value.strip().lower() for item in args.exclude for value in item.split(",") if value.strip()}

    text = "\n".join(tickets)
    seed_hash = hashlib.sha256(seed.encode("ascii")).hexdigest()
    list_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    ok = True
    say(f"seed hash: {seed_hash}", end="")
    if args.seed_hash:
        matches = seed_hash == args.seed_hash.strip().lower()
        ok = ok and matches
        say("  (matches the published hash)" if matches else "  (DOES NOT MATCH the published hash)", end="")
    say()
    say(f"list hash: {list_hash}  ({len(tickets)} entries)", end="")
    if args.list_hash:
        matches = list_hash == args.list_hash.strip().lower()
        ok = ok and matches
        say("  (matches the published hash)" if matches else "  (DOES NOT MATCH the published hash)", end="")
    say()
    unknown = exclude - set(tickets)
    if unknown:
        say(f"warning: {len(unknown)} excluded ticket(s) are not in the list", error=True)
    say(f"round {args.round} winners:")
    for position, ticket in enumerate(pick(seed, list_hash, tickets, args.winners, args.round, exclude), start=1):
        say(f"{position}. {ticket}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
