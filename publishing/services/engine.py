"""The publishing engine: a post goes out exactly once, at its time, or the team is told why not.

The schedule is the Target table. Every step is a short transaction on rows locked with
SELECT … FOR UPDATE (SKIP LOCKED where several workers compete); network calls happen outside
transactions. The invariant that makes it exactly-once:

* an Attempt row (with the target's one idempotency key) exists before any call is made, and its
  `sent_at` is committed before the call;
* a task that finds its attempt already sent does nothing (redelivered messages, duplicates);
* a claim whose worker vanished is recovered only through `targets_recover`: never sent → claimed
  again; sent → unconfirmed, and `target_reconcile` asks the network before anything is resent;
* a resend only ever happens with the same idempotency key and only where the adapter says the
  network honours it (`Adapter.idempotent_publish`), or after the network proved the post absent.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from publishing.models import Attempt, GlobalPause, MediaAsset, Post, PostMedia, PublishingSettings, Target
from publishing.services import links
from publishing.services.posts import post_refresh_status
from smm.accounts.models import AuditEvent, User
from smm.accounts.services import audit_record
from smm.lib.db import update_from_values
from smm.lib.images import strip_metadata
from smm.networks.base import (
    Adapter,
    AuthError,
    MediaItem,
    NetworkError,
    PostDraft,
    PublishedPost,
    RateLimitedError,
    TransientError,
    UnknownOutcomeError,
)
from smm.networks.models import ConnectedAccount
from smm.networks.registry import NETWORKS, adapter_class, adapter_for

logger = logging.getLogger(__name__)

CLAIM_BATCH = 500
RECONCILE_BATCH = 100
# While a reconcile task checks a target, its due_at is pushed ahead by a lease (see reconcile_lease):
# when the task is lost (its worker killed, the broker restarted) the target is dispatched again.
RECONCILE_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(minutes=30)
VERIFY_WINDOW = timedelta(hours=1)


# Adapters are reused by the thread that made them (see _adapter); this many accounts per thread.
ADAPTER_CACHE_SIZE = 64
_adapters = threading.local()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_length() -> timedelta:
    return timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)


def reconcile_lease() -> timedelta:
    """How long a dispatched reconcile check owns its target: the publish lease, at most RECONCILE_LEASE.

    A check is one or two reads with the adapter's timeouts, shorter than a publish; a lost check
    must not leave its target waiting longer than a lost publish would.
    """
    return min(lease_length(), RECONCILE_LEASE)


def _backoff(number: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(number - 1, 0)), MAX_RETRY)


def _adapter(account: ConnectedAccount) -> Adapter:
    """The account's adapter, reused by this thread while the account's credentials and config stay the same.

    Reuse keeps the HTTP session and its kept-alive connection (no TCP handshake and no new
    Mastodon.py client per post). Per thread, because a Mastodon.py client and smm's response memo
    on its session belong to one caller at a time. Refreshed tokens change the key: a new adapter.
    """
    cache: OrderedDict[tuple[object, ...], Adapter] | None = getattr(_adapters, "cache", None)
    if cache is None:
        cache = _adapters.cache = OrderedDict()
    key = (
        adapter_for,  # tests replace the factory: their adapters must not outlive them
        account.pk,
        account.network,
        account.credentials_encrypted,
        json.dumps(account.config, sort_keys=True, default=str),
    )
    adapter = cache.get(key)
    if adapter is None:
        adapter = cache[key] = adapter_for(account)
        if len(cache) > ADAPTER_CACHE_SIZE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return adapter


# Claiming ----------------------------------------------------------------------------------------
def _hold_reason(target: Target, *, now: datetime, global_paused: bool) -> str:
    """Why a due target must wait for a person instead of going out now ("" if it may go)."""
    if global_paused:
        return Target.HoldReason.GLOBAL_PAUSED
    policy = _policy(target)
    if policy is not None and policy.paused:
        return Target.HoldReason.WORKSPACE_PAUSED
    account = target.account
    if not account.is_connected or account.needs_reconnect or not account.credentials_encrypted:
        return Target.HoldReason.ACCOUNT
    if target.post.approval_required and not _still_approved(target.post):
        return Target.HoldReason.NOT_APPROVED
    # Retries are exempt: their lateness comes from the network, not from smm being down.
    grace = timedelta(minutes=policy.late_grace_minutes if policy is not None else 15)
    if target.status == Target.Status.SCHEDULED and target.scheduled_at and now - target.scheduled_at > grace:
        return Target.HoldReason.LATE
    return ""


def _still_approved(post: Post) -> bool:
    """The approval on record covers exactly what would go out now (content, accounts, times)."""
    from publishing.services.snapshots import post_content_hash

    return bool(post.approved_hash) and post.approved_hash == post_content_hash(post)


def _policy(target: Target) -> PublishingSettings | None:
    try:
        return target.post.workspace.publishing_settings
    except PublishingSettings.DoesNotExist:
        return None


def targets_claim_due(*, now: datetime | None = None, limit: int = CLAIM_BATCH) -> int:
    """Claim due targets (SKIP LOCKED), hold those that must wait, start an attempt for the rest.

    Returns how many due targets were handled; the attempts' tasks are enqueued on commit. No more
    than PUBLISH_MAX_IN_FLIGHT targets are publishing at once (see the setting).
    """
    from publishing.tasks import attempts_run_task

    now = now or timezone.now()
    # Backpressure: a claim whose task cannot start within its lease expires in the queue, is
    # recovered and claimed again behind its own stale task, which expires too: with no cap, a
    # backlog longer than the lease never drains (the crash test saw 1,163 recoveries for 200 posts).
    in_flight = Target.objects.filter(status=Target.Status.PUBLISHING).count()
    limit = min(limit, settings.PUBLISH_MAX_IN_FLIGHT - in_flight)
    if limit <= 0:
        return 0
    global_paused = GlobalPause.objects.filter(id=1, paused=True).exists()
    with transaction.atomic():
        targets = list(
            Target.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=Target.CLAIMABLE, due_at__lte=now)
            .select_related("account", "post__workspace__publishing_settings")
            .order_by("due_at")[:limit]
        )
        if not targets:
            return 0
        attempts: list[Attempt] = []
        held: list[Target] = []
        new_keys: list[Target] = []
        worker = worker_name()
        for target in targets:
            reason: str = _hold_reason(target, now=now, global_paused=global_paused)
            if reason:
                target.status, target.hold_reason, target.held_at, target.due_at = Target.Status.HELD, reason, now, None
                held.append(target)
                continue
            if not target.idempotency_key:
                target.idempotency_key = adapter_class(target.account.network).new_idempotency_key()
                new_keys.append(target)
            target.status = Target.Status.PUBLISHING
            target.claimed_at = now
            target.lease_expires_at = now + lease_length()
            target.attempt_count += 1
            attempts.append(
                Attempt(
                    target=target,
                    number=target.attempt_count,
                    idempotency_key=target.idempotency_key,
                    claimed_at=now,
                    worker=worker,
                )
            )
        # What every claimed row gets is one plain UPDATE; only the new keys differ per row (a
        # bulk_update of all eight fields built 4,000 CASE branches per batch: most of the loop's CPU).
        claimed_ids = [attempt.target.pk for attempt in attempts]
        Target.objects.filter(pk__in=claimed_ids).update(
            status=Target.Status.PUBLISHING,
            claimed_at=now,
            lease_expires_at=now + lease_length(),
            attempt_count=F("attempt_count") + 1,  # the rows are locked: the values computed above
        )
        update_from_values(new_keys, ["idempotency_key"])
        for reason in {target.hold_reason for target in held}:
            Target.objects.filter(pk__in=[target.pk for target in held if target.hold_reason == reason]).update(
                status=Target.Status.HELD, hold_reason=reason, held_at=now, due_at=None
            )
        Attempt.objects.bulk_create(attempts)
        post_ids = {target.post_id for target in targets}
        Post.objects.filter(pk__in=post_ids, status=Post.Status.SCHEDULED).update(status=Post.Status.PUBLISHING)
        for post_id in {target.post_id for target in held}:
            post_refresh_status(post=Post(pk=post_id, status=""))
        attempt_ids = [attempt.pk for attempt in attempts]
        size = max(1, settings.PUBLISH_BATCH_SIZE)
        batches = [attempt_ids[start : start + size] for start in range(0, len(attempt_ids), size)]
        transaction.on_commit(lambda: [attempts_run_task.delay(batch) for batch in batches])
        if held:
            held_ids = [target.pk for target in held]
            transaction.on_commit(lambda: _notify_held(held_ids))
    return len(targets)


# Running attempts --------------------------------------------------------------------------------
def attempt_run(*, attempt_id: int, now: Callable[[], datetime] = timezone.now) -> str:
    """Send one claimed attempt, once. Precondition: none (safe to call for any id, any number of times)."""
    return attempts_run(attempt_ids=[attempt_id], now=now).get(attempt_id, "skipped")


def attempts_run(*, attempt_ids: Sequence[int], now: Callable[[], datetime] = timezone.now) -> dict[int, str]:
    """Send a batch of claimed attempts, each once; returns what happened to each attempt id.

    One transaction marks every attempt of the batch sent (a redelivered batch finds them sent and
    does nothing), then the calls are made one after another outside any transaction, and the
    published ones are recorded together in one transaction. Batching shares the database work of
    a burst; the per-attempt invariants are those of the module docstring.
    """
    results: dict[int, str] = {}
    sending: list[tuple[Target, Attempt]] = []
    with transaction.atomic():
        pairs = dict(Attempt.objects.filter(pk__in=list(attempt_ids)).values_list("pk", "target_id"))
        # Targets are locked before their attempts, in id order: the order targets_recover and the
        # _record_* functions use, and the same for every batch, so batches never deadlock.
        targets: dict[int, Target] = {
            target.pk: target
            for target in Target.objects.select_for_update(of=("self",))
            .select_related("account", "post__workspace__publishing_settings", "post__campaign")
            # Read with the lock (one round trip): the pause switch and whether the post has media.
            .annotate(
                global_paused=Exists(GlobalPause.objects.filter(id=1, paused=True)),
                has_media=Exists(PostMedia.objects.filter(post_id=OuterRef("post_id"))),
            )
            .filter(pk__in=set(pairs.values()))
            .order_by("pk")
        }
        attempts = {
            attempt.pk: attempt
            for attempt in Attempt.objects.select_for_update().filter(pk__in=list(pairs)).order_by("pk")
        }
        started = now()
        for attempt_id in attempt_ids:
            attempt = attempts.get(attempt_id)
            target = targets.get(pairs.get(attempt_id, -1))
            if target is None or attempt is None or attempt.outcome != Attempt.Outcome.PENDING or attempt.sent_at:
                results[attempt_id] = "skipped"  # a redelivered task, or recovered meanwhile: never send twice
                continue
            if target.status != Target.Status.PUBLISHING or target.attempt_count != attempt.number:
                _finish(attempt, Attempt.Outcome.NOT_SENT, started, error="superseded")
                results[attempt_id] = "skipped"
                continue
            if target.lease_expires_at is not None and target.lease_expires_at <= started:
                # The task came after its lease ended (a broker or worker outage): targets_recover
                # may act on the target at any moment, so give it back unsent. A send only starts
                # within its lease; with a lease longer than the slowest call, sends never overlap.
                _finish(attempt, Attempt.Outcome.NOT_SENT, started, error="lease ended")
                _set(target, status=Target.Status.SCHEDULED, due_at=started, lease_expires_at=None)
                post_refresh_status(post=target.post)
                results[attempt_id] = "expired"
                continue
            global_paused = bool(getattr(target, "global_paused", False))
            policy = _policy(target)
            if global_paused or (policy is not None and policy.paused):
                # Paused after the claim: hold it now, before anything is sent.
                _finish(attempt, Attempt.Outcome.HELD, started)
                reason = Target.HoldReason.GLOBAL_PAUSED if global_paused else Target.HoldReason.WORKSPACE_PAUSED
                _set(target, status=Target.Status.HELD, hold_reason=reason, held_at=started, due_at=None)
                post_refresh_status(post=target.post)
                results[attempt_id] = "held"
                continue
            attempt.sent_at = started
            sending.append((target, attempt))
        if sending:
            Attempt.objects.filter(pk__in=[attempt.pk for _target, attempt in sending]).update(sent_at=started)
            Target.objects.filter(pk__in=[target.pk for target, _attempt in sending]).update(
                lease_expires_at=started + lease_length()
            )

    # From here on no transaction is open: the network calls may take seconds.
    published: list[tuple[Target, Attempt, PublishedPost, datetime, Adapter]] = []
    for sent, attempt in sending:
        results[attempt.pk] = _send(sent, attempt, published, now)
    if published:
        _record_published_many([(sent, attempt, post, at) for sent, attempt, post, at, _adapter in published])
        # Read each post back at once, on the adapter (and connection) at hand; if that fails,
        # targets_verify_dispatch tries again later.
        verified = []
        for sent, _attempt, post, _at, adapter in published:
            try:
                adapter.fetch_post(post.remote_id)
            except NetworkError as error:
                logger.info("target %s: not verified yet: %s", sent.pk, error.message)
            except Exception:
                logger.exception("target %s: reading the post back failed", sent.pk)
            else:
                verified.append(sent.pk)
        if verified:
            Target.objects.filter(pk__in=verified, verified_at__isnull=True).update(verified_at=timezone.now())
    return results


def _send(
    target: Target,
    attempt: Attempt,
    published: list[tuple[Target, Attempt, PublishedPost, datetime, Adapter]],
    now: Callable[[], datetime],
) -> str:
    """Make one attempt's call; a failure is recorded at once, a success is appended to `published`."""
    # Each call starts with at least half a lease left: the batch set the lease when it marked its
    # attempts sent; a call that waited for longer than half a lease behind the others renews it
    # first, and if recovery already took the target (its lease ran out), the call is not made:
    # the target is unconfirmed, and reconciliation finds it absent and sends it with the same key.
    at = now()
    marked = attempt.sent_at or at
    if at - marked > lease_length() / 2:
        renewed = Target.objects.filter(
            pk=target.pk, status=Target.Status.PUBLISHING, attempt_count=attempt.number, lease_expires_at__gt=at
        ).update(lease_expires_at=at + lease_length())
        if not renewed:
            return "expired"
    try:
        draft = build_draft(target, attempt.idempotency_key, media=target.has_media)  # type: ignore[attr-defined]
    except Exception as error:  # nothing was sent: the post could not even be prepared
        logger.exception("target %s: could not prepare the post", target.pk)
        problem = _("smm could not prepare the post: %(error)s") % {"error": error}
        _record_failure(target.pk, attempt.pk, NetworkError(problem), now())
        return "failed"
    adapter = _adapter(target.account)
    try:
        post = adapter.publish(draft)
    except UnknownOutcomeError as error:
        _record_unknown(target.pk, attempt.pk, error, now())
        return "unconfirmed"
    except TransientError as error:
        _record_transient(target.pk, attempt.pk, error, now())
        return "retry"
    except NetworkError as error:
        _record_failure(target.pk, attempt.pk, error, now())
        return "failed"
    except Exception as error:
        # A bug or an unexpected library error after the request may have left: treat it as unknown.
        logger.exception("target %s: unexpected error while publishing", target.pk)
        _record_unknown(target.pk, attempt.pk, UnknownOutcomeError(str(error)), now())
        return "unconfirmed"
    published.append((target, attempt, post, now(), adapter))
    return "published"


def _record_published_many(items: Sequence[tuple[Target, Attempt, PublishedPost, datetime]]) -> None:
    """Record posts the networks accepted, all in one transaction (the batch path of _record_published)."""
    by_target = {target.pk: (attempt, post, at) for target, attempt, post, at in items}
    with transaction.atomic():
        targets = list(
            Target.objects.select_for_update(of=("self",))
            .select_related("account", "post__workspace")
            .filter(pk__in=list(by_target))
            .order_by("pk")
        )
        attempts = {
            attempt.pk: attempt
            for attempt in Attempt.objects.select_for_update()
            .filter(pk__in=[attempt.pk for attempt, _post, _at in by_target.values()])
            .order_by("pk")
        }
        events = []
        for target in targets:
            attempt_ref, post, at = by_target[target.pk]
            attempt = attempts[attempt_ref.pk]
            attempt.outcome, attempt.finished_at, attempt.error = Attempt.Outcome.PUBLISHED, at, ""
            attempt.network_status, attempt.remote_id = None, post.remote_id[:300]
            # Whatever recovery thought meanwhile, the network has the post: that is the answer.
            target.status, target.remote_id, target.remote_url = (
                Target.Status.PUBLISHED,
                post.remote_id[:300],
                post.url[:1000],
            )
            target.published_at, target.due_at, target.lease_expires_at = at, None, None
            target.last_error, target.hold_reason, target.updated_at = "", "", timezone.now()
            events.append(
                AuditEvent(
                    action=AuditEvent.Action.POST_PUBLISHED,
                    workspace=target.post.workspace,
                    target=str(target)[:300],
                    data={"post": target.post_id, "account": target.account_id, "url": target.remote_url},
                )
            )
        Attempt.objects.bulk_update(
            list(attempts.values()), ["outcome", "finished_at", "error", "network_status", "remote_id"]
        )
        Target.objects.bulk_update(
            targets,
            [
                "status",
                "remote_id",
                "remote_url",
                "published_at",
                "due_at",
                "lease_expires_at",
                "last_error",
                "hold_reason",
                "updated_at",
            ],
        )
        AuditEvent.objects.bulk_create(events)
        posts_refresh_status(post_ids={target.post_id for target in targets})
    for account in {target.account_id: target.account for target in targets}.values():
        _account_ok(account)


def posts_refresh_status(*, post_ids: Iterable[int]) -> None:
    """post_refresh_status for many posts: one read, and one UPDATE per status that changed."""
    from publishing.services.posts import derive_status

    statuses: dict[int, list[str]] = {}
    for post_id, status in Target.objects.filter(post_id__in=list(post_ids)).values_list("post_id", "status"):
        statuses.setdefault(post_id, []).append(status)
    current = dict(Post.objects.filter(pk__in=list(statuses)).values_list("pk", "status"))
    changes: dict[str, list[int]] = {}
    for post_id, values in statuses.items():
        derived = derive_status(values)
        if current.get(post_id) != derived:
            changes.setdefault(derived, []).append(post_id)
    for status, ids in changes.items():
        Post.objects.filter(pk__in=ids).update(status=status)


def build_draft(target: Target, idempotency_key: str, *, media: bool = True) -> PostDraft:
    """What the adapter sends: the account's text (links prepared), media bytes and options.

    `media=False` says the post has none (the caller knows), which saves a query.
    """
    post = target.post
    account = target.account
    text = links.prepare_text(
        post.text_for(account.network), campaign=post.campaign, network=account.network, post=post, account=account
    )
    items: list[MediaItem] = []
    for item in post.post_media.select_related("asset").order_by("position") if media else ():
        asset = item.asset
        if asset.kind == MediaAsset.Kind.SUBTITLE:
            continue
        with default_storage.open(str(asset.file.name), "rb") as handle:
            data = handle.read()
        if asset.kind == MediaAsset.Kind.IMAGE:
            data = strip_metadata(data, asset.mime_type)  # no GPS position leaves with a photo
        items.append(
            MediaItem(data=data, mime_type=asset.mime_type, alt_text=asset.alt_text, filename=asset.original_name)
        )
    return PostDraft(
        text=text,
        idempotency_key=idempotency_key,
        media=tuple(items),
        language=post.language or None,
        content_warning=post.content_warning,
    )


def _set(target: Target, **fields: object) -> None:
    for name, value in fields.items():
        setattr(target, name, value)
    target.save(update_fields=[*fields, "updated_at"])


def _finish(attempt: Attempt, outcome: str, at: datetime, *, error: str = "", status: int | None = None) -> None:
    attempt.outcome = outcome
    attempt.finished_at = at
    attempt.error = error
    attempt.network_status = status
    attempt.save(update_fields=["outcome", "finished_at", "error", "network_status", "remote_id"])


def _lock(target_id: int, attempt_id: int) -> tuple[Target, Attempt]:
    target = (
        Target.objects.select_for_update(of=("self",)).select_related("account", "post__workspace").get(pk=target_id)
    )
    attempt = Attempt.objects.select_for_update().get(pk=attempt_id)
    return target, attempt


def _record_published(
    target_id: int, attempt_id: int, published: PublishedPost, at: datetime, *, outcome: str, verify: bool = True
) -> None:
    """`verify=False`: the caller reads the post back itself (no verify task)."""
    from publishing.tasks import target_verify_task

    with transaction.atomic():
        target, attempt = _lock(target_id, attempt_id)
        attempt.remote_id = published.remote_id[:300]
        _finish(attempt, outcome, at)
        # Whatever recovery thought meanwhile, the network has the post: that is the answer.
        _set(
            target,
            status=Target.Status.PUBLISHED,
            remote_id=published.remote_id[:300],
            remote_url=published.url[:1000],
            published_at=at,
            due_at=None,
            lease_expires_at=None,
            last_error="",
            hold_reason="",
        )
        post_refresh_status(post=target.post)
        audit_record(
            action=AuditEvent.Action.POST_PUBLISHED,
            workspace=target.post.workspace,
            target=str(target)[:300],
            data={"post": target.post_id, "account": target.account_id, "url": target.remote_url},
        )
        if verify:
            transaction.on_commit(lambda: target_verify_task.delay(target_id))
    _account_ok(target.account)


def _record_transient(target_id: int, attempt_id: int, error: TransientError, at: datetime) -> None:
    with transaction.atomic():
        target, attempt = _lock(target_id, attempt_id)
        idempotent = target.account.network in NETWORKS and adapter_class(target.account.network).idempotent_publish
        if target.status != Target.Status.PUBLISHING or target.attempt_count != attempt.number:
            _finish(attempt, Attempt.Outcome.RETRY, at, error=error.message, status=error.status)
            return
        if not idempotent:
            # A retry could make a second post: find out first.
            _finish(attempt, Attempt.Outcome.UNKNOWN, at, error=error.message, status=error.status)
            _set(target, status=Target.Status.UNCONFIRMED, due_at=at, last_error=error.message)
        elif target.attempt_count >= settings.PUBLISH_MAX_ATTEMPTS:
            _finish(attempt, Attempt.Outcome.FAILED, at, error=error.message, status=error.status)
            message = _("%(network)s kept failing (%(error)s); smm gave up after %(count)s tries.") % {
                "network": target.account.get_network_display(),
                "error": error.message,
                "count": target.attempt_count,
            }
            _set(target, status=Target.Status.FAILED, due_at=None, last_error=message)
            transaction.on_commit(lambda: _notify(target_id, "failed"))
        else:
            wait = _backoff(target.attempt_count)
            if error.retry_after:
                wait = max(wait, timedelta(seconds=error.retry_after))
            _finish(attempt, Attempt.Outcome.RETRY, at, error=error.message, status=error.status)
            _set(target, status=Target.Status.RETRYING, due_at=at + wait, last_error=error.message)
        post_refresh_status(post=target.post)
    if isinstance(error, RateLimitedError):
        _account_failed(target.account, error)


def _record_unknown(target_id: int, attempt_id: int, error: NetworkError, at: datetime) -> None:
    with transaction.atomic():
        target, attempt = _lock(target_id, attempt_id)
        _finish(attempt, Attempt.Outcome.UNKNOWN, at, error=error.message, status=error.status)
        if target.status == Target.Status.PUBLISHED:
            return
        _set(target, status=Target.Status.UNCONFIRMED, due_at=at + FIRST_RETRY, last_error=error.message)
        post_refresh_status(post=target.post)


def _record_failure(target_id: int, attempt_id: int, error: NetworkError, at: datetime) -> None:
    with transaction.atomic():
        target, attempt = _lock(target_id, attempt_id)
        _finish(attempt, Attempt.Outcome.FAILED, at, error=error.message, status=error.status)
        if target.status == Target.Status.PUBLISHED:
            return
        _set(target, status=Target.Status.FAILED, due_at=None, last_error=error.message)
        post_refresh_status(post=target.post)
        transaction.on_commit(lambda: _notify(target_id, "failed"))
    if isinstance(error, AuthError):
        _account_failed(target.account, error)


def _account_ok(account: ConnectedAccount) -> None:
    from smm.networks.services import account_record_success

    if account.status != ConnectedAccount.Status.OK:
        account_record_success(account=account)


def _account_failed(account: ConnectedAccount, error: NetworkError) -> None:
    from smm.networks.services import account_record_failure

    account_record_failure(account=account, error=error)


# Recovery and reconciliation ---------------------------------------------------------------------
def targets_recover(*, now: datetime | None = None, limit: int = CLAIM_BATCH) -> int:
    """Claims whose lease expired (worker killed, task lost): never sent → due again; sent → unconfirmed."""
    now = now or timezone.now()
    with transaction.atomic():
        targets = list(
            Target.objects.select_for_update(skip_locked=True)
            .filter(status=Target.Status.PUBLISHING, lease_expires_at__lt=now)
            .order_by("lease_expires_at")[:limit]
        )
        for target in targets:
            attempt = Attempt.objects.select_for_update().filter(target=target, number=target.attempt_count).first()
            sent = attempt is not None and attempt.sent_at is not None
            if attempt is not None and attempt.outcome == Attempt.Outcome.PENDING:
                _finish(
                    attempt,
                    Attempt.Outcome.UNKNOWN if sent else Attempt.Outcome.NOT_SENT,
                    now,
                    error=_("The worker stopped before it reported back."),
                )
            if sent:
                _set(target, status=Target.Status.UNCONFIRMED, due_at=now, lease_expires_at=None)
            else:
                # Nothing left smm: it is simply due again (same idempotency key).
                _set(target, status=Target.Status.SCHEDULED, due_at=now, lease_expires_at=None)
            post_refresh_status(post=Post(pk=target.post_id, status=""))
    return len(targets)


def targets_reconcile_dispatch(*, now: datetime | None = None, limit: int = RECONCILE_BATCH) -> int:
    """Hand unconfirmed targets that are due for a check to reconcile tasks."""
    from publishing.tasks import target_reconcile_task

    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Target.objects.select_for_update(skip_locked=True)
            .filter(status=Target.Status.UNCONFIRMED, due_at__lte=now)
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        Target.objects.filter(pk__in=ids).update(due_at=now + reconcile_lease())
        transaction.on_commit(lambda: [target_reconcile_task.delay(target_id) for target_id in ids])
    return len(ids)


def target_reconcile(*, target_id: int, now: Callable[[], datetime] = timezone.now) -> str:
    """Ask the network whether an unconfirmed post exists: found → published; absent → retry;
    undecided → check again later, and after PUBLISH_RECONCILE_LIMIT checks ask a person."""
    target = (
        Target.objects.select_related("account", "post__campaign", "post__workspace")
        .filter(pk=target_id, status=Target.Status.UNCONFIRMED)
        .first()
    )
    if target is None:
        return "skipped"
    attempt = target.attempts.filter(sent_at__isnull=False).order_by("-number").first()
    sent_at = attempt.sent_at if attempt and attempt.sent_at else (target.claimed_at or now())
    text = links.prepare_text(
        target.post.text_for(target.account.network),
        campaign=target.post.campaign,
        network=target.account.network,
        post=target.post,
        account=target.account,
    )
    try:
        found = _adapter(target.account).find_post(idempotency_key=target.idempotency_key, text=text, sent_at=sent_at)
    except NetworkError as error:
        return _reconcile_undecided(target_id, error.message, now())
    except Exception as error:
        logger.exception("target %s: reconcile failed", target_id)
        return _reconcile_undecided(target_id, str(error), now())
    if found is not None:
        if attempt is None:  # cannot happen: unconfirmed means an attempt was sent
            return _reconcile_undecided(target_id, "no attempt was sent", now())
        _record_published(target_id, attempt.pk, found, now(), outcome=Attempt.Outcome.FOUND)
        return "found"
    with transaction.atomic():
        target = Target.objects.select_for_update().select_related("post").get(pk=target_id)
        if target.status != Target.Status.UNCONFIRMED:
            return "skipped"
        if attempt is not None:
            Attempt.objects.filter(pk=attempt.pk).update(outcome=Attempt.Outcome.ABSENT, finished_at=now())
        # Proven absent: due again at once, with the same idempotency key.
        _set(target, status=Target.Status.RETRYING, due_at=now(), reconcile_count=target.reconcile_count + 1)
        post_refresh_status(post=target.post)
    return "absent"


def _reconcile_undecided(target_id: int, reason: str, at: datetime) -> str:
    with transaction.atomic():
        target = Target.objects.select_for_update().select_related("post").get(pk=target_id)
        if target.status != Target.Status.UNCONFIRMED:
            return "skipped"
        count = target.reconcile_count + 1
        if count >= settings.PUBLISH_RECONCILE_LIMIT:
            message = _(
                "smm could not find out whether the post went out (%(reason)s). Check the account on the "
                "network, then mark it published or publish it again."
            ) % {"reason": reason}
            _set(target, status=Target.Status.ATTENTION, reconcile_count=count, due_at=None, last_error=message)
            post_refresh_status(post=target.post)
            transaction.on_commit(lambda: _notify(target_id, "attention"))
            return "attention"
        _set(target, reconcile_count=count, due_at=at + _backoff(count), last_error=reason)
        if count == 1:
            transaction.on_commit(lambda: _notify(target_id, "unconfirmed"))
    return "undecided"


def target_mark_published(*, target: Target, remote_url: str, actor: object) -> Target:
    """A person checked the network and found the post: record it as published (no network call)."""
    with transaction.atomic():
        target = Target.objects.select_for_update().select_related("post").get(pk=target.pk)
        if target.status not in (Target.Status.ATTENTION, Target.Status.UNCONFIRMED):
            return target
        _set(
            target,
            status=Target.Status.PUBLISHED,
            remote_id=remote_url[:300] or f"manual:{target.pk}",
            remote_url=remote_url[:1000],
            published_at=timezone.now(),
            due_at=None,
            last_error="",
        )
        post_refresh_status(post=target.post)
    return target


# Verification ------------------------------------------------------------------------------------
def target_verify(*, target_id: int) -> bool:
    """Read a published post back from the network; True (and verified_at set) if it is live."""
    target = Target.objects.select_related("account").filter(pk=target_id, status=Target.Status.PUBLISHED).first()
    if target is None or target.verified_at is not None or target.remote_id.startswith("manual:"):
        return False
    return _verify(target_id, target.remote_id, _adapter(target.account))


def _verify(target_id: int, remote_id: str, adapter: Adapter) -> bool:
    try:
        adapter.fetch_post(remote_id)
    except NetworkError as error:
        logger.info("target %s: not verified yet: %s", target_id, error.message)
        return False
    Target.objects.filter(pk=target_id, verified_at__isnull=True).update(verified_at=timezone.now())
    return True


def targets_verify_dispatch(*, now: datetime | None = None) -> int:
    """Published targets not verified yet (the first read-back failed): try again, for an hour."""
    from publishing.tasks import target_verify_task

    now = now or timezone.now()
    ids = list(
        Target.objects.filter(
            status=Target.Status.PUBLISHED, verified_at__isnull=True, published_at__gte=now - VERIFY_WINDOW
        )
        .filter(published_at__lte=now - timedelta(seconds=30))
        .exclude(remote_id__startswith="manual:")
        .values_list("pk", flat=True)[:200]
    )
    for target_id in ids:
        target_verify_task.delay(target_id)
    return len(ids)


# The tick ----------------------------------------------------------------------------------------
def publisher_tick(*, maintenance: bool = True) -> int:
    """One round of the publisher loop: claim everything due; optionally recover and reconcile."""
    claimed = 0
    while True:
        handled = targets_claim_due()
        claimed += handled
        if handled < CLAIM_BATCH:
            break
    if maintenance:
        targets_recover()
        targets_reconcile_dispatch()
    return claimed


# Notifications -----------------------------------------------------------------------------------
def _recipients(target: Target) -> list[User]:
    from collaboration.services import workspace_admins

    if target.account.personal_owner_id:
        # A member's own share on their personal account: only they hear about it.
        return [target.post.author] if target.post.author is not None else []
    people = {user.pk: user for user in workspace_admins(target.post.workspace)}
    if target.post.author is not None:
        people.setdefault(target.post.author.pk, target.post.author)
    return list(people.values())


def _notify(target_id: int, what: str) -> None:
    from collaboration.models import Notification
    from collaboration.services import notification_send

    target = Target.objects.select_related("account", "post__workspace", "post__author").filter(pk=target_id).first()
    if target is None:
        return
    url = reverse("publishing:post-detail", args=[target.post.workspace.slug, target.post_id])
    if target.account.personal_owner_id:
        url = reverse("collaboration:sharing", args=[target.post.workspace.slug])
    values = {"account": str(target.account), "post": str(target.post), "error": target.last_error}
    if what == "failed":
        kind = Notification.Kind.PUBLISH_FAILED

        def message() -> str:
            return _("“%(post)s” was not published to %(account)s: %(error)s") % values

    elif what == "unconfirmed":
        kind = Notification.Kind.PUBLISH_UNCONFIRMED

        def message() -> str:
            return (
                _("“%(post)s” on %(account)s: no answer from the network yet; smm is checking whether it went out.")
                % values
            )

    else:
        kind = Notification.Kind.PUBLISH_ATTENTION

        def message() -> str:
            return _("“%(post)s” on %(account)s needs your attention: %(error)s") % values

    notification_send(
        recipients=_recipients(target),
        workspace=target.post.workspace,
        kind=kind,
        message=message,
        url=url,
        email="publish_failed",
    )


def _notify_held(target_ids: Iterable[int]) -> None:
    """Held posts (late or paused) are listed on the held page; admins hear about late ones."""
    from collaboration.models import Notification
    from collaboration.services import notification_send, workspace_admins

    late = (
        Target.objects.filter(pk__in=list(target_ids), hold_reason=Target.HoldReason.LATE)
        .select_related("post__workspace")
        .order_by("post__workspace_id")
    )
    by_workspace: dict[int, list[Target]] = {}
    for target in late:
        by_workspace.setdefault(target.post.workspace_id, []).append(target)
    for targets in by_workspace.values():
        workspace = targets[0].post.workspace
        count = len(targets)

        def message(count: int = count) -> str:
            from django.utils.translation import ngettext

            return ngettext(
                "%(count)s post was held because it was late; decide on the held posts page.",
                "%(count)s posts were held because they were late; decide on the held posts page.",
                count,
            ) % {"count": count}

        notification_send(
            recipients=workspace_admins(workspace),
            workspace=workspace,
            kind=Notification.Kind.PUBLISH_HELD,
            message=message,
            url=reverse("publishing:held", args=[workspace.slug]),
        )
