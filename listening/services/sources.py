"""Listening sources: adding and changing them, collecting from them on a schedule, and imports.

Collection (`source_collect`) reads a source (listening/sources/), hands the items to the pipeline
(`ingest`) and only then moves the source's cursor, so a failed run is read again next time; the
source's health (last run, last success, last error, items) is kept on the row. Two runs of one
source never overlap: a run holds a PostgreSQL advisory lock keyed by the source while it reads,
and a run that cannot take it does nothing. Network I/O happens outside any transaction.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from listening.models import ImportToken, Source
from listening.services.pipeline import IngestResult, RawItem, ingest
from listening.sources import ReadResult, SourceError, read
from listening.sources.imports import ImportFileError, ParsedRows, RowError, parse_csv, parse_json
from smm.accounts.access import require
from smm.accounts.models import AccountLevel, AuditEvent, Membership, Workspace
from smm.accounts.selectors import account_access_for_member
from smm.accounts.services import audit_record
from smm.networks.models import ConnectedAccount

logger = logging.getLogger(__name__)

# How often a source is read (the "listening-collect" task runs every minute and picks the due
# ones). Network reads stay far inside the networks' limits (docs/NETWORKS.md: Mastodon 300
# requests / 5 min per account, a run makes at most 5).
INTERVALS: dict[str, timedelta] = {
    Source.Kind.MASTODON_HASHTAG: timedelta(minutes=3),
    Source.Kind.MASTODON_PUBLIC: timedelta(minutes=3),
    Source.Kind.MASTODON_SEARCH: timedelta(minutes=5),
    Source.Kind.BLUESKY_SEARCH: timedelta(minutes=3),
    Source.Kind.FEED: timedelta(minutes=15),
    Source.Kind.INBOX: timedelta(minutes=1),
}
# The beat tick is not exact: a source due within this much is taken in this minute's run.
SLACK = timedelta(seconds=20)
NETWORK_OF_KIND: dict[str, str] = {
    Source.Kind.MASTODON_HASHTAG: "mastodon",
    Source.Kind.MASTODON_PUBLIC: "mastodon",
    Source.Kind.MASTODON_SEARCH: "mastodon",
    Source.Kind.BLUESKY_SEARCH: "bluesky",
}
SCHEDULED_KINDS = tuple(INTERVALS)
ERROR_MAX = 1000
_LOCK_CLASS = 0x15_7E  # advisory lock namespace for listening sources ("listen")

# Import endpoint limits.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ITEMS = 1000
IMPORT_REQUESTS_PER_MINUTE = 60
IMPORT_CSV_MAX_BYTES = 10 * 1024 * 1024


# Lookups for views ------------------------------------------------------------------------------
def sources_for_member(membership: Membership) -> QuerySet[Source]:
    return Source.objects.filter(workspace_id=membership.workspace_id).select_related("account")


def get_source_for_user(membership: Membership, source_id: int, *, write: bool = False) -> Source:
    source = sources_for_member(membership).filter(pk=source_id).first()
    if source is None:
        raise Http404
    if write:
        require(membership, "can_publish")
    return source


def accounts_for_sources(membership: Membership) -> list[ConnectedAccount]:
    """The connected Mastodon and Bluesky accounts the member sees, to read a network source with."""
    return [
        access.account
        for access in account_access_for_member(membership)
        if access.effective >= AccountLevel.VIEW
        and access.account.network in ("mastodon", "bluesky")
        and access.account.status != ConnectedAccount.Status.DISCONNECTED
    ]


def get_token_for_admin(membership: Membership, token_id: int) -> ImportToken:
    require(membership, "can_change_settings")
    token = ImportToken.objects.filter(workspace_id=membership.workspace_id, pk=token_id).first()
    if token is None:
        raise Http404
    return token


# Sources ----------------------------------------------------------------------------------------
@dataclass
class SourceInput:
    kind: str
    name: str
    value: str = ""
    account: ConnectedAccount | None = None
    active: bool = True


def _check(membership: Membership, data: SourceInput) -> None:
    require(membership, "can_publish")
    network = NETWORK_OF_KIND.get(data.kind)
    if network:
        _check_account(membership, data, network)
    elif data.account is not None:
        raise ValidationError({"account": _("This kind of source does not read through an account.")})
    if (
        data.kind
        in (
            Source.Kind.MASTODON_HASHTAG,
            Source.Kind.MASTODON_SEARCH,
            Source.Kind.BLUESKY_SEARCH,
            Source.Kind.FEED,
        )
        and not data.value.strip()
    ):
        raise ValidationError({"value": _("Say what to read.")})
    if data.kind == Source.Kind.FEED:
        _check_feed_url(data.value)
    if data.kind == Source.Kind.MASTODON_HASHTAG and not data.value.strip().lstrip("#").replace("_", "").isalnum():
        raise ValidationError({"value": _("A hashtag is one word of letters, digits and underscores.")})
    if data.kind in (Source.Kind.INBOX, Source.Kind.IMPORT):
        others = Source.objects.filter(workspace_id=membership.workspace_id, kind=data.kind)
        if others.exists():
            raise ValidationError({"kind": _("The workspace already has this source.")})


def _check_feed_url(url: str) -> None:
    """Refuse an address smm would never fetch (not http(s), private or local). A host that does not
    resolve right now is accepted: that is often temporary, and the source's health will say."""
    from smm.lib.http import HostNotFoundError, UnsafeURLError, check_url

    try:
        check_url(url.strip())
    except HostNotFoundError:
        return
    except UnsafeURLError as error:
        raise ValidationError({"value": str(error)}) from error


def source_create(*, membership: Membership, data: SourceInput) -> Source:
    _check(membership, data)
    source = Source(
        workspace_id=membership.workspace_id,
        kind=data.kind,
        name=data.name.strip(),
        value=data.value.strip(),
        account=data.account,
        active=data.active,
    )
    source.full_clean()
    with transaction.atomic():
        source.save()
        audit_record(
            action=AuditEvent.Action.LISTENING_SOURCE_CREATED,
            actor=membership.user,
            workspace=membership.workspace,
            target=f"source:{source.pk}",
            data={"kind": source.kind, "name": source.name},
        )
    return source


def source_update(*, membership: Membership, source: Source, data: SourceInput) -> Source:
    require(membership, "can_publish")
    data.kind = source.kind  # the kind never changes: its cursor means something only for it
    network = NETWORK_OF_KIND.get(source.kind)
    if network and data.account is not None and data.account.pk == source.account_id:
        pass  # keeping an account the member may not pick is fine
    elif network:
        _check_account(membership, data, network)
    if (data.kind == Source.Kind.FEED or data.kind in NETWORK_OF_KIND) and not data.value.strip():
        raise ValidationError({"value": _("Say what to read.")})
    if source.kind == Source.Kind.FEED:
        _check_feed_url(data.value)
    changed_what = data.value.strip() != source.value or (data.account and data.account.pk != source.account_id)
    source.name = data.name.strip()
    source.value = data.value.strip()
    source.account = data.account if network else None
    source.active = data.active
    fields = ["name", "value", "account", "active"]
    if changed_what:  # reading something else: start afresh
        source.cursor, source.etag, source.last_modified, source.last_error = "", "", "", ""
        fields += ["cursor", "etag", "last_modified", "last_error"]
    source.full_clean()
    with transaction.atomic():
        source.save(update_fields=fields)
        audit_record(
            action=AuditEvent.Action.LISTENING_SOURCE_CHANGED,
            actor=membership.user,
            workspace=membership.workspace,
            target=f"source:{source.pk}",
            data={"name": source.name},
        )
    return source


def _check_account(membership: Membership, data: SourceInput, network: str) -> None:
    if data.account is None or data.account.network != network:
        raise ValidationError(
            {"account": _("Choose a connected %(network)s account to read with.") % {"network": network}}
        )
    if data.account.pk not in {account.pk for account in accounts_for_sources(membership)}:
        raise ValidationError({"account": _("You cannot use this account.")})


def source_delete(*, membership: Membership, source: Source) -> None:
    """Delete a source; its mentions stay (their source becomes empty)."""
    require(membership, "can_publish")
    with transaction.atomic():
        audit_record(
            action=AuditEvent.Action.LISTENING_SOURCE_DELETED,
            actor=membership.user,
            workspace=membership.workspace,
            target=f"source:{source.pk}",
            data={"kind": source.kind, "name": source.name},
        )
        source.delete()


# Collecting -------------------------------------------------------------------------------------
@dataclass
class CollectResult:
    ran: bool = True  # False: another run of this source was going on
    read: int = 0
    stored: int = 0
    not_modified: bool = False
    error: str = ""
    ingest: IngestResult | None = field(default=None, repr=False)


def sources_due(*, now: datetime | None = None) -> list[int]:
    """Active scheduled sources whose interval has passed since their last run."""
    now = now or timezone.now()
    due: list[int] = []
    for kind, interval in INTERVALS.items():
        before = now - interval + SLACK
        due += (
            Source.objects.filter(kind=kind, active=True)
            .filter(Q(last_run_at__isnull=True) | Q(last_run_at__lte=before))
            .values_list("pk", flat=True)
        )
    return due


def _try_lock(source_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, source_id])
        return bool(cursor.fetchone()[0])


def _unlock(source_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, source_id])


def source_collect(*, source: Source, now: datetime | None = None) -> CollectResult:
    """Read one source and ingest what it gave. Never raises for a source problem: the error is
    stored on the source (last_error) and returned."""
    if source.kind not in SCHEDULED_KINDS:
        return CollectResult(ran=False)
    if not _try_lock(source.pk):
        return CollectResult(ran=False)
    try:
        return _collect(source, now=now or timezone.now())
    finally:
        _unlock(source.pk)


def _collect(source: Source, *, now: datetime) -> CollectResult:
    source.refresh_from_db()
    Source.objects.filter(pk=source.pk).update(last_run_at=now)
    result = CollectResult()
    try:
        found: ReadResult = read(source)
        ingested = ingest(workspace_id=source.workspace_id, source=source, items=found.items) if found.items else None
    except SourceError as error:
        result.error = error.message
    except Exception:
        logger.exception("Listening source failed: source=%s", source.pk)
        result.error = _("Something went wrong while reading this source. smm tries again at the next run.")
    if result.error:
        Source.objects.filter(pk=source.pk).update(last_error=result.error[:ERROR_MAX])
        return result
    result.read = len(found.items)
    result.not_modified = found.not_modified
    result.ingest = ingested
    result.stored = ingested.stored if ingested else 0
    changes: dict[str, Any] = {
        "last_success_at": now,
        "last_error": "",
        "items_total": F("items_total") + result.stored,
    }
    if found.cursor is not None:
        changes["cursor"] = found.cursor[:500]
    if found.etag is not None:
        changes["etag"] = found.etag
    if found.last_modified is not None:
        changes["last_modified"] = found.last_modified
    Source.objects.filter(pk=source.pk).update(**changes)
    return result


# Imports ----------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)


def import_source(workspace: Workspace) -> Source:
    """The workspace's import source (made on the first import)."""
    source = Source.objects.filter(workspace=workspace, kind=Source.Kind.IMPORT).first()
    if source is None:
        source = Source.objects.create(workspace=workspace, kind=Source.Kind.IMPORT, name=_("Imports"))
    return source


def _import(workspace: Workspace, parsed: ParsedRows, *, now: datetime) -> ImportResult:
    source = import_source(workspace)
    items: list[RawItem] = parsed.items
    ingested = ingest(workspace_id=workspace.pk, source=source, items=items) if items else IngestResult()
    Source.objects.filter(pk=source.pk).update(
        last_run_at=now, last_success_at=now, items_total=F("items_total") + ingested.stored
    )
    return ImportResult(
        received=len(items) + len(parsed.errors),
        stored=ingested.stored,
        duplicates=ingested.duplicates,
        errors=parsed.errors,
    )


def import_csv(*, membership: Membership, data: bytes) -> ImportResult:
    """Import a CSV file (columns in listening/sources/imports.py). Raises ValidationError when the
    file as a whole cannot be read; row errors are returned with their lines."""
    require(membership, "can_publish")
    if len(data) > IMPORT_CSV_MAX_BYTES:
        raise ValidationError(_("The file is larger than 10 MB. Split it and import the parts."))
    try:
        parsed = parse_csv(data, tz=ZoneInfo(membership.workspace.timezone))
    except ImportFileError as error:
        raise ValidationError(str(error)) from error
    result = _import(membership.workspace, parsed, now=timezone.now())
    audit_record(
        action=AuditEvent.Action.LISTENING_CSV_IMPORTED,
        actor=membership.user,
        workspace=membership.workspace,
        data={"stored": result.stored, "errors": len(result.errors)},
    )
    return result


# Import tokens and the HTTP endpoint -------------------------------------------------------------
def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def import_token_create(*, membership: Membership, name: str) -> tuple[ImportToken, str]:
    """A new token; the secret is returned once and only its hash is kept."""
    require(membership, "can_change_settings")
    secret = "smmi_" + secrets.token_urlsafe(32)
    token = ImportToken(
        workspace=membership.workspace, name=name.strip(), token_hash=_hash(secret), created_by=membership.user
    )
    token.full_clean()
    with transaction.atomic():
        token.save()
        audit_record(
            action=AuditEvent.Action.IMPORT_TOKEN_CREATED,
            actor=membership.user,
            workspace=membership.workspace,
            target=f"import_token:{token.pk}",
            data={"name": token.name},
        )
    return token, secret


def import_token_revoke(*, membership: Membership, token: ImportToken) -> None:
    require(membership, "can_change_settings")
    if token.revoked_at:
        return
    token.revoked_at = timezone.now()
    with transaction.atomic():
        token.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditEvent.Action.IMPORT_TOKEN_REVOKED,
            actor=membership.user,
            workspace=membership.workspace,
            target=f"import_token:{token.pk}",
            data={"name": token.name},
        )


class ImportRefused(Exception):
    """The endpoint refuses the request: `status` and a message for the sender."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: int | None = None,
        errors: list[RowError] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.errors = errors or []


def import_token_authenticate(secret: str) -> ImportToken:
    token = None
    if secret:
        token = (
            ImportToken.objects.select_related("workspace")
            .filter(token_hash=_hash(secret), revoked_at__isnull=True)
            .first()
        )
    if token is None:
        raise ImportRefused(401, "invalid_token", _("The import token is missing, wrong or revoked."))
    return token


def _rate_limit(token: ImportToken, now: datetime) -> None:
    """At most IMPORT_REQUESTS_PER_MINUTE per token per minute, counted in the database (one UPDATE,
    so every worker shares the count)."""
    window = now - timedelta(minutes=1)
    rows = ImportToken.objects.filter(pk=token.pk)
    started = rows.filter(Q(window_started_at__isnull=True) | Q(window_started_at__lte=window)).update(
        window_started_at=now, window_requests=1, last_used_at=now
    )
    if started:
        return
    counted = rows.filter(window_requests__lt=IMPORT_REQUESTS_PER_MINUTE).update(
        window_requests=F("window_requests") + 1, last_used_at=now
    )
    if not counted:
        token.refresh_from_db(fields=["window_started_at"])
        started_at = token.window_started_at or now
        wait = max(1, int((started_at + timedelta(minutes=1) - now).total_seconds()) + 1)
        raise ImportRefused(
            429,
            "rate_limited",
            _("Too many requests with this token: at most %(count)s a minute.") % {"count": IMPORT_REQUESTS_PER_MINUTE},
            retry_after=wait,
        )


def import_http(*, secret: str, body: bytes, now: datetime | None = None) -> ImportResult:
    """The import endpoint: authenticate, rate-limit, parse the JSON array, ingest the valid items.
    Raises ImportRefused (401, 413, 422, 429) with a message for the sender."""
    import json

    now = now or timezone.now()
    token = import_token_authenticate(secret)
    _rate_limit(token, now)
    if len(body) > IMPORT_MAX_BYTES:
        raise ImportRefused(413, "too_large", _("The body is larger than %(size)s bytes.") % {"size": IMPORT_MAX_BYTES})
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ImportRefused(422, "invalid_json", _("The body is not JSON: %(error)s") % {"error": error}) from error
    if isinstance(payload, list) and len(payload) > IMPORT_MAX_ITEMS:
        raise ImportRefused(
            413, "too_many_items", _("At most %(count)s items a request.") % {"count": IMPORT_MAX_ITEMS}
        )
    try:
        parsed = parse_json(payload, tz=ZoneInfo(token.workspace.timezone))
    except ImportFileError as error:
        raise ImportRefused(422, "invalid_body", str(error)) from error
    if not parsed.items and parsed.errors:
        raise ImportRefused(422, "no_valid_items", _("None of the items is valid."), errors=parsed.errors)
    return _import(token.workspace, parsed, now=now)
