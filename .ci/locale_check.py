"""Check (or compile) the gettext catalogues under locale/.

Default: for every locale/<lang>/LC_MESSAGES/{django,djangojs}.po, fail (exit 1) when any entry is
untranslated or fuzzy, or when the committed .mo beside it is missing or differs from what polib
compiles from the .po. With --compile, write each .mo with polib, so GNU gettext is not needed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
DOMAINS = ("django", "djangojs")


def catalogues() -> list[Path]:
    """Every .po of the known domains, sorted for stable output."""
    return sorted(p for d in DOMAINS for p in LOCALE.glob(f"*/LC_MESSAGES/{d}.po"))


def compiled(po: polib.POFile) -> bytes:
    """The .mo bytes polib produces for po (built in a temporary file)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.mo"
        po.save_as_mofile(str(target))
        return target.read_bytes()


def untranslated(po: polib.POFile) -> list[str]:
    """A description of each live entry that is fuzzy or has an empty msgstr (or plural form)."""
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif not entry.translated():
            problems.append(f"untranslated: {entry.msgid!r}")
    return problems


def check(path: Path) -> list[str]:
    """Every problem with one catalogue; also prints its one-line summary."""
    po = polib.pofile(str(path))
    rel = path.relative_to(ROOT)
    count = len([e for e in po if not e.obsolete])
    problems = [f"{rel}: {p}" for p in untranslated(po)]
    mo = path.with_suffix(".mo")
    if not mo.exists():
        problems.append(f"{mo.relative_to(ROOT)}: missing (run .ci/locale_check.py --compile)")
    elif mo.read_bytes() != compiled(po):
        problems.append(f"{mo.relative_to(ROOT)}: stale, does not match the .po (run .ci/locale_check.py --compile)")
    if not problems:
        print(f"{rel.parent.parent} ({path.stem}): {count} messages, all translated")
    else:
        print(f"{rel}: {count} messages, {len(problems)} problem(s)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compile", action="store_true", help="write the .mo next to each .po and exit")
    args = parser.parse_args(argv)
    paths = catalogues()
    if not paths:
        print(f"no catalogues under {LOCALE}", file=sys.stderr)
        return 1
    if args.compile:
        for path in paths:
            polib.pofile(str(path)).save_as_mofile(str(path.with_suffix(".mo")))
            print(f"compiled {path.with_suffix('.mo').relative_to(ROOT)}")
        return 0
    problems = [p for path in paths for p in check(path)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
