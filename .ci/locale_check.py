"""Check (or compile) the gettext catalogues under locale/.

Default: for every locale/<lang>/LC_MESSAGES/{django,djangojs}.po, fail (exit 1) when any entry is
untranslated or fuzzy, when a translation drops or adds a %(name)s placeholder or HTML tag, or when
the committed .mo beside it is missing or differs from what polib compiles from the .po.
With --compile, write each .mo with polib, so GNU gettext is not needed at run time.
With --against-code, also extract the messages from the code (manage.py makemessages, needs GNU
gettext) and fail when the code has a message the catalogue lacks; the catalogue is left as it was.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
DOMAINS = ("django", "djangojs")
# What a translation must carry over unchanged: Python-format placeholders and HTML tags.
TOKENS = re.compile(r"%\(\w+\)[sdr]|</?[a-zA-Z][^>]*>")


def catalogues() -> list[Path]:
    """Every .po of the known domains, sorted for stable output."""
    return sorted(p for d in DOMAINS for p in LOCALE.glob(f"*/LC_MESSAGES/{d}.po"))


def compiled(po: polib.POFile) -> bytes:
    """The .mo bytes polib produces for po (built in a temporary file)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.mo"
        po.save_as_mofile(str(target))
        return target.read_bytes()


def tokens(text: str) -> list[str]:
    """The placeholders and tags in text, sorted so that reordering them is allowed."""
    return sorted(TOKENS.findall(text))


def entry_problems(po: polib.POFile) -> list[str]:
    """A description of each live entry that is fuzzy, untranslated or has mismatched placeholders."""
    problems = ["fuzzy: header"] if po.metadata_is_fuzzy else []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif not entry.translated():
            problems.append(f"untranslated: {entry.msgid!r}")
        elif entry.msgid_plural:
            # Finnish form 0 is n == 1, so it is compared with msgid and every other form with msgid_plural.
            for n, text in entry.msgstr_plural.items():
                source = entry.msgid if int(n) == 0 else entry.msgid_plural
                if tokens(text) != tokens(source):
                    problems.append(f"placeholders differ in form {n}: {entry.msgid!r}")
        elif tokens(entry.msgstr) != tokens(entry.msgid):
            problems.append(f"placeholders differ: {entry.msgid!r}")
    return problems


def check(path: Path) -> list[str]:
    """Every problem with one catalogue; also prints its one-line summary."""
    po = polib.pofile(str(path))
    rel = path.relative_to(ROOT)
    count = len([e for e in po if not e.obsolete])
    problems = [f"{rel}: {p}" for p in entry_problems(po)]
    mo = path.with_suffix(".mo")
    if not mo.exists():
        problems.append(f"{mo.relative_to(ROOT)}: missing (run .ci/locale_check.py --compile)")
    elif mo.read_bytes() != compiled(po):
        problems.append(f"{mo.relative_to(ROOT)}: stale, does not match the .po (run .ci/locale_check.py --compile)")
    if not problems:
        domain = "" if path.stem == "django" else f" ({path.stem})"
        print(f"{rel.parent.parent}{domain}: {count} messages, all translated")
    else:
        print(f"{rel}: {count} messages, {len(problems)} problem(s)")
    return problems


def missing_from_catalogue(path: Path) -> list[str]:
    """Messages the code has and the catalogue at `path` lacks (extracted with makemessages)."""
    language = path.parent.parent.name
    backup = path.read_bytes()
    before = {(e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if not e.obsolete}
    environment = {"DJANGO_SETTINGS_MODULE": "smm.settings_test", **os.environ}
    try:
        subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
            [sys.executable, "manage.py", "makemessages", "-l", language, "--no-location", "--no-obsolete"],
            cwd=ROOT,
            env=environment,
            check=True,
            capture_output=True,
        )
        after = polib.pofile(str(path))
    finally:
        path.write_bytes(backup)
    rel = path.relative_to(ROOT)
    return [f"{rel}: not in the catalogue: {e.msgid!r}" for e in after if (e.msgctxt, e.msgid) not in before]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check or compile the gettext catalogues under locale/.")
    parser.add_argument("--compile", action="store_true", help="write the .mo next to each .po and exit")
    parser.add_argument("--against-code", action="store_true", help="also fail on messages missing from the .po")
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
    if args.against_code:
        if shutil.which("xgettext") is None:
            print("--against-code needs GNU gettext (apt-get install gettext)", file=sys.stderr)
            return 1
        problems += [p for path in paths if path.stem == "django" for p in missing_from_catalogue(path)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
