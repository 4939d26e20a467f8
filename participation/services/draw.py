"""The contest draw: a documented, reproducible procedure (docs/community.md, "The draw").

Pure functions, no database: `docs/verify_draw.py` is the same procedure in a standalone script
that anyone can run with the revealed seed and the published entry list, and the tests check
that both give the same winners for a known vector.

1. The seed is 32 random bytes, written as 64 lowercase hex digits; its commitment is
   sha256(seed_hex as ASCII), published before the entry window closes.
2. The entry list is the eligible entries' tickets, sorted, joined with "\n" (no final newline);
   list_hash = sha256(that text as UTF-8).
3. Winner k of round r: for c = 0, 1, 2, …: h = HMAC-SHA256(key=seed_hex as ASCII,
   msg=f"{list_hash}:{r}:{c}" as ASCII), read as a big-endian 256-bit integer. It is rejected
   when h ≥ 2^256 − (2^256 mod n) (so every index is equally likely), else index = h mod n is
   rejected when that entry was already drawn (in this round or an earlier one), else it wins.
   The counter runs on through the round.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence

SPACE = 1 << 256
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def new_seed() -> str:
    """32 random bytes from the operating system, as 64 hex digits."""
    return secrets.token_hex(32)


def commitment(seed_hex: str) -> str:
    """What is published before the draw: sha256 of the seed's hex text."""
    return hashlib.sha256(seed_hex.encode("ascii")).hexdigest()


def ticket(network: str, remote_id: str) -> str:
    """An entry's ticket: says which post took part without saying whose."""
    return hashlib.sha256(f"{network}:{remote_id}".encode()).hexdigest()


def entry_list(tickets: Iterable[str]) -> str:
    """The published list: the tickets sorted, one a line, no final newline."""
    return "\n".join(sorted(tickets))


def list_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_seed(value: str) -> bool:
    return bool(_HEX64.match(value))


def pick(
    *, seed_hex: str, list_hash: str, tickets: Sequence[str], count: int, round: int = 1, exclude: Iterable[str] = ()
) -> list[str]:
    """The tickets of `count` winners of round `round` from the sorted `tickets`, skipping `exclude`
    (earlier rounds' winners). Fewer when fewer entries are left to draw from."""
    ordered = sorted(tickets)
    if list(tickets) != ordered:
        raise ValueError("tickets must be sorted")
    n = len(ordered)
    taken = {index for index, value in enumerate(ordered) if value in set(exclude)}
    wanted = min(count, n - len(taken))
    if wanted <= 0:
        return []
    limit = SPACE - (SPACE % n)
    key = seed_hex.encode("ascii")
    winners: list[str] = []
    counter = 0
    while len(winners) < wanted:
        digest = hmac.new(key, f"{list_hash}:{round}:{counter}".encode("ascii"), hashlib.sha256).digest()
        counter += 1
        value = int.from_bytes(digest, "big")
        if value >= limit:
            continue
        index = value % n
        if index in taken:
            continue
        taken.add(index)
        winners.append(ordered[index])
    return winners
