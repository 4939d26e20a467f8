"""CSV batches of scheduled posts: upload, check in the background, preview, then import all or nothing.

1. `csv_import_create` refuses at once, storing nothing, a file that cannot be imported at all:
   too large, not text, not CSV, without the required columns, without rows or with too many.
   Otherwise it stores the decoded text and enqueues the check after commit.
2. `csv_import_check` (the Celery task `csv_import_check_task`) reads the rows one by one: it
   matches accounts, campaign and labels, parses the local time, fetches media URLs through the
   SSRF guard, and runs the same per-network checks as the composer. It stores the normalised
   rows and every error, counting `checked_rows` up as it goes for the progress bar.
3. `csv_import_run` creates the media and every post in one transaction, so any failure keeps
   nothing; `csv_import_discard` throws the staged data away.

Fetched media are kept as files under MEDIA_ROOT/imports/<id>/ until the import is run or
discarded; `staging_dir` explains why.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from publishing.models import Campaign, CsvImport, Label, MediaAsset, Post
from publishing.services import media as media_services
from publishing.services import posts, queues
from smm.accounts.models import AccountLevel, Membership
from smm.accounts.selectors import account_access_for_member
from smm.lib.http import ResponseTooLargeError, UnsafeURLError, safe_get
from smm.lib.tz import utc_to_wall, validate_timezone, wall_to_utc
from smm.networks.models import ConnectedAccount
from smm.networks.registry import NETWORKS, is_enabled

logger = logging.getLogger(__name__)

Status = CsvImport.Status

# What one file may ask for. Both limits are checked before any row is stored, so a runaway
# export (100,000 rows) costs one quick pass over at most 2 MB of text.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
MAX_MEDIA_PER_ROW = 4
# Each media URL: at most 20 MB, 5 s to connect, 20 s between bytes, 60 s in all.
MEDIA_MAX_BYTES = 20 * 1024 * 1024
MEDIA_TIMEOUT: tuple[float, float] = (5.0, 20.0)
MEDIA_DEADLINE = 60.0
# And all media of one file together, so that a file of 1,000 slow or large URLs cannot hold a
# worker for hours or fill the disk; every URL is fetched once however many rows use it.
MEDIA_TOTAL_BYTES = 500 * 1024 * 1024
MEDIA_TOTAL_SECONDS = 15 * 60
URL_MAX_LENGTH = 1000  # MediaAsset.source_url
# An import nobody ran or discarded within this long is discarded by the periodic cleanup.
STALE_AFTER = timedelta(days=7)

REQUIRED_COLUMNS = ("text", "accounts", "time")
NETWORK_TEXT_COLUMNS = tuple(f"text_{network}" for network in NETWORKS)
COLUMNS = (*REQUIRED_COLUMNS, "media_urls", "campaign", "labels", *NETWORK_TEXT_COLUMNS, "alt_text")
# Header names (lower case, spaces and dashes as "_") -> column. Finnish names are welcome.
ALIASES: dict[str, str] = {
    **{name: name for name in COLUMNS},
    "teksti": "text",
    "account": "accounts",
    "tili": "accounts",
    "tilit": "accounts",
    "aika": "time",
    "julkaisuaika": "time",
    "media": "media_urls",
    "media_url": "media_urls",
    "kuvat": "media_urls",
    "kampanja": "campaign",
    "label": "labels",
    "tunniste": "labels",
    "tunnisteet": "labels",
    "alt": "alt_text",
    "alt_teksti": "alt_text",
    "alt_tekstit": "alt_text",
    **{f"teksti_{network}": f"text_{network}" for network in NETWORKS},
}
_DELIMITERS = (",", ";", "\t")
_ACCOUNT_SEPARATORS = re.compile(r"[;|]")
_EXCEL_SEPARATOR_LINE = re.compile(r"\s*sep=.\s*", re.IGNORECASE)
# Control characters other than tab and line breaks: binary data, whatever it decoded as.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+|T)(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")
# 31.5.2030 14.30, 31.05.2030 14:30, 31.5.2030 klo 9.30 (the way Finnish people write times).
_FINNISH_TIME = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(?:klo\.?\s*)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?", re.IGNORECASE
)
_MEDIA_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
_VIDEO_EXTENSIONS = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"}


# Reading the file ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "utf-8", "utf-8-sig" or "cp1252"


@dataclass(frozen=True)
class Table:
    """How the file is laid out: its delimiter, its header row and which column is where."""

    delimiter: str
    header_row: int  # the spreadsheet row of the header (1 unless blank rows come first)
    columns: dict[str, int]  # column -> position
    width: int
    ignored: tuple[str, ...]  # header names smm does not use


@dataclass(frozen=True)
class CsvUpload:
    """What `csv_import_create` stored, and what the person should be told about reading it."""

    csv_import: CsvImport
    encoding: str
    ignored_columns: tuple[str, ...]


def _file_error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _not_text() -> ValidationError:
    return _file_error(
        _(
            "This does not look like a CSV file: it contains binary data. In your spreadsheet, choose "
            "“Save as” and the format “CSV UTF-8 (comma delimited)”."
        ),
        "binary",
    )


def csv_decode(data: bytes) -> Decoded:
    """The file as text: UTF-8 (with or without BOM), else Windows-1252 if that decodes cleanly."""
    if not data.strip():
        raise _file_error(_("The file is empty."), "empty")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _file_error(
            _(
                "This is an Excel workbook, not a CSV file. In Excel choose File → Save as, and the format "
                "“CSV UTF-8 (comma delimited)”."
            ),
            "workbook",
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _file_error(
            _("The file is saved as UTF-16 (“Unicode text”). Save it as “CSV UTF-8 (comma delimited)” instead."),
            "utf16",
        )
    encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        if encoding == "utf-8-sig":  # it says UTF-8 and is not: nothing else can be trusted either
            raise _not_text() from None
        # Not UTF-8: Excel on Windows saves "CSV (comma delimited)" in the Windows code page. Five
        # byte values are undefined in it, so strict decoding still refuses much random data.
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            raise _file_error(
                _(
                    "smm could not read the letters in this file. Save it as “CSV UTF-8 (comma delimited)” "
                    "and upload it again."
                ),
                "encoding",
            ) from None
    if _BINARY.search(text):
        raise _not_text()
    return Decoded(text=text, encoding=encoding)


def encoding_label(encoding: str) -> str:
    """The encoding as people know it."""
    labels = {
        "utf-8": "UTF-8",
        "utf-8-sig": _("UTF-8 (with a byte order mark)"),
        "cp1252": _("Windows-1252 (Excel on Windows)"),
    }
    return str(labels.get(encoding, encoding))


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower())


def _reader(text: str, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _unreadable(row: int) -> ValidationError:
    return _file_error(
        _(
            "Row %(row)s could not be read as CSV. Check that every text with quotes in it starts and ends "
            "with a double quote."
        )
        % {"row": row},
        "csv",
    )


def _first_record(text: str, delimiter: str) -> tuple[int, list[str]] | None:
    """The first row that is not blank, and its spreadsheet row number.

    Excel's "sep=;" line, which tells Excel the delimiter, is skipped: it is not the header.
    """
    try:
        for number, cells in enumerate(_reader(text, delimiter), start=1):
            if not any(cell.strip() for cell in cells) or _EXCEL_SEPARATOR_LINE.fullmatch(delimiter.join(cells)):
                continue
            return number, cells
    except csv.Error:
        return None
    return None


def csv_table(text: str) -> Table:
    """Find the header: the delimiter (`,` `;` or tab) under which it names the most known columns.

    csv.Sniffer guesses from character counts and is easily fooled by commas in the texts; the
    header is the one row whose content we know, so it decides.
    """
    best: tuple[tuple[int, int], str, int, list[str]] | None = None
    for delimiter in _DELIMITERS:
        found = _first_record(text, delimiter)
        if found is None:
            continue
        number, cells = found
        known = sum(1 for cell in cells if _normalise_header(cell) in ALIASES)
        score = (known, len(cells))
        if best is None or score > best[0]:
            best = (score, delimiter, number, cells)
    if best is None:
        raise _file_error(_("The file is empty."), "empty")
    _score, delimiter, header_row, cells = best
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for position, cell in enumerate(cells):
        column = ALIASES.get(_normalise_header(cell))
        if column is None:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if column in columns:
            raise _file_error(
                _("The column “%(column)s” appears twice in the first row.") % {"column": column}, "duplicate_column"
            )
        columns[column] = position
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise _file_error(
            ngettext(
                "The first row must name the columns, and the column %(columns)s is missing. The file needs the "
                "columns text, accounts and time (teksti, tilit, aika); download the example to see the layout.",
                "The first row must name the columns, and the columns %(columns)s are missing. The file needs the "
                "columns text, accounts and time (teksti, tilit, aika); download the example to see the layout.",
                len(missing),
            )
            % {"columns": ", ".join(f"“{column}”" for column in missing)},
            "missing_columns",
        )
    return Table(delimiter=delimiter, header_row=header_row, columns=columns, width=len(cells), ignored=tuple(ignored))


def csv_records(text: str, table: Table) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) for each data row that is not blank, read lazily."""
    reader = _reader(text, table.delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if number <= table.header_row or not any(cell.strip() for cell in cells):
                continue
            yield number, cells
    except csv.Error as error:
        raise _unreadable(number + 1) from error


def csv_count_rows(text: str, table: Table) -> int:
    """The number of data rows; refused as soon as it passes MAX_ROWS, without reading further."""
    count = 0
    for _row in csv_records(text, table):
        count += 1
        if count > MAX_ROWS:
            raise _file_error(
                _("The file has more than %(limit)s rows. Split it into files of at most %(limit)s posts.")
                % {"limit": formats.number_format(MAX_ROWS, force_grouping=True)},
                "too_many_rows",
            )
    return count


def _too_large_file() -> ValidationError:
    return _file_error(
        _("The file is larger than %(limit)s. Split it into smaller files.")
        % {"limit": filesizeformat(MAX_FILE_BYTES)},
        "too_large",
    )


# Services ------------------------------------------------------------------------------------------
def csv_import_create(*, membership: Membership, file: UploadedFile, zone: str) -> CsvUpload:
    """Store an uploaded CSV and enqueue its check; ValidationError for a file that cannot be imported at all."""
    from publishing.tasks import csv_import_check_task

    if not membership.can_publish:
        raise PermissionDenied
    validate_timezone(zone)
    if file.size is not None and file.size > MAX_FILE_BYTES:
        raise _too_large_file()
    file.seek(0)
    data = file.read(MAX_FILE_BYTES + 1)  # the size the client declared is not trusted
    if len(data) > MAX_FILE_BYTES:
        raise _too_large_file()
    decoded = csv_decode(data)
    table = csv_table(decoded.text)
    total = csv_count_rows(decoded.text, table)
    if total == 0:
        raise _file_error(_("The file has a header row but no posts below it."), "no_rows")
    with transaction.atomic():
        csv_import = CsvImport(
            workspace=membership.workspace,
            created_by=membership.user,
            file_name=media_services.clean_file_name(file.name or "posts.csv"),
            content=decoded.text,
            timezone=zone,
            total_rows=total,
        )
        csv_import.full_clean()
        csv_import.save()
        transaction.on_commit(partial(csv_import_check_task.delay, csv_import.pk))
    return CsvUpload(csv_import=csv_import, encoding=decoded.encoding, ignored_columns=table.ignored)


def staging_dir(import_id: int) -> Path:
    """Where the media fetched for an import wait: MEDIA_ROOT/imports/<id>/.

    The bytes are kept, rather than fetched again at import: the import runs in a web request
    and in one transaction, and fetching up to thousands of URLs there would hold both open for
    minutes (network I/O inside a transaction is what the engine avoids too). Keeping them also
    imports exactly what the preview checked, where a URL could answer differently, or not at
    all, an hour later. They are not MediaAssets yet because the import is all or nothing: a
    discarded or failed import must leave nothing in the media library. The directory is removed
    when the import is run (after commit) or discarded. MEDIA_ROOT is shared by the web and
    worker containers (docker-compose.yml mounts one volume).
    """
    return Path(settings.MEDIA_ROOT) / "imports" / str(int(import_id))


def _remove_staging(import_id: int) -> None:
    shutil.rmtree(staging_dir(import_id), ignore_errors=True)


@dataclass
class _Context:
    """What every row of one check needs, loaded once."""

    csv_import: CsvImport
    membership: Membership
    now: datetime
    accounts: dict[int, ConnectedAccount]  # visible to the member, by id
    handles: dict[str, list[ConnectedAccount]]
    levels: dict[int, int]
    campaigns: dict[str, Campaign]
    labels: dict[str, Label]
    staging: Path
    fetched: dict[str, dict[str, Any] | str] = field(default_factory=dict)  # url -> staged file or error
    fetched_bytes: int = 0
    fetch_ends_at: float = 0.0
    seen: dict[tuple[int, str], int] = field(default_factory=dict)  # (account, text) -> first row


class _Abandoned(Exception):
    """The import stopped being `checking` under the check (discarded, or checked by a twin task)."""


def _handle_key(value: str) -> str:
    return value.strip().lstrip("@").lower()


def _context(csv_import: CsvImport, membership: Membership, now: datetime) -> _Context:
    access = [item for item in account_access_for_member(membership) if item.effective >= AccountLevel.VIEW]
    accounts = {item.account.pk: item.account for item in access}
    handles: dict[str, list[ConnectedAccount]] = {}
    for account in accounts.values():
        handles.setdefault(_handle_key(account.handle), []).append(account)
    workspace_id = csv_import.workspace_id
    return _Context(
        csv_import=csv_import,
        membership=membership,
        now=now,
        accounts=accounts,
        handles=handles,
        levels={item.account.pk: item.effective for item in access},
        campaigns={campaign.name.lower(): campaign for campaign in Campaign.objects.filter(workspace_id=workspace_id)},
        labels={label.name.lower(): label for label in Label.objects.filter(workspace_id=workspace_id)},
        staging=staging_dir(csv_import.pk),
        fetch_ends_at=time.monotonic() + MEDIA_TOTAL_SECONDS,
    )


def csv_import_check(*, import_id: int, now: datetime | None = None) -> str:
    """Check every row of an import that is `checking` and store the verdict; a repeat starts over.

    Runs outside any transaction, so the progress is visible while it works. An import discarded
    meanwhile stops the check, and its staged media are removed.
    """
    csv_import = CsvImport.objects.select_related("workspace", "created_by").filter(pk=import_id).first()
    if csv_import is None or csv_import.status != Status.CHECKING:
        return "skipped"
    user = csv_import.created_by
    language = (user.language if user else "") or csv_import.workspace.language or settings.LANGUAGE_CODE
    with translation.override(language):
        membership = (
            Membership.objects.select_related("workspace", "user")
            .filter(workspace_id=csv_import.workspace_id, user=user)
            .first()
        )
        rows: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        file_error = ""
        try:
            if membership is None or not membership.can_publish:
                raise _file_error(
                    _("The person who uploaded the file can no longer publish in this workspace."), "uploader"
                )
            context = _context(csv_import, membership, now or timezone.now())
            table = csv_table(csv_import.content)
            for checked, (number, cells) in enumerate(csv_records(csv_import.content, table), start=1):
                row, row_errors = _check_row(context, table, number, cells)
                rows.append(row)
                errors.extend({"row": number, "message": message} for message in row_errors)
                updated = CsvImport.objects.filter(pk=import_id, status=Status.CHECKING).update(checked_rows=checked)
                if not updated:
                    raise _Abandoned
        except _Abandoned:
            return _abandon(import_id)
        except ValidationError as error:  # the file itself, found on the way
            file_error = " ".join(error.messages)
        except Exception:
            logger.exception("CSV import %s: the check failed", import_id)
            file_error = _(
                "The check stopped because of an error in smm. Discard this import and upload the file again."
            )
    status = Status.INVALID if errors or file_error else Status.READY
    updated = CsvImport.objects.filter(pk=import_id, status=Status.CHECKING).update(
        rows=rows, errors=errors, error=file_error, status=status, checked_rows=len(rows)
    )
    if not updated:
        return _abandon(import_id)
    return str(status)


def _abandon(import_id: int) -> str:
    """Stop a check whose import is no longer `checking`; its media go only if it was discarded.

    A redelivered task can check the same import twice at once: the twin that finishes second
    must not remove the files the finished check (now `ready`) points at.
    """
    status = CsvImport.objects.filter(pk=import_id).values_list("status", flat=True).first()
    if status in (None, Status.DISCARDED):
        _remove_staging(import_id)
    return "stopped"


# One row -------------------------------------------------------------------------------------------
def _cell(table: Table, cells: Sequence[str], column: str) -> str:
    position = table.columns.get(column)
    if position is None or position >= len(cells):
        return ""
    return cells[position].replace("\r\n", "\n").replace("\r", "\n").strip()


def parse_local_time(value: str) -> datetime:
    """A wall-clock time as written in the file; ValueError names what was wrong ("format" or "date")."""
    value = " ".join(value.split())
    match = _ISO_TIME.fullmatch(value)
    if match is not None:
        year, month, day, hour, minute, second = match.groups()
    else:
        match = _FINNISH_TIME.fullmatch(value)
        if match is None:
            raise ValueError("format")
        day, month, year, hour, minute, second = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))  # noqa: DTZ001 - a wall time in the import's zone
    except ValueError:
        raise ValueError("date") from None


def _check_time(context: _Context, value: str, errors: list[str], warnings: list[str]) -> datetime | None:
    zone = context.csv_import.timezone
    if not value:
        errors.append(_("The time is empty."))
        return None
    try:
        local = parse_local_time(value)
    except ValueError as error:
        if str(error) == "date":
            errors.append(_("There is no such day or time as “%(value)s”.") % {"value": value})
        else:
            errors.append(
                _("“%(value)s” is not a time smm understands. Write it like 2030-05-31 14:30 or 31.5.2030 14.30.")
                % {"value": value}
            )
        return None
    instant = wall_to_utc(local, zone)
    shown = local.strftime("%Y-%m-%d %H:%M")
    if instant < context.now - posts.PAST_TOLERANCE:
        errors.append(_("%(time)s (%(zone)s) has already passed.") % {"time": shown, "zone": zone})
        return local
    actual = utc_to_wall(instant, zone)
    if actual != local:
        warnings.append(
            _("%(time)s does not exist in %(zone)s (the clocks go forward that night); it goes out at %(actual)s.")
            % {"time": shown, "zone": zone, "actual": actual.strftime("%H:%M")}
        )
    elif local.replace(tzinfo=ZoneInfo(zone), fold=1).astimezone(UTC) != instant:  # the later of two
        warnings.append(
            _("%(time)s happens twice in %(zone)s (the clocks go back that night); it goes out at the first.")
            % {"time": shown, "zone": zone}
        )
    return local


def _check_accounts(context: _Context, value: str, errors: list[str]) -> list[ConnectedAccount]:
    tokens = [token.strip() for token in _ACCOUNT_SEPARATORS.split(value) if token.strip()]
    if not tokens:
        errors.append(_("No accounts. List account handles or ids, separated by “;”."))
        return []
    chosen: list[ConnectedAccount] = []
    for token in tokens:
        if token.isdigit() and int(token) in context.accounts:
            matches = [context.accounts[int(token)]]
        else:
            matches = context.handles.get(_handle_key(token), [])
        if not matches:
            errors.append(_("“%(account)s” is not a connected account of this workspace.") % {"account": token})
            continue
        if len(matches) > 1:
            errors.append(
                _("“%(account)s” matches accounts on several networks; use the account id instead.")
                % {"account": token}
            )
            continue
        account = matches[0]
        if not account.is_connected:
            errors.append(_("%(account)s is disconnected. Connect it again first.") % {"account": account})
        elif not is_enabled(account.network):
            errors.append(
                _("Publishing to %(network)s is turned off on this server.")
                % {"network": account.get_network_display()}
            )
        elif context.levels.get(account.pk, AccountLevel.NONE) < AccountLevel.PUBLISH:
            errors.append(_("You may not publish to %(account)s.") % {"account": account})
        elif account not in chosen:
            chosen.append(account)
    return chosen


def _check_labels(value: str, known: dict[str, Label], errors: list[str]) -> list[Label]:
    found: list[Label] = []
    for name in (part.strip() for part in value.split(";")):
        if not name:
            continue
        label = known.get(name.lower())
        if label is None:
            errors.append(_("There is no label called “%(name)s”.") % {"name": name})
        elif label not in found:
            found.append(label)
    return found


def _check_campaign(context: _Context, value: str, errors: list[str]) -> Campaign | None:
    if not value:
        return None
    campaign = context.campaigns.get(value.lower())
    if campaign is None:
        errors.append(_("There is no campaign called “%(name)s”.") % {"name": value})
    elif campaign.archived:
        errors.append(_("The campaign “%(name)s” is archived.") % {"name": campaign.name})
        return None
    return campaign


def _url_file_name(url: str, mime_type: str) -> str:
    """A file name for the library: the URL's last path segment, with the extension of what it really is."""
    extension = _MEDIA_EXTENSIONS.get(mime_type) or _VIDEO_EXTENSIONS.get(mime_type, "bin")
    stem = media_services.clean_file_name(unquote(urlsplit(url).path.rsplit("/", 1)[-1])).rsplit(".", 1)[0]
    if stem in ("", "upload"):
        stem = "image" if mime_type.startswith("image/") else "video"
    return f"{stem[:200]}.{extension}"


def _inspect_media(data: bytes, url: str) -> dict[str, Any]:
    """What a fetched file is, judged by the same checks as an upload to the media library.

    media.py has no public "inspect without storing" service yet; these are the very checks
    `media_upload` runs at import, so the preview refuses exactly what the import would.
    """
    head = data[:4096]
    kind = media_services._sniff(head)
    if kind not in (MediaAsset.Kind.IMAGE, MediaAsset.Kind.VIDEO):
        raise ValidationError(
            _("it is not a picture or video smm can publish (JPEG, PNG, GIF, WebP, MP4, MOV or WebM)."),
            code="unsupported",
        )
    upload = SimpleUploadedFile("fetched", data)
    if kind == MediaAsset.Kind.IMAGE:
        inspected = media_services._inspect_image(upload)
    else:
        inspected = media_services._inspect_video(upload, head)
    mime_type = inspected.format.mime_type
    return {
        "url": url,
        "name": _url_file_name(url, mime_type),
        "kind": str(inspected.format.kind),
        "mime_type": mime_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "width": inspected.width,
        "height": inspected.height,
        "duration": inspected.duration_seconds,
    }


def _fetch(context: _Context, url: str) -> dict[str, Any] | str:
    """The staged file for a media URL, or why it cannot be used (each URL is fetched once per import)."""
    if url in context.fetched:
        return context.fetched[url]
    result: dict[str, Any] | str
    if len(url) > URL_MAX_LENGTH:
        result = _("the address is longer than %(limit)s characters.") % {"limit": URL_MAX_LENGTH}
    elif context.fetched_bytes >= MEDIA_TOTAL_BYTES:
        result = _("the media of this file add up to more than %(limit)s; smm stopped fetching.") % {
            "limit": filesizeformat(MEDIA_TOTAL_BYTES)
        }
    elif time.monotonic() > context.fetch_ends_at:
        result = _("fetching the media of this file took more than %(minutes)s minutes; smm stopped.") % {
            "minutes": MEDIA_TOTAL_SECONDS // 60
        }
    else:
        result = _download(context, url)
    context.fetched[url] = result
    return result


def _download(context: _Context, url: str) -> dict[str, Any] | str:
    try:
        # The one door to user-given URLs: public addresses only, pinned, capped in size and time.
        response = safe_get(url, max_bytes=MEDIA_MAX_BYTES, timeout=MEDIA_TIMEOUT, deadline=MEDIA_DEADLINE)
    except UnsafeURLError as error:
        return str(error)
    except ResponseTooLargeError:
        return _("it is larger than %(limit)s.") % {"limit": filesizeformat(MEDIA_MAX_BYTES)}
    except requests.Timeout:
        return _("the server took too long to answer.")
    except requests.TooManyRedirects:
        return _("the server forwarded smm too many times.")
    except requests.RequestException:
        return _("smm could not connect to the server.")
    if response.status_code != 200:
        return _("the server answered with status %(status)s instead of the file.") % {"status": response.status_code}
    data = response.content
    context.fetched_bytes += len(data)
    try:
        staged = _inspect_media(data, url)
    except ValidationError as error:
        return " ".join(error.messages)
    context.staging.mkdir(parents=True, exist_ok=True)
    name = f"{staged['sha256']}.{staged['name'].rsplit('.', 1)[-1]}"
    # Written aside and renamed, so a twin check never leaves a half-written file under the name.
    partial_path = context.staging / f"{name}.{os.getpid()}.{threading.get_ident()}.part"
    partial_path.write_bytes(data)
    os.replace(partial_path, context.staging / name)
    staged["file"] = name
    return staged


def _check_media(context: _Context, urls_value: str, alt_value: str, errors: list[str]) -> list[dict[str, Any]]:
    urls = urls_value.split()
    alt_texts = [part.strip() for part in alt_value.split(";")] if alt_value else []
    if len(urls) > MAX_MEDIA_PER_ROW:
        errors.append(_("At most %(limit)s media URLs in one row.") % {"limit": MAX_MEDIA_PER_ROW})
        return []
    if len(alt_texts) > len(urls):
        errors.append(
            _("There are more alt texts (%(alt)s) than media URLs (%(media)s). Separate alt texts with “;”.")
            % {"alt": len(alt_texts), "media": len(urls)}
        )
    items: list[dict[str, Any]] = []
    for position, url in enumerate(urls):
        alt_text = alt_texts[position] if position < len(alt_texts) else ""
        if len(alt_text) > media_services.ALT_TEXT_MAX_LENGTH:
            errors.append(
                _("Alt text %(number)s is longer than %(limit)s characters.")
                % {"number": position + 1, "limit": media_services.ALT_TEXT_MAX_LENGTH}
            )
        staged = _fetch(context, url)
        if isinstance(staged, str):
            errors.append(_("Media %(url)s: %(error)s") % {"url": url, "error": staged})
            continue
        items.append({**staged, "alt_text": alt_text})
    return items


def _staged_asset(workspace_id: int, item: dict[str, Any]) -> MediaAsset:
    """An unsaved MediaAsset for the network checks, so staged files are judged like library files."""
    asset = MediaAsset(
        workspace_id=workspace_id,
        kind=item["kind"],
        original_name=item["name"],
        mime_type=item["mime_type"],
        size_bytes=item["size"],
        sha256=item["sha256"],
        width=item["width"],
        height=item["height"],
        duration_seconds=item["duration"],
        alt_text=item["alt_text"],
    )
    if asset.kind == MediaAsset.Kind.VIDEO:
        # The checks ask a video for its subtitles, a query Django refuses without a primary key.
        # A fetched video has none; no row has id 0, so the query finds none. Never saved.
        asset.pk = 0
    return asset


def _check_row(context: _Context, table: Table, number: int, cells: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The normalised row for the preview and the import, and its errors (empty when it can be imported)."""
    errors: list[str] = []
    warnings: list[str] = []
    if len(cells) > table.width and any(cell.strip() for cell in cells[table.width :]):
        delimiter = {"\t": _("tab")}.get(table.delimiter, table.delimiter)
        errors.append(
            _(
                "The row has more values than the file has columns. Put a text that contains “%(delimiter)s” "
                "in double quotes."
            )
            % {"delimiter": delimiter}
        )
    text = _cell(table, cells, "text")
    if not text:
        errors.append(_("The text is empty."))
    network_texts = {
        column.removeprefix("text_"): value for column in NETWORK_TEXT_COLUMNS if (value := _cell(table, cells, column))
    }
    accounts = _check_accounts(context, _cell(table, cells, "accounts"), errors)
    local = _check_time(context, _cell(table, cells, "time"), errors, warnings)
    campaign = _check_campaign(context, _cell(table, cells, "campaign"), errors)
    labels = _check_labels(_cell(table, cells, "labels"), context.labels, errors)
    media = _check_media(context, _cell(table, cells, "media_urls"), _cell(table, cells, "alt_text"), errors)
    workspace_id = context.csv_import.workspace_id

    if accounts and text:
        data = posts.PostInput(
            text=text,
            accounts=accounts,
            network_texts=network_texts,
            media=[_staged_asset(workspace_id, item) for item in media],
            campaign=campaign,
            labels=labels,
        )
        for check in posts.check_post(workspace_id=workspace_id, data=data).values():
            errors.extend(f"{check.account}: {issue.message}" for issue in check.errors)
            warnings.extend(f"{check.account}: {issue.message}" for issue in check.warnings if issue.level == "warning")
        if local is not None and not errors:
            _confirmation_warnings(context, data, wall_to_utc(local, context.csv_import.timezone), number, warnings)

    row = {
        "row": number,
        "text": text,
        "network_texts": network_texts,
        "accounts": [account.pk for account in accounts],
        "account_names": [str(account) for account in accounts],
        "local": local.isoformat() if local else "",
        "media": media,
        "campaign": campaign.pk if campaign else None,
        "campaign_name": campaign.name if campaign else "",
        "labels": [label.pk for label in labels],
        "label_names": [label.name for label in labels],
        "warnings": warnings,
    }
    return row, errors


def _confirmation_warnings(
    context: _Context, data: posts.PostInput, instant: datetime, number: int, warnings: list[str]
) -> None:
    """What the composer would ask to confirm (blackouts, repeated text), shown in the preview instead.

    The import then saves with confirmed=True: the person saw these before choosing to import.
    """
    for account in data.accounts:
        blackout = queues.blackout_at(account=account, instant=instant)
        if blackout is not None:
            warnings.append(
                _("%(account)s: falls in the blackout “%(title)s”.") % {"account": account, "title": blackout.title}
            )
        key = (account.pk, " ".join(data.text.lower().split()))
        first = context.seen.setdefault(key, number)
        if first != number:
            warnings.append(_("%(account)s: the same text as row %(row)s.") % {"account": account, "row": first})
    for duplicate in posts.post_duplicates(workspace_id=context.csv_import.workspace_id, data=data, now=context.now):
        warnings.append(
            _("%(account)s already has a very similar post: “%(post)s”.")
            % {"account": duplicate.account, "post": duplicate.post}
        )


# Import and discard --------------------------------------------------------------------------------
class _RowFailed(Exception):
    def __init__(self, row: int, messages: list[str]) -> None:
        super().__init__(row, messages)
        self.row = row
        self.messages = messages


def _asset_for(
    membership: Membership,
    csv_import: CsvImport,
    item: dict[str, Any],
    assets: dict[tuple[str, str], MediaAsset],
    written: list[str],
) -> MediaAsset:
    """The library file for a staged media item, created once per (file, alt text) of the import."""
    key = (str(item["file"]), str(item["alt_text"]))
    if key in assets:
        return assets[key]
    path = staging_dir(csv_import.pk) / Path(str(item["file"])).name
    try:
        data = path.read_bytes()
    except OSError:
        raise ValidationError(
            _("The file fetched from %(url)s is gone. Discard this import and upload the CSV again.")
            % {"url": item["url"]}
        ) from None
    asset = media_services.media_upload(
        workspace=membership.workspace,
        uploaded_by=membership.user,
        file=SimpleUploadedFile(str(item["name"]), data),
        alt_text=str(item["alt_text"]),
    )
    written.extend(str(name) for name in (asset.file.name, asset.thumbnail.name) if name)
    asset.source_url = str(item["url"])
    asset.save(update_fields=["source_url"])
    assets[key] = asset
    return asset


def _post_input(
    membership: Membership,
    csv_import: CsvImport,
    row: dict[str, Any],
    assets: dict[tuple[str, str], MediaAsset],
    written: list[str],
) -> posts.PostInput:
    """The stored row as composer input, every object looked up again in this workspace."""
    workspace_id = membership.workspace_id
    accounts = list(ConnectedAccount.objects.for_workspace(workspace_id).filter(pk__in=row["accounts"]))
    if len(accounts) != len(row["accounts"]):
        raise ValidationError(_("An account of this row is no longer connected to the workspace."))
    by_id = {account.pk: account for account in accounts}
    campaign = None
    if row.get("campaign"):
        campaign = Campaign.objects.filter(workspace_id=workspace_id, pk=row["campaign"]).first()
        if campaign is None:
            raise ValidationError(_("The campaign “%(name)s” was deleted.") % {"name": row["campaign_name"]})
    labels = list(Label.objects.filter(workspace_id=workspace_id, pk__in=row.get("labels") or []))
    if len(labels) != len(row.get("labels") or []):
        raise ValidationError(_("A label of this row was deleted."))
    return posts.PostInput(
        text=row["text"],
        accounts=[by_id[pk] for pk in row["accounts"]],
        network_texts=dict(row.get("network_texts") or {}),
        media=[_asset_for(membership, csv_import, item, assets, written) for item in row.get("media") or []],
        campaign=campaign,
        labels=labels,
    )


def csv_import_run(*, membership: Membership, csv_import: CsvImport) -> CsvImport:
    """Create every post of a `ready` import (and its media) in one transaction: all of them or none.

    A row that fails now (its time passed, an account went away) rolls everything back; the
    import is then marked invalid with that row's error, and ValidationError says so.
    """
    if not membership.can_publish:
        raise PermissionDenied
    written: list[str] = []  # media files stored so far; files do not roll back with the transaction
    try:
        with transaction.atomic():
            locked = CsvImport.objects.select_for_update().get(pk=csv_import.pk, workspace_id=membership.workspace_id)
            if locked.status != Status.READY:
                raise ValidationError(_("Only a checked import without errors can be imported."), code="not_ready")
            assets: dict[tuple[str, str], MediaAsset] = {}
            created = 0
            for row in locked.rows:
                try:
                    posts.post_save(
                        membership=membership,
                        data=_post_input(membership, locked, row, assets, written),
                        when=posts.When.AT,
                        at_local=datetime.fromisoformat(row["local"]),
                        zone=locked.timezone,
                        confirmed=True,  # the preview showed the blackouts and repeated texts
                        source=Post.Source.CSV,
                    )
                except ValidationError as error:
                    raise _RowFailed(int(row["row"]), list(error.messages)) from error
                created += 1
            locked.status = Status.IMPORTED
            locked.posts_created = created
            locked.imported_at = timezone.now()
            locked.content = ""
            locked.save(update_fields=["status", "posts_created", "imported_at", "content"])
            transaction.on_commit(partial(_remove_staging, locked.pk))
    except _RowFailed as failure:
        _delete_files(written)
        message = _("Nothing was imported: row %(row)s could not be scheduled.") % {"row": failure.row}
        CsvImport.objects.filter(pk=csv_import.pk, status=Status.READY).update(
            status=Status.INVALID,
            error=message,
            errors=[{"row": failure.row, "message": text} for text in failure.messages],
        )
        raise ValidationError([message, *failure.messages], code="row_failed") from None
    except BaseException:
        _delete_files(written)
        raise
    return locked


def _delete_files(names: Sequence[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete media file %s after a failed import", name, exc_info=True)


def csv_import_discard(*, membership: Membership, csv_import: CsvImport) -> CsvImport:
    """Throw away an import that was not imported: its text, rows and fetched media."""
    if not membership.can_publish:
        raise PermissionDenied
    with transaction.atomic():
        locked = CsvImport.objects.select_for_update().get(pk=csv_import.pk, workspace_id=membership.workspace_id)
        if locked.status == Status.IMPORTED:
            raise ValidationError(_("This file was already imported; its posts are in the calendar."), code="imported")
        if locked.status != Status.DISCARDED:
            locked.status = Status.DISCARDED
            locked.content = ""
            locked.rows = []
            locked.errors = []
            locked.save(update_fields=["status", "content", "rows", "errors"])
        transaction.on_commit(partial(_remove_staging, locked.pk))
    return locked


def csv_imports_discard_stale(*, older_than: timedelta = STALE_AFTER, now: datetime | None = None) -> int:
    """Discard imports left unimported for `older_than`, so their text and fetched media do not pile up."""
    before = (now or timezone.now()) - older_than
    stale = list(
        CsvImport.objects.filter(
            status__in=(Status.CHECKING, Status.READY, Status.INVALID), created_at__lt=before
        ).values_list("pk", flat=True)
    )
    discarded = 0
    for import_id in stale:
        with transaction.atomic():
            still_open = CsvImport.objects.filter(
                pk=import_id, status__in=(Status.CHECKING, Status.READY, Status.INVALID)
            )
            if still_open.update(status=Status.DISCARDED, content="", rows=[], errors=[]):
                discarded += 1
                transaction.on_commit(partial(_remove_staging, import_id))
    return discarded


def csv_import_example(*, membership: Membership, now: datetime | None = None) -> str:
    """A small sample file: the header and two rows, for accounts the member may publish to if any."""
    handles = [
        item.account.handle
        for item in account_access_for_member(membership)
        if item.effective >= AccountLevel.PUBLISH and item.account.is_connected
    ][:2] or ["@brand@mastodon.social", "brand.bsky.social"]
    tomorrow = timezone.localtime(now or timezone.now()).date() + timedelta(days=1)
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    first = {
        "text": _("Our spring sale starts today! See the offers in our shop."),
        "accounts": ";".join(handles),
        "time": f"{tomorrow:%Y-%m-%d} 09:00",
        "labels": "",
        "text_bluesky": _("Spring sale starts today!"),
    }
    second = {
        "text": _("Thank you for visiting our stand at the fair."),
        "accounts": handles[0],
        "time": f"{tomorrow.day}.{tomorrow.month}.{tomorrow.year} 14.30",
    }
    for row in (first, second):
        writer.writerow([row.get(column, "") for column in COLUMNS])
    return output.getvalue()
