"""Community members (docs/community.md): segments, notes and tags, the participation score,
suggested and manual merges, splits, and the privacy duties: export and erasure (both audited).

A "member" here is an inbox `Contact`: one person across networks and accounts.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import combinations
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from participation.models import (
    Contact,
    ContactIdentity,
    ContactNote,
    ContestEntry,
    Conversation,
    Idea,
    IdeaStatusChange,
    IdeaVote,
    InboxItem,
    InboxTag,
    LedgerEntry,
    MergeDismissal,
    RuleFiring,
    Segment,
    Sentiment,
)
from smm.accounts.models import AuditEvent, User, Workspace
from smm.accounts.services import audit_record

# Segments ----------------------------------------------------------------------------------------
BUILTIN_COLORS = {
    Segment.Builtin.ADVOCATES: "#198754",
    Segment.Builtin.CRITICS: "#dc3545",
    Segment.Builtin.CUSTOMERS: "#0d6efd",
    Segment.Builtin.JOURNALISTS: "#6f42c1",
}


def segments_ensure(workspace: Workspace) -> list[Segment]:
    """The workspace's segments, the four built-in ones created (named in the workspace's language)
    the first time anyone looks."""
    existing = set(Segment.objects.filter(workspace=workspace).exclude(builtin="").values_list("builtin", flat=True))
    missing = [builtin for builtin in Segment.Builtin if builtin.value not in existing]
    if missing:
        with translation.override(workspace.language):
            for builtin in missing:
                name = str(builtin.label)
                if Segment.objects.filter(workspace=workspace, name__iexact=name).exists():
                    name = f"{name} ({builtin.value})"  # the team already has a segment of that name
                try:
                    with transaction.atomic():
                        Segment.objects.create(
                            workspace=workspace, name=name, builtin=builtin.value, color=BUILTIN_COLORS[builtin]
                        )
                except IntegrityError:  # another request made it at the same moment
                    pass
    return list(Segment.objects.filter(workspace=workspace).order_by("name"))


def segment_create(*, workspace: Workspace, name: str, color: str = "#0d6efd") -> Segment:
    """The team's own segment (names are unique in a workspace, whatever their case)."""
    name = " ".join(name.split())[:60]
    if not name:
        raise ValidationError({"name": _("Give the segment a name.")})
    if Segment.objects.filter(workspace=workspace, name__iexact=name).exists():
        raise ValidationError({"name": _("There is already a segment with that name.")})
    segment = Segment(workspace=workspace, name=name, color=color)
    segment.full_clean(exclude=["workspace"], validate_constraints=False)
    segment.save()
    return segment


def segment_delete(*, segment: Segment) -> None:
    """Delete one of the team's own segments; the built-in four stay."""
    if segment.builtin:
        raise ValidationError(_("The built-in segments cannot be deleted."))
    segment.delete()


def contact_set_segments(*, contact: Contact, segments: Sequence[Segment]) -> None:
    if any(segment.workspace_id != contact.workspace_id for segment in segments):
        raise ValidationError(_("Choose segments of this workspace."))
    contact.segments.set(segments)


def contact_set_tags(*, contact: Contact, tags: Sequence[InboxTag]) -> None:
    if any(tag.workspace_id != contact.workspace_id for tag in tags):
        raise ValidationError(_("Choose tags of this workspace."))
    contact.tags.set(tags)


# Notes -------------------------------------------------------------------------------------------
def note_add(*, contact: Contact, author: User, text: str) -> ContactNote:
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write a note first.")})
    note = ContactNote(workspace_id=contact.workspace_id, contact=contact, author=author, text=text[:5000])
    note.full_clean()
    note.save()
    return note


def note_delete(*, note: ContactNote, user: User) -> None:
    """Members delete their own notes only."""
    if note.author_id != user.pk:
        raise ValidationError(_("You can delete only your own notes."))
    note.delete()


# The participation score -------------------------------------------------------------------------
HALF_LIFE_DAYS = 90
POSITIVE_BONUS = 1
# What each interaction is worth before it fades (docs/community.md shows the same table).
ITEM_WEIGHTS: dict[str, int] = {
    InboxItem.Kind.COMMENT: 3,
    InboxItem.Kind.REPLY: 3,
    InboxItem.Kind.MENTION: 2,
    InboxItem.Kind.QUOTE: 2,
    InboxItem.Kind.DIRECT: 1,
}
CONTEST_ENTRY_WEIGHT = 2
IDEA_WEIGHT = 5
ACCEPTED_IDEA_WEIGHT = 10

# The rows of the breakdown, in the order the page shows them.
SCORE_KINDS: dict[str, Any] = {
    "comment": (gettext_lazy("Comments and replies"), 3),
    "mention": (gettext_lazy("Mentions and quotes"), 2),
    "direct": (gettext_lazy("Direct messages"), 1),
    "positive": (gettext_lazy("Positive tone (bonus)"), POSITIVE_BONUS),
    "contest": (gettext_lazy("Contest entries"), CONTEST_ENTRY_WEIGHT),
    "idea": (gettext_lazy("Ideas"), IDEA_WEIGHT),
    "accepted_idea": (gettext_lazy("Accepted ideas"), ACCEPTED_IDEA_WEIGHT),
}
_ITEM_ROW: dict[str, str] = {
    InboxItem.Kind.COMMENT: "comment",
    InboxItem.Kind.REPLY: "comment",
    InboxItem.Kind.MENTION: "mention",
    InboxItem.Kind.QUOTE: "mention",
    InboxItem.Kind.DIRECT: "direct",
}


def decay(age: timedelta) -> float:
    """½^(age / 90 days): an interaction counts fully today, half after 90 days, a quarter after 180."""
    days = max(age.total_seconds(), 0) / 86400
    return math.pow(0.5, days / HALF_LIFE_DAYS)


@dataclass
class ScoreRow:
    key: str
    label: str
    weight: int
    count: int = 0
    points: float = 0.0


@dataclass
class ScoreBreakdown:
    rows: list[ScoreRow]
    total: float
    computed_at: datetime
    newest: datetime | None = None


def score_breakdown(contact: Contact, *, now: datetime | None = None) -> ScoreBreakdown:
    """Σ weight(kind) × ½^(age / 90 days) over the contact's interactions, row by row.

    Items in conversations marked spam and our own replies do not count; reposts, likes and
    follows weigh nothing. An accepted idea (planned or done) counts as 10 instead of 5, aged
    from when it was accepted."""
    now = now or timezone.now()
    rows = {key: ScoreRow(key, str(label), weight) for key, (label, weight) in SCORE_KINDS.items()}
    newest: datetime | None = None

    def add(key: str, at: datetime) -> None:
        nonlocal newest
        row = rows[key]
        row.count += 1
        row.points += row.weight * decay(now - at)
        newest = at if newest is None or at > newest else newest

    items = (
        InboxItem.objects.filter(contact=contact, kind__in=list(ITEM_WEIGHTS), conversation__spam=False)
        .values_list("kind", "sentiment", "created_at")
        .iterator()
    )
    for kind, sentiment, created_at in items:
        add(_ITEM_ROW[kind], created_at)
        if sentiment == Sentiment.POSITIVE:
            add("positive", created_at)
    for posted_at in ContestEntry.objects.filter(contact=contact).values_list("posted_at", flat=True):
        add("contest", posted_at)
    accepted_at = {
        change.idea_id: change.created_at
        for change in IdeaStatusChange.objects.filter(idea__contact=contact, to_status__in=Idea.ACCEPTED).order_by(
            "created_at"
        )
    }
    for idea in Idea.objects.filter(contact=contact).only("pk", "status", "created_at", "updated_at"):
        if idea.status in Idea.ACCEPTED:
            add("accepted_idea", accepted_at.get(idea.pk, idea.updated_at))
        else:
            add("idea", idea.created_at)
    ordered = list(rows.values())
    return ScoreBreakdown(
        rows=ordered, total=round(sum(row.points for row in ordered), 2), computed_at=now, newest=newest
    )


def score_compute(*, contact: Contact, now: datetime | None = None) -> float:
    """Recompute and store the contact's participation score (see score_breakdown)."""
    breakdown = score_breakdown(contact, now=now)
    Contact.objects.filter(pk=contact.pk).update(score=breakdown.total, score_at=breakdown.computed_at)
    contact.score, contact.score_at = breakdown.total, breakdown.computed_at
    return breakdown.total


def scores_for_items(item_ids: Sequence[int]) -> int:
    """Recompute the score of the people who wrote these new items, so the members list is current
    without waiting for the nightly refresh."""
    contacts = Contact.objects.filter(items__pk__in=list(item_ids)).distinct().only("pk")
    count = 0
    for contact in contacts:
        score_compute(contact=contact)
        count += 1
    return count


def scores_refresh(*, now: datetime | None = None) -> int:
    """Daily: recompute the score of everyone with activity since their last score, and fade the rest.

    Without new activity every term of the sum fades by the same factor, so an old score times
    ½^(elapsed / 90 days) is exactly the score now: one UPDATE instead of a recomputation."""
    now = now or timezone.now()
    changed = Contact.objects.filter(
        Q(score_at__isnull=True)
        | Q(last_seen_at__gt=F("score_at"))
        | Exists(ContestEntry.objects.filter(contact=OuterRef("pk"), collected_at__gt=OuterRef("score_at")))
        | Exists(Idea.objects.filter(contact=OuterRef("pk"), updated_at__gt=OuterRef("score_at")))
    )
    count = 0
    for contact in changed.only("pk").iterator():
        score_compute(contact=contact, now=now)
        count += 1
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE participation_contact
               SET score = round((score * power(0.5, extract(epoch FROM (%s - score_at)) / %s))::numeric, 2),
                   score_at = %s
             WHERE score > 0 AND score_at < %s
            """,
            [now, HALF_LIFE_DAYS * 86400, now, now],
        )
    return count


# Merge suggestions -------------------------------------------------------------------------------
# A name or handle shared by more contacts than this is too common to suggest anything.
MAX_GROUP = 8
MIN_KEY = 3


def normalise_name(name: str) -> str:
    """ "Änna  Virtanen!" → "annavirtanen": case, accents, spaces and punctuation do not matter."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def handle_local_part(handle: str) -> str:
    """The user name of a handle: "@anna@mastodon.social" and "anna.bsky.social" are both "anna"."""
    handle = handle.strip().lstrip("@")
    handle = handle.split("@", 1)[0]
    handle = handle.split(".", 1)[0]
    return re.sub(r"[^0-9a-z]", "", handle.casefold())


@dataclass
class MergeSuggestion:
    first: Contact
    second: Contact
    reasons: list[str] = field(default_factory=list)


def merge_suggestions(*, workspace_id: int, contact: Contact | None = None) -> list[MergeSuggestion]:
    """Pairs of contacts that look like one person on different networks (the same normalised name
    or the same handle's user name), not dismissed as different people. With `contact`, only
    pairs with that contact."""
    identities = ContactIdentity.objects.filter(workspace_id=workspace_id).values_list(
        "contact_id", "network", "handle", "display_name", "contact__display_name"
    )
    networks: dict[int, set[str]] = defaultdict(set)
    by_key: dict[tuple[str, str], set[int]] = defaultdict(set)
    for contact_id, network, handle, display_name, contact_name in identities.iterator():
        networks[contact_id].add(network)
        for name in {display_name, contact_name}:
            key = normalise_name(name or "")
            if len(key) >= MIN_KEY:
                by_key[("name", key)].add(contact_id)
        local = handle_local_part(handle)
        if len(local) >= MIN_KEY:
            by_key[("handle", local)].add(contact_id)
    reasons: dict[tuple[int, int], set[str]] = defaultdict(set)
    for (kind, _key), contact_ids in by_key.items():
        if len(contact_ids) < 2 or len(contact_ids) > MAX_GROUP:
            continue
        if contact is not None and contact.pk not in contact_ids:
            continue
        for first, second in combinations(sorted(contact_ids), 2):
            if networks[first] == networks[second] and len(networks[first]) == 1:
                continue  # both on one and the same network only: two people who share a name
            if contact is not None and contact.pk not in (first, second):
                continue
            reasons[(first, second)].add(kind)
    if not reasons:
        return []
    dismissed = set(MergeDismissal.objects.filter(workspace_id=workspace_id).values_list("first_id", "second_id"))
    pairs = [pair for pair in reasons if pair not in dismissed]
    contacts = (
        Contact.objects.filter(workspace_id=workspace_id)
        .prefetch_related("identities")
        .in_bulk({contact_id for pair in pairs for contact_id in pair})
    )
    labels = {"name": _("same name"), "handle": _("same user name")}
    suggestions = [
        MergeSuggestion(contacts[first], contacts[second], [labels[kind] for kind in sorted(reasons[(first, second)])])
        for first, second in pairs
        if first in contacts and second in contacts
    ]
    suggestions.sort(key=lambda s: (-(max(s.first.score, s.second.score)), s.first.pk, s.second.pk))
    return suggestions


def merge_dismiss(*, first: Contact, second: Contact, user: User | None) -> MergeDismissal:
    """ "Not the same person": the pair is not suggested again."""
    if first.workspace_id != second.workspace_id or first.pk == second.pk:
        raise ValidationError(_("Choose two different members of this workspace."))
    low, high = sorted((first, second), key=lambda contact: contact.pk)
    dismissal, _created = MergeDismissal.objects.get_or_create(
        first=low, second=high, defaults={"workspace_id": first.workspace_id, "dismissed_by": user}
    )
    return dismissal


# Merge and split ---------------------------------------------------------------------------------
def contact_merge(*, keep: Contact, merge_away: Contact, actor: User | None) -> Contact:
    """Move everything of `merge_away` to `keep` and delete `merge_away`; audited.

    Identities, items, conversations, notes, ledger entries, contest entries, ideas, rule firings,
    tags and segments move. The ledger changes only its `contact` (the one update its trigger
    allows); an award both had for the same rule and source (they took part twice as "two
    people") is detached from the person, with its reversals, so the merged person has it once."""
    if keep.pk == merge_away.pk:
        raise ValidationError(_("Choose another member to merge with."))
    if keep.workspace_id != merge_away.workspace_id:
        raise ValidationError(_("Choose a member of this workspace."))
    with transaction.atomic():
        locked = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[keep.pk, merge_away.pk])}
        if len(locked) != 2:
            raise ValidationError(_("One of the members no longer exists; reload the page."))
        keep, merge_away = locked[keep.pk], locked[merge_away.pk]
        moved: dict[str, int] = {}
        # Awards that would be the same award twice after the merge.
        kept_awards = set(
            LedgerEntry.objects.filter(contact=keep, kind=LedgerEntry.Kind.AWARD)
            .exclude(source="")
            .values_list("rule_id", "source")
        )
        duplicates = [
            entry.pk
            for entry in LedgerEntry.objects.filter(contact=merge_away, kind=LedgerEntry.Kind.AWARD).exclude(source="")
            if (entry.rule_id, entry.source) in kept_awards
        ]
        detached = LedgerEntry.objects.filter(Q(pk__in=duplicates) | Q(reverses_id__in=duplicates)).update(contact=None)
        moved["ledger"] = LedgerEntry.objects.filter(contact=merge_away).update(contact=keep)
        moved["identities"] = ContactIdentity.objects.filter(contact=merge_away).update(contact=keep)
        moved["items"] = InboxItem.objects.filter(contact=merge_away).update(contact=keep)
        moved["conversations"] = Conversation.objects.filter(contact=merge_away).update(contact=keep)
        moved["notes"] = ContactNote.objects.filter(contact=merge_away).update(contact=keep)
        moved["contest_entries"] = ContestEntry.objects.filter(contact=merge_away).update(contact=keep)
        moved["ideas"] = Idea.objects.filter(contact=merge_away).update(contact=keep)
        RuleFiring.objects.filter(contact=merge_away).update(contact=keep)
        # "Not the same person" said of the merged-away contact holds for the merged person too.
        for dismissal in MergeDismissal.objects.filter(Q(first=merge_away) | Q(second=merge_away)):
            other_id = dismissal.second_id if dismissal.first_id == merge_away.pk else dismissal.first_id
            if other_id != keep.pk:
                low, high = sorted((keep.pk, other_id))
                MergeDismissal.objects.get_or_create(
                    first_id=low,
                    second_id=high,
                    defaults={"workspace_id": keep.workspace_id, "dismissed_by_id": dismissal.dismissed_by_id},
                )
        keep.tags.add(*merge_away.tags.all())
        keep.segments.add(*merge_away.segments.all())
        fields: list[str] = []
        if not keep.display_name and merge_away.display_name:
            keep.display_name = merge_away.display_name
            fields.append("display_name")
        if merge_away.note.strip():
            keep.note = "\n\n".join(part for part in (keep.note.strip(), merge_away.note.strip()) if part)
            fields.append("note")
        if merge_away.blocked and not keep.blocked:
            keep.blocked = True
            fields.append("blocked")
        if merge_away.last_seen_at and (keep.last_seen_at is None or merge_away.last_seen_at > keep.last_seen_at):
            keep.last_seen_at = merge_away.last_seen_at
            fields.append("last_seen_at")
        if fields:
            keep.save(update_fields=fields)
        merged_away_id = merge_away.pk
        merge_away.delete()
        score_compute(contact=keep)
        audit_record(
            action=AuditEvent.Action.CONTACT_MERGED,
            actor=actor,
            workspace=keep.workspace,
            target=f"#{keep.pk}",
            data={"kept": keep.pk, "merged": merged_away_id, "moved": moved, "detached_awards": detached},
        )
    return keep


def contact_split(*, contact: Contact, identity: ContactIdentity, actor: User | None) -> Contact:
    """Make `identity` a person of its own, with its items, the conversations only it took part in,
    its contest entries, the ideas from its items and the awards those earned; audited. Notes,
    tags and segments stay with `contact`."""
    if identity.contact_id != contact.pk:
        raise ValidationError(_("That identity is not this member's."))
    with transaction.atomic():
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        if ContactIdentity.objects.filter(contact=contact).count() < 2:
            raise ValidationError(_("A member with one identity cannot be split."))
        new = Contact.objects.create(
            workspace_id=contact.workspace_id,
            display_name=(identity.display_name or identity.handle)[:200],
            last_seen_at=identity.last_seen_at,
        )
        ContactIdentity.objects.filter(pk=identity.pk).update(contact=new)
        item_ids = list(InboxItem.objects.filter(contact=contact, identity=identity).values_list("pk", flat=True))
        InboxItem.objects.filter(pk__in=item_ids).update(contact=new)
        # A conversation follows the identity when the person took part in it only through that identity.
        conversations = (
            Conversation.objects.filter(contact=contact, items__identity=identity)
            .exclude(Exists(InboxItem.objects.filter(conversation=OuterRef("pk"), contact=contact)))
            .distinct()
        )
        moved_conversations = Conversation.objects.filter(pk__in=list(conversations.values_list("pk", flat=True)))
        conversation_count = moved_conversations.update(contact=new)
        entries = ContestEntry.objects.filter(
            contact=contact, network=identity.network, author_remote_id=identity.remote_id
        )
        contest_ids = set(entries.values_list("contest_id", flat=True))
        entry_count = entries.update(contact=new)
        # A contest's award follows only if no entry of the rest of the person remains in that contest.
        still = set(
            ContestEntry.objects.filter(contact=contact, contest_id__in=contest_ids).values_list(
                "contest_id", flat=True
            )
        )
        ideas = Idea.objects.filter(contact=contact, source_item_id__in=item_ids)
        idea_ids = list(ideas.values_list("pk", flat=True))
        ideas.update(contact=new)
        sources = (
            [f"item:{pk}" for pk in item_ids]
            + [f"contest:{pk}" for pk in contest_ids - still]
            + [f"idea:{pk}" for pk in idea_ids]
        )
        awards = list(
            LedgerEntry.objects.filter(contact=contact, kind=LedgerEntry.Kind.AWARD, source__in=sources).values_list(
                "pk", flat=True
            )
        )
        ledger_count = LedgerEntry.objects.filter(Q(pk__in=awards) | Q(reverses_id__in=awards), contact=contact).update(
            contact=new
        )
        RuleFiring.objects.filter(contact=contact, item_id__in=item_ids).update(contact=new)
        score_compute(contact=contact)
        score_compute(contact=new)
        audit_record(
            action=AuditEvent.Action.CONTACT_SPLIT,
            actor=actor,
            workspace=contact.workspace,
            target=f"#{contact.pk}",
            data={
                "from": contact.pk,
                "new": new.pk,
                "identity": identity.pk,
                "moved": {
                    "items": len(item_ids),
                    "conversations": conversation_count,
                    "contest_entries": entry_count,
                    "ideas": len(idea_ids),
                    "ledger": ledger_count,
                },
            },
        )
    return new


# Privacy: export and erasure ---------------------------------------------------------------------
def contest_entries_of(contact: Contact) -> Any:
    """The person's contest entries: linked to them, or sent from one of their identities (an entry
    collected before its author was known as this contact)."""
    by_identity = Q()
    for network, remote_id in contact.identities.values_list("network", "remote_id"):
        by_identity |= Q(network=network, author_remote_id=remote_id)
    entries = ContestEntry.objects.filter(contest__workspace_id=contact.workspace_id)
    return entries.filter(Q(contact=contact) | by_identity) if by_identity else entries.filter(contact=contact)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def contact_export(*, contact: Contact, actor: User | None = None) -> dict[str, Any]:
    """Everything smm holds about one person, as JSON-ready data; the export is audited (without the data)."""
    identities = list(contact.identities.order_by("network", "pk"))
    items = list(
        InboxItem.objects.filter(contact=contact).select_related("account", "identity").order_by("created_at", "pk")
    )
    conversations = list(
        Conversation.objects.filter(Q(contact=contact) | Q(items__contact=contact))
        .select_related("account")
        .distinct()
        .order_by("created_at", "pk")
    )
    entries = list(contest_entries_of(contact).select_related("contest").order_by("posted_at", "pk"))
    ideas = list(Idea.objects.filter(contact=contact).order_by("created_at", "pk"))
    ledger = list(LedgerEntry.objects.filter(contact=contact).select_related("programme").order_by("created_at", "pk"))
    breakdown = score_breakdown(contact)
    data: dict[str, Any] = {
        "format": "smm-community-member/1",
        "exported_at": timezone.now().isoformat(),
        "workspace": contact.workspace.name,
        "member": {
            "id": contact.pk,
            "name": contact.display_name,
            "note": contact.note,
            "blocked": contact.blocked,
            "created_at": _iso(contact.created_at),
            "last_seen_at": _iso(contact.last_seen_at),
        },
        "identities": [
            {
                "network": identity.network,
                "remote_id": identity.remote_id,
                "handle": identity.handle,
                "previous_handles": identity.previous_handles,
                "name": identity.display_name,
                "profile_url": identity.profile_url,
                "avatar_url": identity.avatar_url,
                "first_seen_at": _iso(identity.first_seen_at),
                "last_seen_at": _iso(identity.last_seen_at),
            }
            for identity in identities
        ],
        "items": [
            {
                "id": item.pk,
                "conversation": item.conversation_id,
                "network": item.account.network,
                "account": item.account.handle,
                "kind": item.kind,
                "remote_id": item.remote_id,
                "url": item.url,
                "author_handle": item.author_handle,
                "author_name": item.author_name,
                "text": item.text,
                "language": item.language,
                "sentiment": item.sentiment,
                "created_at": _iso(item.created_at),
                "hidden": item.hidden,
                "deleted": item.deleted,
            }
            for item in items
        ],
        "conversations": [
            {
                "id": conversation.pk,
                "network": conversation.account.network,
                "account": conversation.account.handle,
                "kind": conversation.kind,
                "subject": conversation.subject,
                "url": conversation.root_url,
                "status": conversation.status,
                "created_at": _iso(conversation.created_at),
                "last_activity_at": _iso(conversation.last_activity_at),
            }
            for conversation in conversations
        ],
        "notes": [
            {
                "text": note.text,
                "author": note.author.display_name if note.author else "",
                "created_at": _iso(note.created_at),
            }
            for note in contact.notes.select_related("author").order_by("created_at", "pk")
        ],
        "tags": [tag.name for tag in contact.tags.order_by("name")],
        "segments": [segment.name for segment in contact.segments.order_by("name")],
        "ledger": [
            {
                "programme": entry.programme.name,
                "kind": entry.kind,
                "points": entry.points,
                "badge": entry.badge,
                "action": entry.action,
                "source": entry.source,
                "note": entry.note,
                "reverses": entry.reverses_id,
                "id": entry.pk,
                "created_at": _iso(entry.created_at),
            }
            for entry in ledger
        ],
        "contest_entries": [
            {
                "contest": entry.contest.title,
                "network": entry.network,
                "url": entry.url,
                "author_handle": entry.author_handle,
                "text": entry.text,
                "posted_at": _iso(entry.posted_at),
                "ticket": entry.ticket,
                "eligible": entry.eligible,
                "exclusion": entry.exclusion,
            }
            for entry in entries
        ],
        "ideas": [
            {
                "title": idea.title,
                "text": idea.text,
                "status": idea.status,
                "contributor_name": idea.contributor_name,
                "contributor_email": idea.contributor_email,
                "votes": idea.votes_count,
                "created_at": _iso(idea.created_at),
            }
            for idea in ideas
        ],
        # Votes are cast by team members and page visitors, not tied to a person here: the votes
        # their ideas received.
        "votes": {"on_their_ideas": IdeaVote.objects.filter(idea__contact=contact).count()},
        "score": {
            "total": breakdown.total,
            "formula": "Σ weight(kind) × ½^(age / 90 days)",
            "rows": [
                {"kind": row.key, "weight": row.weight, "count": row.count, "points": round(row.points, 2)}
                for row in breakdown.rows
            ],
        },
    }
    audit_record(
        action=AuditEvent.Action.CONTACT_EXPORTED,
        actor=actor,
        workspace=contact.workspace,
        target=f"#{contact.pk}",
        data={"contact": contact.pk, "identities": len(identities), "items": len(items)},
    )
    return data


def contact_erase(*, contact: Contact, actor: User | None) -> dict[str, int]:
    """Remove everything that identifies the person, then the contact itself; audited without
    their data. Returns what was removed, by kind.

    Their items are deleted (with our replies to them), and so are the conversations no one else
    took part in; notes go; contest entries stay anonymised (no author, text or link, the ticket
    kept so a published entry list still verifies); ideas stay without their contributor; ledger
    entries stay without a person (the one update the ledger allows)."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().select_related("workspace").get(pk=contact.pk)
        counts: dict[str, int] = {"identities": contact.identities.count()}
        conversation_ids = set(
            Conversation.objects.filter(Q(contact=contact) | Q(items__contact=contact)).values_list("pk", flat=True)
        )
        counts["items"] = InboxItem.objects.filter(contact=contact).delete()[1].get(InboxItem._meta.label, 0)
        # Conversations without anyone else's items go entirely (our replies to them included).
        lonely = Conversation.objects.filter(pk__in=conversation_ids).exclude(
            Exists(
                InboxItem.objects.filter(conversation=OuterRef("pk"), contact__isnull=False).exclude(
                    kind=InboxItem.Kind.OURS
                )
            )
        )
        counts["conversations"] = lonely.delete()[1].get(Conversation._meta.label, 0)
        # Conversations others took part in stay, without their subject (it may quote the person).
        for conversation in Conversation.objects.filter(pk__in=conversation_ids, contact=contact):
            other = (
                InboxItem.objects.filter(conversation=conversation, contact__isnull=False)
                .exclude(kind=InboxItem.Kind.OURS)
                .order_by("created_at")
                .values_list("contact_id", flat=True)
                .first()
            )
            conversation.contact_id = other
            conversation.subject = ""
            conversation.save(update_fields=["contact", "subject"])
        Conversation.objects.filter(pk__in=conversation_ids).update(
            item_count=Subquery(
                InboxItem.objects.filter(conversation=OuterRef("pk"))
                .values("conversation")
                .annotate(count=Count("pk"))
                .values("count")
            )
        )
        counts["notes"] = ContactNote.objects.filter(contact=contact).delete()[0]
        counts["contest_entries"] = 0
        for entry in list(contest_entries_of(contact)):
            ContestEntry.objects.filter(pk=entry.pk).update(
                contact=None,
                author_remote_id="",
                author_handle="",
                author_name="",
                text="",
                url="",
                remote_id=f"erased:{entry.pk}",
            )
            counts["contest_entries"] += 1
        counts["ideas"] = Idea.objects.filter(contact=contact).update(
            contact=None, contributor_name="", contributor_email="", ip_hash="", source_item=None
        )
        counts["ledger"] = LedgerEntry.objects.filter(contact=contact).update(contact=None)
        contact_id = contact.pk
        contact.delete()
        audit_record(
            action=AuditEvent.Action.CONTACT_ERASED,
            actor=actor,
            workspace=contact.workspace,
            target=f"#{contact_id}",
            data={"contact": contact_id, "removed": counts},
        )
    return counts


# Lists -------------------------------------------------------------------------------------------
def other_conversations(
    contact: Contact, *, account_ids: Iterable[int], exclude: Iterable[int] = (), limit: int = 10
) -> list[Conversation]:
    """The person's other conversations on the accounts `account_ids` (those the member may see),
    across networks, newest first (the inbox's contact panel)."""
    return list(
        Conversation.objects.filter(Q(contact=contact) | Q(items__contact=contact), account_id__in=list(account_ids))
        .exclude(pk__in=list(exclude))
        .select_related("account")
        .distinct()
        .order_by("-last_activity_at", "-pk")[:limit]
    )


def members_query(*, workspace_id: int, values: dict[str, Any]) -> Any:
    """The workspace's community members filtered by the member list's form values (name or handle,
    segment, tag, network, minimum score) and sorted (score, last seen, name)."""
    members = Contact.objects.filter(workspace_id=workspace_id)
    if values.get("q"):
        text = values["q"].strip().lstrip("@")
        members = members.filter(
            Q(display_name__icontains=text)
            | Exists(
                ContactIdentity.objects.filter(contact=OuterRef("pk")).filter(
                    Q(handle__icontains=text) | Q(display_name__icontains=text)
                )
            )
        )
    if values.get("segment"):
        members = members.filter(segments=values["segment"])
    if values.get("tag"):
        members = members.filter(tags=values["tag"])
    if values.get("network"):
        members = members.filter(
            Exists(ContactIdentity.objects.filter(contact=OuterRef("pk"), network=values["network"]))
        )
    if values.get("min_score") is not None:
        members = members.filter(score__gte=values["min_score"])
    sort = values.get("sort") or "score"
    order: list[Any]
    if sort == "seen":
        order = [F("last_seen_at").desc(nulls_last=True), "-pk"]
    elif sort == "name":
        order = ["display_name", "pk"]
    else:
        order = ["-score", F("last_seen_at").desc(nulls_last=True), "-pk"]
    return members.order_by(*order)
