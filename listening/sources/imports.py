"""Imports: another vendor's data as mentions, from a CSV file (the import page) or a JSON array
(POST /api/listening/import/ with an import token). Both go through `parse_rows`, so a CSV row and
a JSON object accept the same fields:

    url             the item's address (http or https)
    text            the text (required unless `title` is given)
    title           a headline (news items)
    author          the author's handle or name
    author_name     the author's display name
    author_followers  a whole number
    published_at    ISO 8601 (2026-03-01T12:00:00+02:00, or a date 2026-03-01); a time without
                    a zone is read in the workspace's time zone; empty = now
    network         e.g. twitter, facebook, news, forum (lower case; default "import")
    id              the item's id at its origin; without it the url, else a hash of the content,
                    keeps a re-imported row from being stored twice
    language        a hint such as fi or en (detected when empty)
    likes, reposts, replies   whole numbers

Valid rows are kept; each invalid row is reported with its line (CSV) or index (JSON) and why,
and nothing valid is lost because of it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, tzinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from listening.services.pipeline import RawItem
from listening.sources import clamp_count, raw_item

FIELDS = (
    "url",
    "text",
    "title",
    "author",
    "author_name",
    "author_followers",
    "published_at",
    "network",
    "id",
    "language",
    "likes",
    "reposts",
    "replies",
)
MAX_ROWS = 10_000
MAX_FIELD = 20_000
DEFAULT_NETWORK = "import"
_NETWORK = re.compile(r"[a-z0-9_.-]{1,20}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")
_URL = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class RowError:
    line: int  # CSV: the line in the file (the header is line 1); JSON: the item's index
    message: str


@dataclass
class ParsedRows:
    items: list[RawItem] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class ImportFileError(Exception):
    """The whole file or body cannot be read; the message is for the person importing."""


def parse_csv(data: bytes, *, tz: tzinfo) -> ParsedRows:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(_("The file is not UTF-8 text. Save it as CSV UTF-8 and try again.")) from error
    try:
        dialect: Any = csv.Sniffer().sniff(content[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(content, newline=""), dialect=dialect)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if not header:
        raise ImportFileError(_("The file is empty."))
    if "text" not in header and "title" not in header:
        raise ImportFileError(
            _("The first line must name the columns, with at least “text” (or “title”). Columns: %(columns)s")
            % {"columns": ", ".join(FIELDS)}
        )
    reader.fieldnames = header

    def rows() -> Iterable[tuple[int, Mapping[str, Any]]]:
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as error:
            raise ImportFileError(
                _("Line %(line)s cannot be read as CSV: %(error)s") % {"line": reader.line_num, "error": error}
            ) from error

    return parse_rows(rows(), tz=tz)


def parse_json(payload: Any, *, tz: tzinfo) -> ParsedRows:
    if isinstance(payload, Mapping) and isinstance(payload.get("items"), list):
        payload = payload["items"]
    if not isinstance(payload, list):
        raise ImportFileError(_("Send a JSON array of items (or an object with an “items” array)."))
    return parse_rows(enumerate(payload), tz=tz)


def parse_rows(rows: Iterable[tuple[int, Mapping[str, Any] | Any]], *, tz: tzinfo) -> ParsedRows:
    result = ParsedRows()
    for count, (line, row) in enumerate(rows):
        if count >= MAX_ROWS:
            raise ImportFileError(_("At most %(count)s items at a time.") % {"count": MAX_ROWS})
        try:
            result.items.append(item_from_row(row, tz=tz))
        except ValidationError as error:
            result.errors.append(RowError(line=line, message=" ".join(error.messages)))
    return result


def _text(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise ValidationError(_("“%(field)s” must be text.") % {"field": name})
    value = str(value).strip()
    if len(value) > MAX_FIELD:
        raise ValidationError(_("“%(field)s” is longer than %(max)s characters.") % {"field": name, "max": MAX_FIELD})
    return value


def _number(row: Mapping[str, Any], name: str) -> int | None:
    value = _text(row, name)
    if not value:
        return None
    try:
        number = int(float(value.replace(" ", "")))
    except ValueError:
        raise ValidationError(
            _("“%(field)s” must be a whole number, not “%(value)s”.") % {"field": name, "value": value[:40]}
        ) from None
    if number < 0:
        raise ValidationError(_("“%(field)s” cannot be negative.") % {"field": name})
    return clamp_count(number)


def _published(value: str, tz: tzinfo) -> datetime:
    if not value:
        return timezone.now()
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        try:
            day = parse_date(value)
        except ValueError:
            day = None
        if day is None:
            raise ValidationError(
                _("“published_at” is not a date and time: “%(value)s” (use e.g. 2026-03-01T12:00:00+02:00).")
                % {"value": value[:40]}
            )
        moment = datetime.combine(day, time(12, 0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, tz)
    return moment


def item_from_row(row: Mapping[str, Any] | Any, *, tz: tzinfo) -> RawItem:
    if not isinstance(row, Mapping):
        raise ValidationError(_("An item must be an object with named fields."))
    row = {str(key).strip().lower(): value for key, value in row.items() if key is not None}
    text, title, url = _text(row, "text"), _text(row, "title"), _text(row, "url")
    if not (text or title):
        raise ValidationError(_("“text” is empty."))
    if url:
        try:
            _URL(url)
        except ValidationError:
            raise ValidationError(_("“url” is not a web address: “%(value)s”.") % {"value": url[:80]}) from None
    network = (_text(row, "network") or DEFAULT_NETWORK).lower()
    if not _NETWORK.fullmatch(network):
        raise ValidationError(
            _("“network” must be a short name of letters and digits, such as news or forum, not “%(value)s”.")
            % {"value": network[:40]}
        )
    language = _text(row, "language")
    if language and not _LANGUAGE.fullmatch(language):
        raise ValidationError(
            _("“language” must be a code such as fi or en, not “%(value)s”.") % {"value": language[:20]}
        )
    published_at = _published(_text(row, "published_at"), tz)
    author = _text(row, "author")
    remote_id = _text(row, "id") or url
    if not remote_id:
        content = f"{author}\n{published_at.isoformat()}\n{title}\n{text}"
        remote_id = "sha256:" + hashlib.sha256(content.encode()).hexdigest()
    elif len(remote_id) > 500:
        remote_id = "sha256:" + hashlib.sha256(remote_id.encode()).hexdigest()
    return raw_item(
        network=network,
        remote_id=remote_id,
        url=url,
        title=title[:500],
        text=text,
        published_at=published_at,
        author_handle=author[:300],
        author_name=(_text(row, "author_name") or author)[:200],
        author_followers=_number(row, "author_followers"),
        likes=_number(row, "likes") or 0,
        reposts=_number(row, "reposts") or 0,
        replies=_number(row, "replies") or 0,
        language=language,
    )
