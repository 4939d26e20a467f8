"""Contest entries: collected from the networks and judged by the contest's eligibility rules.

`entries_collect` reads the replies to the contest's posts (or a hashtag search) and stores each as
a ContestEntry whose author is a contact; `eligibility` decides every entry again with the reason
for each excluded one; members exclude an entry by hand (`entry_exclude`) or include it again.
Network I/O happens outside transactions; each write locks the contest row and checks that it is
still open, so nothing changes the entries once the draw has fixed the list.
(The rest of a contest's life is in participation.services.contests.)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from participation.models import Contest, ContestEntry
from participation.services import draw
from participation.services.contacts import identity_upsert
from publishing.models import Target
from smm.accounts.models import AuditEvent, User
from smm.accounts.services import audit_record
from smm.lib.tz import utc_to_wall
from smm.networks.base import Capability, NetworkError, NotSupportedError, PermanentError, RemotePost
from smm.networks.models import ConnectedAccount
from smm.networks.registry import NETWORKS, adapter_class, adapter_for

# How many replies to read below one post (the adapters page through them) and how many posts one
# hashtag search returns (the networks' own page limits; what is older waits for the next run).
REPLY_LIMIT = 5000
SEARCH_LIMIT = 100
MAX_TEXT = 5000
# A collection that started longer ago than this has died (a worker restarted): run another.
COLLECT_STALE = timedelta(minutes=10)
# Open contests are collected from when the window opens until this long after it closed, for
# replies the network indexed late (they are still judged by when they were sent).
COLLECT_AFTER_CLOSE = timedelta(days=1)


# Text matching -----------------------------------------------------------------------------------
def normalise(text: str) -> str:
    """Case- and accent-insensitive form: "Äänekoski" and "aanekoski" are the same."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


def contains_words(text: str, words: str) -> bool:
    """`words` appear in `text` as whole words (case- and accent-insensitively)."""
    needle = normalise(words)
    if not needle:
        return False
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", normalise(text)) is not None


def accepted_answers(contest: Contest) -> list[str]:
    return [line.strip() for line in contest.answers.splitlines() if line.strip()]


def _handle_key(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


def staff_handle_list(contest: Contest) -> list[str]:
    return [line.strip() for line in contest.staff_handles.splitlines() if line.strip()]


# Shared by the contest services ------------------------------------------------------------------
# How much later than its claimed time a post may reach the network's server and still be dated by
# the claim (indexing delay). Bluesky posts carry the time the author's app wrote in them, which can
# be anything; a post that arrived later than this is dated by its arrival, so a reply sent after
# the window closed cannot enter by claiming an earlier time.
CLAIMED_TIME_SLACK = timedelta(minutes=5)


def entry_time(post: RemotePost) -> datetime:
    """When an entry was sent, as far as smm can trust it (see CLAIMED_TIME_SLACK)."""
    claimed = post.created_at
    if claimed is None:
        return post.received_at or timezone.now()
    if post.received_at is not None and post.received_at - claimed > CLAIMED_TIME_SLACK:
        return post.received_at
    return claimed


def networks_with(capability: Capability) -> set[str]:
    return {network for network in NETWORKS if capability in adapter_class(network).capabilities}


def networks_with_direct_posts() -> set[str]:
    """Networks where a post can be addressed to one person (Mastodon's direct visibility). Bluesky
    reads and answers DMs through its chat service, which cannot start a new conversation from a
    post, so it is not one of them."""
    return {
        network
        for network in networks_with(Capability.DIRECT_MESSAGES)
        if not getattr(adapter_class(network), "chat", False)
    }


def contest_audit(
    action: str,
    contest: Contest,
    *,
    user: User | None = None,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """One audit event about a contest (every state change, exclusion, draw, reveal and notice)."""
    audit_record(
        action=action,
        actor=user,
        workspace=contest.workspace,
        target=f"{_('Contest')} {contest.pk}: {contest.title}",
        data={"contest": contest.pk, **(data or {})},
        request=request,
    )


def contest_locked(contest: Contest, *states: str) -> Contest:
    """The contest row locked for this transaction; ValidationError unless it is in one of `states`."""
    locked = Contest.objects.select_for_update().select_related("workspace").get(pk=contest.pk)
    if locked.state not in states:
        raise ValidationError(
            _("The contest is %(state)s: that cannot be done now.") % {"state": locked.get_state_display().lower()}
        )
    return locked


# Collecting entries ------------------------------------------------------------------------------
@dataclass
class CollectResult:
    read: int = 0
    new: int = 0
    skipped: bool = False
    errors: list[str] = field(default_factory=list)
    changes: list[dict[str, str]] = field(default_factory=list)

    def summary(self, contest: Contest) -> dict[str, Any]:
        counts = entry_counts(contest)
        return {"read": self.read, "new": self.new, "errors": self.errors[:20], **counts}


def entry_counts(contest: Contest) -> dict[str, int]:
    """How many entries a contest has, and how many of them are eligible and excluded."""
    counts = contest.entries.aggregate(
        all_entries=Count("pk"),
        eligible_entries=Count("pk", filter=Q(eligible=True)),
        excluded_entries=Count("pk", filter=Q(eligible=False)),
    )
    return {
        "entries": counts["all_entries"],
        "eligible": counts["eligible_entries"],
        "excluded": counts["excluded_entries"],
    }


def collect_due() -> list[int]:
    """Open contests whose window is open now (or closed less than a day ago)."""
    now = timezone.now()
    return list(
        Contest.objects.filter(state=Contest.State.OPEN, opens_at__lte=now, closes_at__gte=now - COLLECT_AFTER_CLOSE)
        .filter(Q(collect_started_at__isnull=True) | Q(collect_started_at__lt=now - COLLECT_STALE))
        .values_list("pk", flat=True)
    )


def entries_collect_request(*, contest: Contest) -> None:
    """The "Collect now" button: mark the collection as started (the page shows it) and queue it."""
    from participation.tasks import contest_collect_task

    if contest.state != Contest.State.OPEN:
        raise ValidationError(_("Entries are collected only while the contest is open."))
    Contest.objects.filter(pk=contest.pk).update(collect_started_at=timezone.now())
    transaction.on_commit(lambda: contest_collect_task.delay(contest.pk, True))


def collecting(contest: Contest) -> bool:
    return bool(contest.collect_started_at and contest.collect_started_at > timezone.now() - COLLECT_STALE)


def _own_post(post: RemotePost, account: ConnectedAccount) -> bool:
    if account.remote_id and post.author_id == account.remote_id:
        return True
    return bool(post.author_handle) and _handle_key(post.author_handle) == _handle_key(account.handle)


def _read_posts(contest: Contest, target: Target) -> list[RemotePost]:
    adapter = adapter_for(target.account)
    if contest.mechanic == Contest.Mechanic.HASHTAG:
        found = adapter.search(f"#{contest.hashtag}", limit=SEARCH_LIMIT)
        return [
            post
            for post in found
            if contains_words(post.text, f"#{contest.hashtag}") or contains_words(post.text, contest.hashtag)
        ]
    return adapter.replies(target.remote_id, limit=REPLY_LIMIT)


def entries_collect(*, contest: Contest, force: bool = False) -> CollectResult:
    """Read the entries of an open contest from its posts' networks, store the new ones (each
    author a contact) and decide every entry's eligibility. A second run at the same time is
    skipped unless `force` (the "Collect now" button)."""
    result = CollectResult()
    now = timezone.now()
    claim = Contest.objects.filter(pk=contest.pk, state=Contest.State.OPEN)
    if not force:
        claim = claim.filter(Q(collect_started_at__isnull=True) | Q(collect_started_at__lt=now - COLLECT_STALE))
    if not claim.update(collect_started_at=now):
        result.skipped = True
        return result
    try:
        found: list[tuple[Target, RemotePost]] = []
        targets = list(contest.targets.select_related("account", "post"))
        searched: set[int] = set()
        for target in targets:
            if contest.mechanic == Contest.Mechanic.HASHTAG and target.account_id in searched:
                continue  # one search per account is enough
            searched.add(target.account_id)
            if not target.account.is_connected:
                result.errors.append(_("%(account)s is disconnected.") % {"account": target.account})
                continue
            try:
                posts = _read_posts(contest, target)
            except NetworkError as error:
                result.errors.append(f"{target.account}: {error.message}")
                continue
            result.read += len(posts)
            found += [(target, post) for post in posts if not _own_post(post, target.account)]
        result.new = _store_entries(contest, found)
        result.changes = eligibility(contest=contest)
    finally:
        contest.refresh_from_db()
        summary = result.summary(contest)
        fields: dict[str, Any] = {
            "collect_started_at": None,
            "collect_summary": summary,
            "collect_error": "\n".join(result.errors)[:5000],
        }
        if not result.errors or result.read:
            fields["collected_at"] = timezone.now()
        Contest.objects.filter(pk=contest.pk).update(**fields)
    if result.new or result.changes:
        contest_audit(
            AuditEvent.Action.CONTEST_ENTRIES_COLLECTED,
            contest,
            data={"new": result.new, "read": result.read, "eligibility": result.changes[:200]},
        )
    return result


def _store_entries(contest: Contest, found: list[tuple[Target, RemotePost]]) -> int:
    # By ticket: an erased person's entry keeps only its ticket (contact_erase), and must not come back.
    known = set(contest.entries.values_list("ticket", flat=True))
    new = 0
    with transaction.atomic():
        locked = Contest.objects.select_for_update().get(pk=contest.pk)
        if locked.state != Contest.State.OPEN:
            return 0  # drawn or cancelled meanwhile: the list is fixed
        for target, post in found:
            network = target.account.network
            remote_id = post.remote_id[:300]
            ticket = draw.ticket(network, remote_id)
            if ticket in known:
                continue
            known.add(ticket)
            posted_at = entry_time(post)
            author_id = (post.author_id or post.author_handle)[:300]
            identity = identity_upsert(
                workspace_id=contest.workspace_id,
                network=network,
                remote_id=author_id,
                handle=post.author_handle,
                display_name=post.author_display_name,
                profile_url=post.author_url,
                seen_at=posted_at,
            )
            entry = ContestEntry(
                contest=contest,
                account=target.account,
                network=network,
                remote_id=remote_id,
                url=post.url[:1000],
                author_remote_id=author_id,
                author_handle=post.author_handle[:300],
                author_name=post.author_display_name[:200],
                contact=identity.contact,
                text=post.text[:MAX_TEXT],
                posted_at=posted_at,
                ticket=ticket,
            )
            try:
                with transaction.atomic():
                    entry.save()
            except IntegrityError:  # a collection running at the same moment stored it
                continue
            new += 1
    return new


# Eligibility -------------------------------------------------------------------------------------
def _when(value: datetime, zone: str) -> str:
    return formats.date_format(utc_to_wall(value, zone), "SHORT_DATETIME_FORMAT")


def _staff(contest: Contest) -> tuple[set[tuple[str, str]], set[str]]:
    accounts = ConnectedAccount.objects.filter(workspace_id=contest.workspace_id)
    ids = {(account.network, account.remote_id) for account in accounts if account.remote_id}
    handles = {_handle_key(account.handle) for account in accounts}
    handles |= {_handle_key(handle) for handle in staff_handle_list(contest)}
    return ids, handles


def _person(entry: ContestEntry) -> tuple[str, ...]:
    if entry.contact_id:
        return ("contact", str(entry.contact_id))
    if entry.author_remote_id:
        return (entry.network, entry.author_remote_id)
    return ("entry", str(entry.pk))  # anonymised (the person was erased): nobody to compare with


def _local_reason(
    contest: Contest,
    entry: ContestEntry,
    first: dict[tuple[str, ...], ContestEntry],
    staff: tuple[set[tuple[str, str]], set[str]],
) -> tuple[str, str]:
    """The first rule (in the order the page explains) that excludes the entry, without asking the network."""
    zone = contest.timezone
    if not contest.opens_at <= entry.posted_at < contest.closes_at:
        return ContestEntry.Exclusion.OUTSIDE_WINDOW, _(
            "Sent %(when)s; the window was %(opens)s – %(closes)s (%(zone)s)."
        ) % {
            "when": _when(entry.posted_at, zone),
            "opens": _when(contest.opens_at, zone),
            "closes": _when(contest.closes_at, zone),
            "zone": zone,
        }
    if contest.exclude_staff:
        ids, handles = staff
        if (entry.network, entry.author_remote_id) in ids or _handle_key(entry.author_handle) in handles:
            listed = _handle_key(entry.author_handle) in {_handle_key(handle) for handle in staff_handle_list(contest)}
            return ContestEntry.Exclusion.STAFF, (
                _("%(handle)s is on the contest's staff list.")
                if listed
                else _("%(handle)s is one of our connected accounts.")
            ) % {"handle": entry.author_handle}
    if contest.exclude_blocked and entry.contact is not None and entry.contact.blocked:
        return ContestEntry.Exclusion.BLOCKED, _("%(name)s is blocked in the inbox.") % {"name": entry.contact}
    if contest.one_entry_per_person:
        earliest = first.get(_person(entry))
        if earliest is not None and earliest.pk != entry.pk:
            return ContestEntry.Exclusion.DUPLICATE, _(
                "Only the first entry counts: theirs was sent %(when)s (%(url)s)."
            ) % {
                "when": _when(earliest.posted_at, zone),
                "url": earliest.url or earliest.ticket[:12],
            }
    if contest.required_keyword and not contains_words(entry.text, contest.required_keyword):
        return ContestEntry.Exclusion.KEYWORD_MISSING, _("“%(keyword)s” is not in the entry.") % {
            "keyword": contest.required_keyword
        }
    if contest.mechanic == Contest.Mechanic.ANSWER and not any(
        contains_words(entry.text, answer) for answer in accepted_answers(contest)
    ):
        return ContestEntry.Exclusion.WRONG_ANSWER, _("None of the accepted answers is in the entry.")
    return "", ""


def _age_reason(contest: Contest, entry: ContestEntry, cache: dict[tuple[str, str], Any]) -> tuple[str, str, bool]:
    """(exclusion, detail, checked) for the minimum account age; asks the network once per author."""
    minimum = contest.min_account_age_days or 0
    if not minimum:
        return "", "", entry.age_checked
    key = (entry.network, entry.author_remote_id)
    if entry.age_checked and key not in cache:
        cache[key] = entry.author_created_at
    if key not in cache:
        account = entry.account or next((target.account for target in contest.targets.select_related("account")), None)
        if account is None:
            return ContestEntry.Exclusion.ACCOUNT_AGE_UNKNOWN, _("No connected account can ask the network."), False
        try:
            cache[key] = adapter_for(account).author_created_at(entry.author_remote_id)
        except (NotSupportedError, PermanentError) as error:
            cache[key] = error
        except NetworkError as error:  # transient: ask again on the next run
            return (
                ContestEntry.Exclusion.ACCOUNT_AGE_UNKNOWN,
                _("Could not ask the network yet: %(error)s") % {"error": error.message},
                False,
            )
    created = cache[key]
    entry.author_created_at = created if isinstance(created, datetime) else None
    if isinstance(created, NetworkError):
        return (
            ContestEntry.Exclusion.ACCOUNT_AGE_UNKNOWN,
            _("The network did not tell the account's age: %(error)s") % {"error": created.message},
            True,
        )
    if created is None:
        return (
            ContestEntry.Exclusion.ACCOUNT_AGE_UNKNOWN,
            _("%(network)s does not say when this account was created.") % {"network": entry.network.capitalize()},
            True,
        )
    age = contest.opens_at - created
    if age < timedelta(days=minimum):
        return (
            ContestEntry.Exclusion.ACCOUNT_TOO_NEW,
            _("Created %(created)s, %(days)s days before the contest opened; at least %(minimum)s needed.")
            % {
                "created": _when(created, contest.timezone),
                "days": max(age.days, 0),
                "minimum": minimum,
            },
            True,
        )
    return "", "", True


def eligibility(*, contest: Contest) -> list[dict[str, str]]:
    """Decide every entry of an open contest (manual exclusions stay) and store the reason for each
    excluded one. Returns what changed: [{"ticket", "from", "to"}]."""
    entries = list(contest.entries.select_related("contact", "account").order_by("posted_at", "pk"))
    staff = _staff(contest)
    first: dict[tuple[str, ...], ContestEntry] = {}
    for entry in entries:
        if contest.opens_at <= entry.posted_at < contest.closes_at:
            first.setdefault(_person(entry), entry)
    cache: dict[tuple[str, str], Any] = {}
    decided: dict[int, tuple[str, str, datetime | None, bool]] = {}
    for entry in entries:
        if entry.exclusion == ContestEntry.Exclusion.MANUAL:
            continue
        reason, detail = _local_reason(contest, entry, first, staff)
        checked = entry.age_checked
        if not reason:
            reason, detail, checked = _age_reason(contest, entry, cache)
        decided[entry.pk] = (reason, detail[:300], entry.author_created_at, checked)
    changes: list[dict[str, str]] = []
    with transaction.atomic():
        locked = Contest.objects.select_for_update().get(pk=contest.pk)
        if locked.state != Contest.State.OPEN:
            return []
        current = {row.pk: row for row in ContestEntry.objects.select_for_update().filter(pk__in=decided)}
        for pk, (reason, detail, created, checked) in decided.items():
            row = current.get(pk)
            if row is None or row.exclusion == ContestEntry.Exclusion.MANUAL:
                continue  # a member excluded it by hand meanwhile
            if (row.exclusion, row.exclusion_detail, row.author_created_at, row.age_checked) == (
                reason,
                detail,
                created,
                checked,
            ):
                continue
            if row.exclusion != reason:
                changes.append({"ticket": row.ticket, "from": row.exclusion or "eligible", "to": reason or "eligible"})
            row.eligible, row.exclusion, row.exclusion_detail = not reason, reason, detail
            row.author_created_at, row.age_checked = created, checked
            row.save(update_fields=["eligible", "exclusion", "exclusion_detail", "author_created_at", "age_checked"])
    return changes


def entry_exclude(
    *, entry: ContestEntry, reason: str, user: User | None, request: HttpRequest | None = None
) -> ContestEntry:
    """A member excludes an entry by hand, saying why (kept with the entry and audited)."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": _("Say why the entry is excluded.")})
    with transaction.atomic():
        contest = contest_locked(entry.contest, Contest.State.OPEN)
        entry = ContestEntry.objects.select_for_update().get(pk=entry.pk)
        before = entry.exclusion or "eligible"
        entry.eligible, entry.exclusion, entry.exclusion_detail = False, ContestEntry.Exclusion.MANUAL, reason[:300]
        entry.full_clean()
        entry.save(update_fields=["eligible", "exclusion", "exclusion_detail"])
        contest_audit(
            AuditEvent.Action.CONTEST_ENTRY_EXCLUDED,
            contest,
            user=user,
            request=request,
            data={
                "entry": entry.pk,
                "ticket": entry.ticket,
                "handle": entry.author_handle,
                "from": before,
                "to": "manual",
                "reason": reason[:300],
            },
        )
    return entry


def entry_include(*, entry: ContestEntry, user: User | None, request: HttpRequest | None = None) -> ContestEntry:
    """Undo a manual exclusion: the entry goes back to the automatic rules (which may still exclude it)."""
    with transaction.atomic():
        contest = contest_locked(entry.contest, Contest.State.OPEN)
        updated = ContestEntry.objects.filter(pk=entry.pk, exclusion=ContestEntry.Exclusion.MANUAL).update(
            eligible=True, exclusion="", exclusion_detail=""
        )
        if not updated:
            raise ValidationError(_("Only an entry a member excluded can be included again."))
    eligibility(contest=contest)
    entry.refresh_from_db()
    contest_audit(
        AuditEvent.Action.CONTEST_ENTRY_INCLUDED,
        contest,
        user=user,
        request=request,
        data={
            "entry": entry.pk,
            "ticket": entry.ticket,
            "handle": entry.author_handle,
            "from": "manual",
            "to": entry.exclusion or "eligible",
        },
    )
    return entry
