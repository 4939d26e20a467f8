"""Contests on posts smm published, with a verifiable draw (docs/community.md).

The life of a contest: a draft is saved (`contest_save`); `contest_open` makes the secret seed and
publishes its hash; participation.services.contest_entries collects the entries every few minutes
and decides, with a reason, which of them count;
after the window closes `contest_draw` fixes the list of eligible entries, hashes it and picks the
winners (participation.services.draw); `contest_reveal` publishes the seed so anyone can check the
draw with docs/verify_draw.py; `contest_redraw` replaces winners who did not claim their prize;
`winners_notify` tells the winners. Every change is audited; `contest_export` gives all of it.

Network I/O happens outside transactions; each state change locks the contest row and checks the
state again, so a draw cannot happen while a collection is storing entries.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from participation.models import Contact, Contest, ContestEntry, ContestWinner, RewardAction
from participation.services import draw
from participation.services.contest_entries import (
    accepted_answers,
    contest_audit,
    contest_locked,
    eligibility,
    networks_with,
    networks_with_direct_posts,
    staff_handle_list,
)
from publishing.models import Target
from publishing.services.validation import account_limits
from smm.accounts.models import AccountLevel, AuditEvent, Membership, User
from smm.accounts.services import account_level_for
from smm.lib import crypto
from smm.networks.base import Capability, NetworkError, PostDraft, TransientError, UnknownOutcomeError
from smm.networks.models import ConnectedAccount
from smm.networks.registry import adapter_class, adapter_for

logger = logging.getLogger(__name__)

PLACEHOLDERS = ("{name}", "{prize}", "{contest}")
# The fields fixed once a contest is open: people enter under these rules.
FROZEN_FIELDS = (
    "title",
    "prize",
    "rules_text",
    "mechanic",
    "answers",
    "hashtag",
    "opens_at",
    "closes_at",
    "one_entry_per_person",
    "min_account_age_days",
    "exclude_staff",
    "staff_handles",
    "exclude_blocked",
    "required_keyword",
    "winners_count",
)
EDITABLE_WHEN_OPEN = ("notify_by", "winner_template")


def mechanic_capability(mechanic: str) -> Capability:
    return Capability.SEARCH if mechanic == Contest.Mechanic.HASHTAG else Capability.READ_REPLIES


def available_targets(workspace_id: int, *, account_ids: Iterable[int] | None = None) -> QuerySet[Target]:
    """Published posts of the workspace's own accounts from which entries can be read (replies or a
    hashtag search), newest first."""
    readable = networks_with(Capability.READ_REPLIES) | networks_with(Capability.SEARCH)
    queryset = (
        Target.objects.for_workspace(workspace_id)
        .filter(
            status=Target.Status.PUBLISHED,
            account__workspace_id=workspace_id,
            account__personal_owner__isnull=True,
            account__network__in=readable,
        )
        .exclude(remote_id="")
        .exclude(account__status=ConnectedAccount.Status.DISCONNECTED)
        .select_related("post", "account")
        .order_by("-published_at", "-pk")
    )
    if account_ids is not None:
        queryset = queryset.filter(account_id__in=list(account_ids))
    return queryset


def target_label(target: Target) -> str:
    when = (
        formats.date_format(timezone.localtime(target.published_at), "SHORT_DATETIME_FORMAT")
        if target.published_at
        else ""
    )
    return f"{target.account} · {when} · {str(target.post)[:60]}"


# Guardrails --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MechanicsWarning:
    code: str
    message: str
    blocking: bool = False  # True: the contest cannot be opened like this


# "Share to enter", "tag a friend", in English and Finnish.
_SHARE = re.compile(
    r"\b(share|shares|sharing|retweet|repost|boost|jaa|jaat|jakamalla|tägää|tagaa|merkitse"
    r"|tag a friend|tag your friends?|tag \w+ friends?)\b",
    re.IGNORECASE,
)
_PURCHASE = re.compile(r"\b(purchase|buy|osta|ostamalla|ostaneiden)\b", re.IGNORECASE)


def mechanics_warnings(contest: Contest, *, targets: Sequence[Target] | None = None) -> list[MechanicsWarning]:
    """What in this contest may break a network's promotion rules or cannot work, in plain words.

    `targets` for a contest that is not saved yet (the form); otherwise its own."""
    if targets is None:
        targets = list(contest.targets.select_related("account", "post")) if contest.pk else []
    networks = {target.account.network for target in targets}
    texts = " ".join([contest.rules_text, contest.title, *(target.post.text for target in targets)])
    warnings: list[MechanicsWarning] = []
    if not contest.rules_text.strip():
        warnings.append(
            MechanicsWarning("rules", _("Write the contest's rules: a contest cannot be opened without them."), True)
        )
    if _SHARE.search(texts):
        warnings.append(
            MechanicsWarning(
                "share",
                _(
                    "The text asks people to share, boost or tag friends. Facebook forbids “share to enter” and "
                    "“tag friends to enter” on personal timelines, and smm cannot see shares anyway: entries are "
                    "replies or hashtag posts only."
                ),
            )
        )
    if _PURCHASE.search(contest.rules_text):
        warnings.append(
            MechanicsWarning(
                "purchase",
                _(
                    "The rules mention buying. Entering must be free: a prize draw that requires a purchase "
                    "is a lottery under the Finnish Lotteries Act."
                ),
            )
        )
    if "facebook" in networks:
        warnings.append(
            MechanicsWarning(
                "facebook",
                _(
                    "Facebook: promotions may be run on Pages only, not on personal timelines; the rules must "
                    "release Facebook from responsibility."
                ),
            )
        )
    if "instagram" in networks and not ("meta" in texts.casefold() and "instagram" in contest.rules_text.casefold()):
        warnings.append(
            MechanicsWarning(
                "instagram",
                _(
                    "Instagram requires the rules to release Meta from all responsibility and to say that the "
                    "promotion is not sponsored, endorsed or administered by Instagram."
                ),
            )
        )
    if networks & {"mastodon", "bluesky"}:
        warnings.append(
            MechanicsWarning(
                "community_norms",
                _(
                    "Mastodon and Bluesky have no official promotion rules, but community norms: many Mastodon "
                    "servers treat giveaways that ask for boosts as spam (check your server's rules), and "
                    "Bluesky's guidelines forbid fake engagement. Ask for a reply, not a boost or a follow."
                ),
            )
        )
    capability = mechanic_capability(contest.mechanic)
    unable = sorted(
        {
            target.account.get_network_display()
            for target in targets
            if target.account.network not in networks_with(capability)
        }
    )
    if unable:
        warnings.append(
            MechanicsWarning(
                "capability",
                _("%(networks)s cannot be read for this way of entering; choose other posts.")
                % {"networks": ", ".join(unable)},
                True,
            )
        )
    if contest.notify_by == Contest.Notify.DIRECT:
        no_dm = sorted(
            {
                target.account.get_network_display()
                for target in targets
                if target.account.network not in networks_with_direct_posts()
            }
        )
        if no_dm:
            warnings.append(
                MechanicsWarning(
                    "direct",
                    _("%(networks)s: smm cannot send direct messages there; tell those winners by reply.")
                    % {"networks": ", ".join(no_dm)},
                )
            )
    if contest.min_account_age_days:
        warnings.append(
            MechanicsWarning(
                "account_age",
                _(
                    "A minimum account age excludes everyone whose network does not tell when their account was "
                    "created (Bluesky often does not): they are excluded with the reason “account age unknown”."
                ),
            )
        )
    if contest.closes_at and contest.state == Contest.State.DRAFT and contest.closes_at <= timezone.now():
        warnings.append(
            MechanicsWarning("closed", _("The entry window has already closed: the contest cannot be opened."), True)
        )
    return warnings


def blocking_problems(contest: Contest) -> list[str]:
    return [warning.message for warning in mechanics_warnings(contest) if warning.blocking]


# Saving ------------------------------------------------------------------------------------------
_HASHTAG = re.compile(r"^\w{1,99}$")
_BRACES = re.compile(r"\{[^{}]*\}")


def _validate(contest: Contest, targets: Sequence[Target]) -> None:
    errors: dict[str, list[str]] = {}
    if not targets:
        errors.setdefault("targets", []).append(_("Choose at least one published post."))
    capability = mechanic_capability(contest.mechanic)
    for target in targets:
        if target.post.workspace_id != contest.workspace_id or target.status != Target.Status.PUBLISHED:
            errors.setdefault("targets", []).append(_("Choose posts this workspace has published."))
            break
        if target.account.network not in networks_with(capability):
            errors.setdefault("targets", []).append(
                _("%(network)s cannot be read for this way of entering.")
                % {"network": target.account.get_network_display()}
            )
            break
    if contest.mechanic == Contest.Mechanic.ANSWER and not accepted_answers(contest):
        errors.setdefault("answers", []).append(_("Write at least one accepted answer, one a line."))
    if contest.mechanic == Contest.Mechanic.HASHTAG:
        contest.hashtag = contest.hashtag.strip().lstrip("#")
        if not _HASHTAG.match(contest.hashtag):
            errors.setdefault("hashtag", []).append(
                _("Write one hashtag, letters and digits only, for example #giveaway.")
            )
    if not contest.rules_text.strip():
        errors.setdefault("rules_text", []).append(_("Write the contest's rules."))
    if contest.opens_at and contest.closes_at and contest.closes_at <= contest.opens_at:
        errors.setdefault("closes_at", []).append(_("The window must close after it opens."))
    contest.winner_template = str(contest.winner_template)  # the field's default is a lazy translation
    unknown = [part for part in _BRACES.findall(contest.winner_template) if part not in PLACEHOLDERS]
    if unknown:
        errors.setdefault("winner_template", []).append(
            _("Unknown placeholders: %(unknown)s. Use {name}, {prize} and {contest}.") % {"unknown": ", ".join(unknown)}
        )
    if errors:
        raise ValidationError(errors)


def contest_save(
    *,
    workspace_id: int,
    values: dict[str, Any],
    targets: Sequence[Target],
    user: User | None,
    contest: Contest | None = None,
    request: HttpRequest | None = None,
) -> Contest:
    """Create a draft (no `contest`) or change one. Once open only the message to winners and how
    they are told may change: people entered under the rest."""
    creating = contest is None
    if contest is None:
        contest = Contest(workspace_id=workspace_id, created_by=user)
    elif contest.state not in (Contest.State.DRAFT, Contest.State.OPEN):
        raise ValidationError(_("A contest that has been drawn or cancelled cannot be changed."))
    before = {name: getattr(contest, name) for name in (*FROZEN_FIELDS, *EDITABLE_WHEN_OPEN, "timezone")}
    before_targets = sorted(contest.targets.values_list("pk", flat=True)) if contest.pk else []
    if contest.state == Contest.State.OPEN:
        changed_frozen = [name for name in FROZEN_FIELDS if name in values and values[name] != before[name]]
        if changed_frozen or sorted(target.pk for target in targets) != before_targets:
            raise ValidationError(
                _("The contest is open: only the message to winners and how they are told can change.")
            )
        values = {name: values[name] for name in EDITABLE_WHEN_OPEN if name in values}
    for name, value in values.items():
        setattr(contest, name, value)
    _validate(contest, targets if contest.state == Contest.State.DRAFT else list(contest.targets.all()))
    contest.full_clean()
    with transaction.atomic():
        contest.save()
        if contest.state == Contest.State.DRAFT:
            contest.targets.set(targets)
        changes = {
            name: {"from": _jsonable(before[name]), "to": _jsonable(getattr(contest, name))}
            for name in before
            if before[name] != getattr(contest, name)
        }
        after_targets = sorted(contest.targets.values_list("pk", flat=True))
        if after_targets != before_targets:
            changes["targets"] = {"from": before_targets, "to": after_targets}
        contest_audit(
            AuditEvent.Action.CONTEST_SAVED,
            contest,
            user=user,
            request=request,
            data={"created": creating, "changes": {} if creating else changes},
        )
    return contest


def _jsonable(value: Any) -> Any:
    """A value as the audit log keeps it (long texts, such as the rules, shortened)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and len(value) > 200:
        return value[:199] + "…"
    return value


# Opening, the commitment, cancelling -------------------------------------------------------------
def _seed(contest: Contest) -> str:
    seed = crypto.decrypt_json(contest.seed_encrypted).get("seed", "")
    if not draw.is_seed(str(seed)):
        raise ValidationError(_("The contest's seed cannot be read."))
    return str(seed)


def contest_open(*, contest: Contest, user: User | None, request: HttpRequest | None = None) -> Contest:
    """Make the secret seed and publish its hash: from now on entries are collected. Refused without
    rules text, after the window closed, or when a guardrail blocks it."""
    problems = blocking_problems(contest)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        locked = contest_locked(contest, Contest.State.DRAFT)
        now = timezone.now()
        if locked.closes_at <= now:
            raise ValidationError(_("The entry window has already closed: the contest cannot be opened."))
        if not locked.rules_text.strip():
            raise ValidationError(_("Write the contest's rules: a contest cannot be opened without them."))
        seed = draw.new_seed()
        locked.seed_encrypted = crypto.encrypt_json({"seed": seed})
        locked.seed_hash = draw.commitment(seed)
        locked.state = Contest.State.OPEN
        locked.opened_at = now
        locked.save(update_fields=["seed_encrypted", "seed_hash", "state", "opened_at"])
        contest_audit(
            AuditEvent.Action.CONTEST_OPENED,
            locked,
            user=user,
            request=request,
            data={"from": Contest.State.DRAFT, "to": Contest.State.OPEN, "seed_hash": locked.seed_hash},
        )
    return locked


def public_url(contest: Contest) -> str:
    return settings.SITE_URL + reverse("public-contests:detail", args=[contest.workspace.slug, contest.pk])


def commitment_text(contest: Contest, target: Target) -> str:
    """The post that publishes the seed's hash, shortened to fit the account's limit."""
    limits = account_limits(target.account)
    title = contest.title
    while True:
        text = _(
            "Draw commitment for “%(title)s”: SHA-256 of the secret seed %(hash)s. "
            "Rules and how to check the draw: %(url)s"
        ) % {
            "title": title,
            "hash": contest.seed_hash,
            "url": public_url(contest),
        }
        if limits is None or limits.count(text) <= limits.max_characters or len(title) <= 1:
            return text
        title = title[: max(1, len(title) - 10)].rstrip() + "…" if len(title) > 11 else title[:1]


def contest_commitment_post(*, contest: Contest, membership: Membership, request: HttpRequest | None = None) -> str:
    """Post the seed's hash as a reply to the contest's first post (through its account's adapter,
    in the same thread people enter in). Only while open and before the window closes."""
    contest = Contest.objects.select_related("workspace").get(pk=contest.pk)
    if contest.state != Contest.State.OPEN or contest.closes_at <= timezone.now():
        raise ValidationError(_("The seed's hash can be posted only while the contest is open."))
    if contest.commitment_url:
        raise ValidationError(_("The seed's hash has already been posted."))
    target = contest.targets.select_related("account").order_by("pk").first()
    if target is None:
        raise ValidationError(_("The contest has no post to reply to."))
    if account_level_for(membership=membership, account=target.account) < AccountLevel.PUBLISH:
        raise PermissionDenied
    text = commitment_text(contest, target)
    draft = PostDraft(
        text=text,
        idempotency_key=adapter_class(target.account.network).new_idempotency_key(),
        reply_to=target.remote_id,
    )
    try:
        published = adapter_for(target.account).publish(draft)
    except NetworkError as error:
        raise ValidationError(_("The network refused: %(error)s") % {"error": error.message}) from error
    with transaction.atomic():
        Contest.objects.filter(pk=contest.pk).update(commitment_url=published.url[:1000])
        contest_audit(
            AuditEvent.Action.CONTEST_COMMITMENT_POSTED,
            contest,
            user=membership.user,
            request=request,
            data={"url": published.url[:1000], "seed_hash": contest.seed_hash},
        )
    return published.url


def contest_cancel(*, contest: Contest, user: User | None, request: HttpRequest | None = None) -> Contest:
    with transaction.atomic():
        locked = contest_locked(contest, Contest.State.DRAFT, Contest.State.OPEN)
        before = locked.state
        locked.state = Contest.State.CANCELLED
        locked.save(update_fields=["state"])
        contest_audit(
            AuditEvent.Action.CONTEST_CANCELLED,
            locked,
            user=user,
            request=request,
            data={"from": before, "to": locked.state},
        )
    return locked


# The draw ----------------------------------------------------------------------------------------
def fixed_list(contest: Contest) -> str:
    """The entry list as published: eligible tickets sorted, one a line."""
    return draw.entry_list(contest.entries.filter(eligible=True).values_list("ticket", flat=True))


def contest_draw(*, contest: Contest, user: User | None, request: HttpRequest | None = None) -> list[ContestWinner]:
    """After the window closes: decide eligibility a last time, fix and hash the list of eligible
    entries, pick the winners (participation.services.draw) and award the entrants' points."""
    if contest.state == Contest.State.OPEN and timezone.now() < contest.closes_at:
        raise ValidationError(_("The entry window is still open: draw after it closes."))
    if contest.state == Contest.State.OPEN:
        eligibility(contest=contest)
    with transaction.atomic():
        locked = contest_locked(contest, Contest.State.OPEN)
        if timezone.now() < locked.closes_at:
            raise ValidationError(_("The entry window is still open: draw after it closes."))
        tickets = sorted(locked.entries.filter(eligible=True).values_list("ticket", flat=True))
        if not tickets:
            raise ValidationError(_("There are no eligible entries to draw from."))
        seed = _seed(locked)
        text = draw.entry_list(tickets)
        locked.list_hash = draw.list_hash(text)
        picked = draw.pick(
            seed_hex=seed, list_hash=locked.list_hash, tickets=tickets, count=locked.winners_count, round=1
        )
        by_ticket = {entry.ticket: entry for entry in locked.entries.filter(ticket__in=picked)}
        winners = [
            ContestWinner.objects.create(contest=locked, entry=by_ticket[value], round=1, position=position)
            for position, value in enumerate(picked, start=1)
        ]
        locked.state = Contest.State.DRAWN
        locked.drawn_at = timezone.now()
        locked.save(update_fields=["list_hash", "state", "drawn_at"])
        contest_audit(
            AuditEvent.Action.CONTEST_DRAWN,
            locked,
            user=user,
            request=request,
            data={
                "from": Contest.State.OPEN,
                "to": Contest.State.DRAWN,
                "entries": len(tickets),
                "list_hash": locked.list_hash,
                "winners": [
                    {"ticket": winner.entry.ticket, "handle": winner.entry.author_handle} for winner in winners
                ],
            },
        )
    _award_entrants(locked, user)
    return winners


def _award_entrants(contest: Contest, user: User | None) -> None:
    """Points for taking part, once per person and contest (rewards decides what an entry is worth)."""
    from participation.services.rewards import award

    contacts = Contact.objects.filter(contest_entries__contest=contest, contest_entries__eligible=True).distinct()
    for contact in contacts:
        award(contact=contact, action=RewardAction.CONTEST_ENTRY, source=f"contest:{contest.pk}", actor=user)


def open_prizes(contest: Contest) -> int:
    """Prizes without a winner who may still claim them (unclaimed ones wait for a redraw)."""
    return contest.winners_count - contest.winners.exclude(status=ContestWinner.Status.UNCLAIMED).count()


def contest_redraw(*, contest: Contest, user: User | None, request: HttpRequest | None = None) -> list[ContestWinner]:
    """Draw the next round for the prizes not claimed: the same list, seed and procedure, skipping
    everyone drawn before."""
    with transaction.atomic():
        locked = contest_locked(contest, Contest.State.DRAWN, Contest.State.REVEALED)
        missing = open_prizes(locked)
        if missing <= 0:
            raise ValidationError(_("Every prize has a winner: mark a winner as unclaimed first."))
        text = fixed_list(locked)
        if draw.list_hash(text) != locked.list_hash:
            raise ValidationError(_("The entry list no longer matches its published hash; nothing was drawn."))
        tickets = text.split("\n")
        earlier = list(locked.winners.values_list("entry__ticket", flat=True))
        next_round = (max(locked.winners.values_list("round", flat=True), default=0) or 0) + 1
        seed = locked.seed_revealed or _seed(locked)
        picked = draw.pick(
            seed_hex=seed, list_hash=locked.list_hash, tickets=tickets, count=missing, round=next_round, exclude=earlier
        )
        if not picked:
            raise ValidationError(_("Everyone on the list has already been drawn."))
        by_ticket = {entry.ticket: entry for entry in locked.entries.filter(ticket__in=picked)}
        winners = [
            ContestWinner.objects.create(contest=locked, entry=by_ticket[value], round=next_round, position=position)
            for position, value in enumerate(picked, start=1)
        ]
        contest_audit(
            AuditEvent.Action.CONTEST_REDRAWN,
            locked,
            user=user,
            request=request,
            data={
                "round": next_round,
                "excluded": earlier,
                "winners": [
                    {"ticket": winner.entry.ticket, "handle": winner.entry.author_handle} for winner in winners
                ],
            },
        )
    return winners


def winner_mark(
    *, winner: ContestWinner, status: str, user: User | None, request: HttpRequest | None = None
) -> ContestWinner:
    """A waiting winner claimed the prize, or did not (then the prize can be redrawn)."""
    if status not in (ContestWinner.Status.CLAIMED, ContestWinner.Status.UNCLAIMED):
        raise ValidationError(_("Choose claimed or unclaimed."))
    with transaction.atomic():
        contest = contest_locked(winner.contest, Contest.State.DRAWN, Contest.State.REVEALED)
        updated = ContestWinner.objects.filter(pk=winner.pk, status=ContestWinner.Status.WAITING).update(status=status)
        if not updated:
            raise ValidationError(_("This winner has already been marked."))
        contest_audit(
            AuditEvent.Action.CONTEST_WINNER_MARKED,
            contest,
            user=user,
            request=request,
            data={
                "winner": winner.pk,
                "ticket": winner.entry.ticket,
                "from": ContestWinner.Status.WAITING,
                "to": status,
            },
        )
    winner.refresh_from_db()
    return winner


def contest_reveal(*, contest: Contest, user: User | None, request: HttpRequest | None = None) -> Contest:
    """Publish the seed: with the list and its hash anyone can now check the draw."""
    with transaction.atomic():
        locked = contest_locked(contest, Contest.State.DRAWN)
        seed = _seed(locked)
        if draw.commitment(seed) != locked.seed_hash:
            raise ValidationError(_("The seed does not match its published hash; it was not revealed."))
        locked.seed_revealed = seed
        locked.seed_encrypted = ""  # no longer a secret
        locked.state = Contest.State.REVEALED
        locked.revealed_at = timezone.now()
        locked.save(update_fields=["seed_revealed", "seed_encrypted", "state", "revealed_at"])
        contest_audit(
            AuditEvent.Action.CONTEST_REVEALED,
            locked,
            user=user,
            request=request,
            data={
                "from": Contest.State.DRAWN,
                "to": Contest.State.REVEALED,
                "seed": seed,
                "seed_hash": locked.seed_hash,
            },
        )
    return locked


def verify_command(contest: Contest, *, round_number: int = 1, script: str = "docs/verify_draw.py") -> str:
    """The command line that checks a round of the draw with the shipped script."""
    winners = [winner for winner in contest.winners.all() if winner.round == round_number]
    earlier = [winner.entry.ticket for winner in contest.winners.all() if winner.round < round_number]
    command = (
        f"python {script} --seed {contest.seed_revealed or 'SEED'} --entries list.txt "
        f"--winners {len(winners) or contest.winners_count} --round {round_number} "
        f"--seed-hash {contest.seed_hash} --list-hash {contest.list_hash}"
    )
    if earlier:
        command += " --exclude " + ",".join(earlier)
    return command


# Telling the winners -----------------------------------------------------------------------------
def winner_message(contest: Contest, entry: ContestEntry) -> str:
    """The template filled in ({name}, {prize}, {contest}; nothing else is replaced)."""
    values = {"{name}": entry.author_name or entry.author_handle, "{prize}": contest.prize, "{contest}": contest.title}
    return _BRACES.sub(lambda match: values.get(match.group(0), match.group(0)), str(contest.winner_template))


def _mention(handle: str) -> str:
    return handle if handle.startswith("@") else f"@{handle}"


@dataclass
class NotifyOutcome:
    winner: ContestWinner
    error: str = ""


def winners_notify(
    *, contest: Contest, membership: Membership, winner: ContestWinner | None = None, request: HttpRequest | None = None
) -> list[NotifyOutcome]:
    """Tell the winners not told yet (or one, to retry) by a reply to their entry or a direct
    message, from the account the entry came to. Errors are kept per winner."""
    if contest.state not in (Contest.State.DRAWN, Contest.State.REVEALED):
        raise ValidationError(_("Winners are told after the draw."))
    winners = (
        [winner]
        if winner is not None
        else list(
            contest.winners.filter(status=ContestWinner.Status.WAITING, notified_at__isnull=True).select_related(
                "entry__account"
            )
        )
    )
    outcomes = [_notify_one(contest, membership, item, request) for item in winners]
    return outcomes


def _notify_one(
    contest: Contest, membership: Membership, winner: ContestWinner, request: HttpRequest | None
) -> NotifyOutcome:
    winner = ContestWinner.objects.select_related("entry__account", "contest").get(pk=winner.pk)
    if winner.notified_at is not None:
        return NotifyOutcome(winner, _("Already told."))
    entry = winner.entry
    account = entry.account
    error = ""
    url = ""
    if account is None:
        error = _("The account the entry came to is no longer connected.")
    elif account_level_for(membership=membership, account=account) < AccountLevel.PUBLISH:
        error = _("You may not publish on %(account)s.") % {"account": account}
    else:
        text = winner_message(contest, entry)
        mention = _mention(entry.author_handle)
        if mention.casefold() not in text.casefold():
            text = f"{mention} {text}"
        direct = contest.notify_by == Contest.Notify.DIRECT
        limits = account_limits(account)
        if direct and account.network not in networks_with_direct_posts():
            error = _("%(network)s: smm cannot send direct messages there; tell this winner by reply.") % {
                "network": account.get_network_display()
            }
        elif limits is not None and limits.count(text) > limits.max_characters:
            error = _("The message is %(length)s characters long; %(network)s allows %(limit)s.") % {
                "length": limits.count(text),
                "network": account.get_network_display(),
                "limit": limits.max_characters,
            }
        else:
            if not winner.notify_key:
                # Whoever sets the key first wins: two clicks at once then send with the same key,
                # and the network refuses the second message.
                key = adapter_class(account.network).new_idempotency_key()
                ContestWinner.objects.filter(pk=winner.pk, notify_key="").update(notify_key=key)
                winner.notify_key = ContestWinner.objects.values_list("notify_key", flat=True).get(pk=winner.pk)
            # A direct message is a post only the winner sees (Mastodon: direct visibility, addressed
            # by the mention); a reply goes below their entry.
            draft = PostDraft(
                text=text,
                idempotency_key=winner.notify_key,
                reply_to=None if direct else entry.remote_id,
                visibility="direct" if direct else "public",
            )
            try:
                published = adapter_for(account).publish(draft)
                url = published.url
            except UnknownOutcomeError as failure:
                error = _(
                    "No answer from the network; the message may have gone out. Check before retrying: %(error)s"
                ) % {"error": failure.message}
            except TransientError as failure:
                error = _("The network is busy; retry in a moment: %(error)s") % {"error": failure.message}
            except NetworkError as failure:
                error = _("The network refused: %(error)s") % {"error": failure.message}
    now = timezone.now()
    with transaction.atomic():
        if error:
            ContestWinner.objects.filter(pk=winner.pk).update(notify_error=error[:500])
        else:
            ContestWinner.objects.filter(pk=winner.pk).update(notified_at=now, notice_url=url[:1000], notify_error="")
        contest_audit(
            AuditEvent.Action.CONTEST_WINNER_NOTIFIED,
            contest,
            user=membership.user,
            request=request,
            data={
                "winner": winner.pk,
                "ticket": entry.ticket,
                "by": contest.notify_by,
                "url": url[:1000],
                "error": error[:300],
            },
        )
    winner.refresh_from_db()
    return NotifyOutcome(winner, error)


# Export ------------------------------------------------------------------------------------------
def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def contest_export(
    *, contest: Contest, user: User | None = None, request: HttpRequest | None = None, kind: str = "json"
) -> dict[str, Any]:
    """Everything about a contest: rules, window, hashes (the seed once revealed), every entry with
    its exclusion reason, the winners. Audited (it holds people's handles)."""
    winners = {winner.entry_id: winner for winner in contest.winners.select_related("entry")}
    data = {
        "contest": {
            "id": contest.pk,
            "title": contest.title,
            "prize": contest.prize,
            "rules": contest.rules_text,
            "mechanic": contest.mechanic,
            "answers": accepted_answers(contest),
            "hashtag": contest.hashtag,
            "opens_at": _iso(contest.opens_at),
            "closes_at": _iso(contest.closes_at),
            "timezone": contest.timezone,
            "eligibility": {
                "one_entry_per_person": contest.one_entry_per_person,
                "min_account_age_days": contest.min_account_age_days,
                "exclude_staff": contest.exclude_staff,
                "staff_handles": staff_handle_list(contest),
                "exclude_blocked": contest.exclude_blocked,
                "required_keyword": contest.required_keyword,
            },
            "winners_count": contest.winners_count,
            "state": contest.state,
            "seed_hash": contest.seed_hash,
            "seed": contest.seed_revealed or None,
            "list_hash": contest.list_hash or None,
            "commitment_url": contest.commitment_url,
            "targets": [target.remote_url for target in contest.targets.all()],
            "opened_at": _iso(contest.opened_at),
            "drawn_at": _iso(contest.drawn_at),
            "revealed_at": _iso(contest.revealed_at),
        },
        "entries": [
            {
                "ticket": entry.ticket,
                "network": entry.network,
                "remote_id": entry.remote_id,
                "url": entry.url,
                "author_handle": entry.author_handle,
                "author_name": entry.author_name,
                "posted_at": _iso(entry.posted_at),
                "text": entry.text,
                "eligible": entry.eligible,
                "exclusion": entry.exclusion,
                "exclusion_detail": entry.exclusion_detail,
                "author_created_at": _iso(entry.author_created_at),
            }
            for entry in contest.entries.order_by("posted_at", "pk")
        ],
        "winners": [
            {
                "round": winner.round,
                "position": winner.position,
                "ticket": winner.entry.ticket,
                "author_handle": winner.entry.author_handle,
                "status": winner.status,
                "notified_at": _iso(winner.notified_at),
                "notice_url": winner.notice_url,
                "notify_error": winner.notify_error,
            }
            for winner in sorted(winners.values(), key=lambda item: (item.round, item.position))
        ],
    }
    contest_audit(AuditEvent.Action.CONTEST_EXPORTED, contest, user=user, request=request, data={"format": kind})
    return data


CSV_COLUMNS = (
    "ticket",
    "network",
    "url",
    "author_handle",
    "author_name",
    "posted_at",
    "eligible",
    "exclusion",
    "exclusion_detail",
    "winner_round",
    "winner_position",
    "winner_status",
)


def contest_export_csv(*, contest: Contest, user: User | None = None, request: HttpRequest | None = None) -> str:
    """The entries as CSV (one row each, with the exclusion reason and, for winners, the round),
    followed by the hashes."""
    data = contest_export(contest=contest, user=user, request=request, kind="csv")
    won = {item["ticket"]: item for item in data["winners"]}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in data["entries"]:
        winner = won.get(entry["ticket"], {})
        row = [
            entry["ticket"],
            entry["network"],
            entry["url"],
            entry["author_handle"],
            entry["author_name"],
            entry["posted_at"],
            "yes" if entry["eligible"] else "no",
            entry["exclusion"],
            entry["exclusion_detail"],
            winner.get("round", ""),
            winner.get("position", ""),
            winner.get("status", ""),
        ]
        # A cell starting with = + - @ would be a formula in a spreadsheet: quote it as text.
        writer.writerow(
            [f"'{cell}" if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@") else cell for cell in row]
        )
    writer.writerow([])
    for key in ("seed_hash", "list_hash", "seed"):
        writer.writerow([key, data["contest"][key] or ""])
    return out.getvalue()
