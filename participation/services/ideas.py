"""Customer ideas: made from inbox items or sent on the public page, voted, moderated, and moved
through their statuses; the contributor hears about a status change ("we built your idea") by a
reply in their own thread or by e-mail, and earns the "idea accepted" reward once.

The public page is spam-protected here, not in the view: a honeypot field, a minimum time to
fill the form (a signed timestamp), a per-address rate limit (a keyed hash of the address, never
the address), and moderation before anything is shown.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import get_random_string, salted_hmac
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from participation.models import Idea, IdeaStatusChange, IdeaVote, InboxItem, Reply, RewardAction
from participation.models.ideas import IdeaBoardSettings
from smm.accounts.models import AuditEvent, Membership, User, Workspace
from smm.accounts.services import audit_record

logger = logging.getLogger(__name__)

# The public form: a person takes at least this long to write an idea; a bot posts at once.
MIN_FILL_SECONDS = 3
# A form older than this is stale (and its timestamp could be replayed): fill it again.
MAX_FILL_SECONDS = 2 * 60 * 60
SUBMISSIONS_PER_ADDRESS_PER_HOUR = 3
# Pending submissions past this wait for the team to catch up (a flood cannot bury the queue).
MAX_PENDING = 200
MAX_LINKS = 3
# Visitors' votes: one per browser (cookie); these limit clearing the cookie and voting again.
VOTES_PER_ADDRESS_PER_IDEA = 3
VOTES_PER_ADDRESS_PER_HOUR = 30
FORM_SALT = "participation.ideas.public-form"
ADDRESS_SALT = "participation.ideas.address"
VOTER_SALT = "participation.ideas.voter"
VOTER_COOKIE = "smm_idea_voter"

# The messages that tell a contributor about a new status; the team may write its own per status
# (IdeaBoardSettings.messages). {name}, {title} and {status} are filled in.
DEFAULT_MESSAGES: dict[str, Any] = {
    Idea.Status.NEW: gettext_lazy("Hi {name}! Thank you for your idea “{title}”. We have saved it for the team."),
    Idea.Status.UNDER_REVIEW: gettext_lazy("Hi {name}! We are now looking into your idea “{title}”. Thank you!"),
    Idea.Status.PLANNED: gettext_lazy(
        "Hi {name}! Good news: we are going to build your idea “{title}”. Thank you for suggesting it!"
    ),
    Idea.Status.DONE: gettext_lazy("Hi {name}! We built your idea “{title}”. Thank you for suggesting it!"),
    Idea.Status.DECLINED: gettext_lazy(
        "Hi {name}! Thank you for your idea “{title}”. We have decided not to do it this time."
    ),
}

# Rows the services set themselves, not checked again: created_by is None for the public page
# (the field is not blank=True), and contact and source_item come from rows just loaded.
CLEAN_EXCLUDE = ["created_by", "contact", "source_item"]

_URL = re.compile(r"https?://|www\.", re.IGNORECASE)


class SubmissionRefused(ValidationError):
    """The public form was refused: code "honeypot", "too_fast", "expired", "rate_limited", "full" or "links"."""


# Settings and messages ---------------------------------------------------------------------------
def board_settings(workspace_id: int) -> IdeaBoardSettings:
    """The workspace's idea settings; the defaults (unsaved, public page off) until someone changes them."""
    return IdeaBoardSettings.objects.filter(workspace_id=workspace_id).first() or IdeaBoardSettings(
        workspace_id=workspace_id
    )


def idea_settings_update(
    *, workspace: Workspace, actor: User, public_page: bool, intro: str, messages: dict[str, str]
) -> IdeaBoardSettings:
    """Switch the public page on or off, and set its introduction and the per-status messages."""
    current = board_settings(workspace.pk)
    cleaned = {status: text.strip() for status, text in messages.items() if status in Idea.Status.values}
    cleaned = {status: text for status, text in cleaned.items() if text}
    before = {"public_page": current.public_page, "intro": current.intro, "messages": current.messages}
    current.public_page, current.intro, current.messages = public_page, intro.strip(), cleaned
    with transaction.atomic():
        current.full_clean()
        current.save()
        after = {"public_page": current.public_page, "intro": current.intro, "messages": current.messages}
        changes = {key: {"from": before[key], "to": after[key]} for key in before if before[key] != after[key]}
        if changes:
            audit_record(
                action=AuditEvent.Action.IDEA_SETTINGS_CHANGED,
                actor=actor,
                workspace=workspace,
                target=workspace.name,
                data={"changes": changes},
            )
    return current


def contributor_name(idea: Idea) -> str:
    """What to call the contributor in a message: their name as we know it, else their handle."""
    if idea.contact_id and idea.contact and idea.contact.display_name:
        return idea.contact.display_name
    item = idea.source_item
    if item is not None:
        return item.author_name or item.author_handle
    return idea.contributor_name


def how_to_tell(idea: Idea) -> str:
    """How the contributor hears about a status change: a reply in their thread (a direct message
    when it came as one), an e-mail they agreed to, or not at all."""
    item = idea.source_item
    if item is not None and item.kind != InboxItem.Kind.OURS:
        return IdeaStatusChange.Told.DIRECT if item.kind == InboxItem.Kind.DIRECT else IdeaStatusChange.Told.REPLY
    if idea.contributor_email and idea.contact_consent:
        return IdeaStatusChange.Told.EMAIL
    return IdeaStatusChange.Told.NOT_TOLD


def message_language(idea: Idea) -> str:
    """The language of the message to the contributor: theirs when the public page knew it."""
    if idea.contributor_language in dict(settings.LANGUAGES):
        return idea.contributor_language
    return idea.workspace.language


def message_template(idea: Idea, status: str, *, board: IdeaBoardSettings | None = None) -> str:
    """The team's message for `status`, or the built-in one in the contributor's language."""
    board = board or board_settings(idea.workspace_id)
    own = (board.messages or {}).get(status, "")
    if own:
        return str(own)
    with translation.override(message_language(idea)):
        return str(DEFAULT_MESSAGES[status])


def message_fill(idea: Idea, status: str, template: str) -> str:
    """The message with {name}, {title} and {status} filled in (no other braces are touched)."""
    with translation.override(message_language(idea)):
        values = {
            "{name}": contributor_name(idea),
            "{title}": idea.title,
            "{status}": str(Idea.Status(status).label).lower(),
        }
    text = template
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    # Without a name, "Hi {name}!" reads "Hi!", not "Hi !".
    return re.sub(r"[ \t]+([!,.?])", r"\1", text).strip()


def default_messages(idea: Idea) -> dict[str, str]:
    """Every status's message for this idea, filled in: the status form offers them to edit."""
    board = board_settings(idea.workspace_id)
    return {status: message_fill(idea, status, message_template(idea, status, board=board)) for status in Idea.Status}


# Ideas made by the team --------------------------------------------------------------------------
def _clean_text(title: str, text: str) -> tuple[str, str]:
    title, text = " ".join(title.split()), text.strip()
    if not title:
        raise ValidationError({"title": _("Give the idea a title.")})
    return title, text


def title_from_text(text: str) -> str:
    """A title for an idea made from a message: its first line, shortened."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return Truncator(" ".join(first.split())).chars(80)


def idea_create(*, workspace: Workspace, actor: User, title: str, text: str = "") -> Idea:
    """An idea the team writes down itself (internal until someone shows it on the public page)."""
    title, text = _clean_text(title, text)
    idea = Idea(workspace=workspace, title=title, text=text, created_by=actor, moderation=Idea.Moderation.INTERNAL)
    with transaction.atomic():
        idea.full_clean(exclude=CLEAN_EXCLUDE)
        idea.save()
        _audit(idea, AuditEvent.Action.IDEA_CREATED, actor)
    return idea


def idea_from_item(*, item: InboxItem, actor: User, title: str = "", text: str | None = None) -> Idea:
    """Turn a customer's inbox item into an idea, linked to the item's contact (they are told about
    status changes in that thread). One idea per item: a second try raises ValidationError "exists"."""
    if item.kind == InboxItem.Kind.OURS or item.kind in InboxItem.LOWER_PRIORITY:
        raise ValidationError(_("Make ideas from what a customer wrote."))
    existing = Idea.objects.filter(source_item=item).first()
    if existing is not None:
        raise ValidationError(
            _("This message is already the idea “%(title)s”.") % {"title": existing.title}, code="exists"
        )
    title, text = _clean_text(title or title_from_text(item.text), item.text if text is None else text)
    idea = Idea(
        workspace_id=item.workspace_id,
        title=title[:200],
        text=text,
        contact_id=item.contact_id,
        source_item=item,
        created_by=actor,
        moderation=Idea.Moderation.INTERNAL,
    )
    with transaction.atomic():
        idea.full_clean(exclude=CLEAN_EXCLUDE)
        idea.save()
        _audit(idea, AuditEvent.Action.IDEA_CREATED, actor, item=item.pk, contact=item.contact_id)
    return idea


def idea_update(*, idea: Idea, actor: User, title: str, text: str) -> Idea:
    title, text = _clean_text(title, text)
    changed = [field for field, value in (("title", title), ("text", text)) if getattr(idea, field) != value]
    if not changed:
        return idea
    idea.title, idea.text = title, text
    with transaction.atomic():
        idea.full_clean(exclude=CLEAN_EXCLUDE)
        idea.save(update_fields=[*changed, "updated_at"])
        _audit(idea, AuditEvent.Action.IDEA_EDITED, actor, fields=changed)
    return idea


def idea_moderate(*, idea: Idea, actor: User, decision: str) -> Idea:
    """approve: show on the public page; reject: a submission is never shown; hide: off the public page."""
    allowed = {
        "approve": (
            [Idea.Moderation.PENDING, Idea.Moderation.INTERNAL, Idea.Moderation.REJECTED],
            Idea.Moderation.APPROVED,
        ),
        "reject": ([Idea.Moderation.PENDING], Idea.Moderation.REJECTED),
        "hide": ([Idea.Moderation.APPROVED], Idea.Moderation.INTERNAL),
    }
    if decision not in allowed:
        raise ValidationError(_("Choose approve, reject or hide."))
    sources, target = allowed[decision]
    if idea.moderation not in sources:
        raise ValidationError(
            _("This idea is “%(state)s”; it cannot be changed that way.") % {"state": idea.get_moderation_display()}
        )
    previous = idea.moderation
    with transaction.atomic():
        idea.moderation = target
        idea.save(update_fields=["moderation", "updated_at"])
        _audit(idea, AuditEvent.Action.IDEA_MODERATED, actor, **{"from": previous, "to": target})
    return idea


# Votes -------------------------------------------------------------------------------------------
def idea_vote(*, idea: Idea, user: User, vote: bool) -> bool:
    """A member's vote on (vote=True) or off; idempotent. Returns whether the member now votes for it."""
    with transaction.atomic():
        if not vote:
            removed, _rows = IdeaVote.objects.filter(idea=idea, user=user).delete()
            if removed:
                Idea.objects.filter(pk=idea.pk).update(votes_count=F("votes_count") - 1)
            return False
        _add_vote(IdeaVote(idea=idea, user=user))  # False only when the vote was already there
    return True


def _add_vote(vote: IdeaVote) -> bool:
    """Insert the vote and count it; False when this voter's vote was already there."""
    try:
        with transaction.atomic():
            vote.save()
    except IntegrityError:  # a second click at the same moment: the constraint keeps one vote
        return False
    Idea.objects.filter(pk=vote.idea_id).update(votes_count=F("votes_count") + 1)
    return True


def address_hash(address: str | None) -> str:
    """A keyed hash of an IP address (empty when unknown): the rate limits compare these, never addresses."""
    if not address:
        return ""
    return salted_hmac(ADDRESS_SALT, address, algorithm="sha256").hexdigest()


def new_visitor_key() -> str:
    """The random key a visitor's browser keeps (in a signed cookie) to vote once per idea."""
    return get_random_string(32)


def voter_key(visitor_key: str) -> str:
    """What is stored of the visitor's key: its hash (the cookie alone cannot be read from the table)."""
    return hashlib.sha256(f"{VOTER_SALT}:{visitor_key}".encode()).hexdigest()


def idea_vote_public(*, idea: Idea, visitor_key: str, address: str | None) -> bool:
    """A visitor's vote on an idea of the public page, once per browser; False when already counted.

    Raises SubmissionRefused("rate_limited") when the address voted too often (cleared cookies)."""
    if idea.moderation != Idea.Moderation.APPROVED:
        raise ValidationError(_("This idea is not on the public page."))
    key = voter_key(visitor_key)
    if IdeaVote.objects.filter(idea=idea, voter_key=key).exists():
        return False
    hashed = address_hash(address)
    if hashed:
        since = timezone.now() - timedelta(hours=1)
        recent = IdeaVote.objects.filter(ip_hash=hashed, idea__workspace_id=idea.workspace_id, created_at__gte=since)
        day = IdeaVote.objects.filter(ip_hash=hashed, idea=idea, created_at__gte=timezone.now() - timedelta(days=1))
        if recent.count() >= VOTES_PER_ADDRESS_PER_HOUR or day.count() >= VOTES_PER_ADDRESS_PER_IDEA:
            raise SubmissionRefused(
                _("Too many votes from your network just now. Try again later."), code="rate_limited"
            )
    return _add_vote(IdeaVote(idea=idea, voter_key=key, ip_hash=hashed))


# The public page ---------------------------------------------------------------------------------
def form_token() -> str:
    """A signed timestamp for the public form: submitting it sooner than MIN_FILL_SECONDS is a bot."""
    return signing.dumps(timezone.now().timestamp(), salt=FORM_SALT)


def _check_form_token(token: str) -> None:
    try:
        started = float(signing.loads(token, salt=FORM_SALT, max_age=MAX_FILL_SECONDS))
    except signing.SignatureExpired as error:
        raise SubmissionRefused(
            _("The form was open too long. Check your idea and send it again."), code="expired"
        ) from error
    except (signing.BadSignature, TypeError, ValueError) as error:
        raise SubmissionRefused(
            _("The form could not be checked. Check your idea and send it again."), code="expired"
        ) from error
    if timezone.now().timestamp() - started < MIN_FILL_SECONDS:
        raise SubmissionRefused(
            _("That was quick! Check your idea and send it again."),
            code="too_fast",
        )


def idea_submit_public(
    *,
    workspace: Workspace,
    title: str,
    text: str,
    name: str = "",
    email: str = "",
    consent: bool = False,
    language: str = "",
    honeypot: str = "",
    token: str,
    address: str | None,
) -> Idea:
    """A visitor's idea from the public page; it waits for moderation and is never shown before.

    Raises SubmissionRefused: "honeypot" (a bot filled the hidden field: the view pretends all is
    well), "too_fast"/"expired" (the signed timestamp), "rate_limited" (this address sent enough
    this hour), "full" (too many wait for moderation), "links" (link spam)."""
    if honeypot.strip():
        raise SubmissionRefused("honeypot", code="honeypot")
    _check_form_token(token)
    title, text = _clean_text(title, text)
    if len(_URL.findall(f"{title} {text}")) > MAX_LINKS:
        raise SubmissionRefused(_("Please send your idea with fewer links."), code="links")
    hashed = address_hash(address)
    pending = Idea.objects.filter(workspace=workspace, moderation=Idea.Moderation.PENDING)
    if hashed:
        since = timezone.now() - timedelta(hours=1)
        if (
            Idea.objects.filter(workspace=workspace, ip_hash=hashed, created_at__gte=since).count()
            >= SUBMISSIONS_PER_ADDRESS_PER_HOUR
        ):
            raise SubmissionRefused(
                _("You have sent several ideas just now. Thank you! Try again in an hour."), code="rate_limited"
            )
    if pending.count() >= MAX_PENDING:
        raise SubmissionRefused(_("The idea box is full right now. Try again later."), code="full")
    idea = Idea(
        workspace=workspace,
        title=title,
        text=text,
        moderation=Idea.Moderation.PENDING,
        contributor_name=" ".join(name.split())[:100],
        contributor_email=email.strip(),
        contact_consent=bool(consent and email.strip()),
        contributor_language=language if language in dict(settings.LANGUAGES) else "",
        ip_hash=hashed,
    )
    with transaction.atomic():
        idea.full_clean(exclude=CLEAN_EXCLUDE)
        idea.save()
        _audit(idea, AuditEvent.Action.IDEA_SUBMITTED, None)
    return idea


# Status, and telling the contributor -------------------------------------------------------------
def idea_set_status(
    *, idea: Idea, membership: Membership, status: str, message: str = "", tell: bool = True
) -> IdeaStatusChange:
    """Move the idea to `status`, record who and when, award the contributor the first time it is
    accepted (planned or done), and tell them (`message`, or the status's message) when `tell`.

    A failure to tell is kept on the change (`tell_error`) and may be retried with idea_tell; the
    status change itself stands."""
    if status not in Idea.Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    how = how_to_tell(idea)
    if tell and how != IdeaStatusChange.Told.NOT_TOLD:
        # The member's own words may use the placeholders too.
        message = message_fill(idea, status, message.strip() or message_template(idea, status))
    if len(message) > 500:
        raise ValidationError({"message": _("Keep the message under 500 characters.")})
    with transaction.atomic():
        locked = Idea.objects.select_for_update().get(pk=idea.pk)
        if locked.status == status:
            raise ValidationError(
                {"status": _("The idea is already “%(status)s”.") % {"status": idea.get_status_display()}}
            )
        accepted_before = locked.changes.filter(to_status__in=Idea.ACCEPTED).exists()
        change = IdeaStatusChange(
            idea=locked,
            from_status=locked.status,
            to_status=status,
            note=message if tell and how != IdeaStatusChange.Told.NOT_TOLD else "",
            changed_by=membership.user,
        )
        change.full_clean(exclude=["changed_by", "reply"])
        change.save()
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        idea.status = status
        _audit(
            idea, AuditEvent.Action.IDEA_STATUS_CHANGED, membership.user, **{"from": change.from_status, "to": status}
        )
        if status in Idea.ACCEPTED and not accepted_before and idea.contact_id:
            _award_accepted(idea, membership.user)
    change.idea = idea
    if tell and how != IdeaStatusChange.Told.NOT_TOLD:
        # Outside the transaction: the network call or the mail must not hold the idea's lock.
        idea_tell(change=change, membership=membership)
    return change


def _award_accepted(idea: Idea, actor: User) -> None:
    """The contributor's reward for an accepted idea; the rewards ledger keeps it once per source."""
    from participation.services import rewards

    rewards.award(contact=idea.contact, action=RewardAction.IDEA_ACCEPTED, source=f"idea:{idea.pk}", actor=actor)


def can_retell(change: IdeaStatusChange) -> bool:
    """A change whose message did not reach the contributor (and is not on its way) may be sent again."""
    if change.told_at is not None or not change.note:
        return False
    if change.reply_id is not None and change.reply is not None:
        return change.reply.status in (Reply.Status.FAILED, Reply.Status.REJECTED, Reply.Status.UNCONFIRMED)
    return True


def idea_tell(*, change: IdeaStatusChange, membership: Membership) -> IdeaStatusChange:
    """Tell the contributor about the change: a reply from the account that received their message,
    in that thread, or an e-mail (with their consent). The outcome is stored on the change."""
    idea = change.idea
    if not can_retell(change):
        raise ValidationError(_("The contributor was already told, or the message is on its way."))
    how = how_to_tell(idea)
    if how == IdeaStatusChange.Told.NOT_TOLD:
        raise ValidationError(_("There is no way to reach this contributor."))
    error = ""
    if how == IdeaStatusChange.Told.EMAIL:
        error = _tell_by_email(change, idea)
        if not error:
            change.told, change.told_at = how, timezone.now()
    elif idea.source_item is not None:
        reply, error = _tell_by_reply(change, idea.source_item, membership)
        if reply is not None:
            change.reply = reply
            if reply.status == Reply.Status.SENT:
                change.told, change.told_at = how, reply.sent_at or timezone.now()
            elif reply.status == Reply.Status.IN_REVIEW:
                change.told = how  # told_at follows the reply once it is approved and sent
            else:
                error = reply.error or _("The network did not confirm the reply.")
    change.tell_error = error[:500]
    with transaction.atomic():
        change.save(update_fields=["told", "told_at", "tell_error", "reply"])
        _audit(
            idea,
            AuditEvent.Action.IDEA_CONTRIBUTOR_TOLD,
            membership.user,
            change=change.pk,
            how=how,
            succeeded=not error,
            error=error[:300],
        )
    return change


def _tell_by_reply(change: IdeaStatusChange, item: InboxItem, membership: Membership) -> tuple[Reply | None, str]:
    from participation.services import replies

    try:
        # confirmed: a teammate's reply a moment ago is no reason to hold the news back.
        reply = replies.reply_send(item=item, membership=membership, text=change.note, confirmed=True)
    except PermissionDenied:
        return None, _(
            "You may not reply from %(account)s. Someone who may publish there can send the message again."
        ) % {"account": item.account.handle}
    except ValidationError as error:
        return None, " ".join(error.messages)
    return reply, ""


def _tell_by_email(change: IdeaStatusChange, idea: Idea) -> str:
    from smm.lib.emails import send_templated

    language = message_language(idea)
    public_url = ""
    if board_settings(idea.workspace_id).public_page:
        public_url = settings.SITE_URL + reverse("public-ideas:board", args=[idea.workspace.slug])
    with translation.override(language):
        status = str(Idea.Status(change.to_status).label)
    try:
        send_templated(
            "idea_status",
            to=idea.contributor_email,
            language=language,
            context={
                "idea": idea,
                "workspace": idea.workspace,
                "message": change.note,
                "status": status,
                "done": change.to_status == Idea.Status.DONE,
                "public_url": public_url,
            },
        )
    except Exception as error:  # SMTP refused or unreachable: keep the error on the change, retry later
        logger.warning("Idea e-mail to the contributor failed: %s", error)
        return _("The e-mail could not be sent: %(error)s") % {"error": str(error)[:300]}
    return ""


def told_state(change: IdeaStatusChange) -> str:
    """How far the message to the contributor got: "told", "waiting" (approval), "failed", "" (not told)."""
    if change.told_at is not None:
        return "told"
    reply = change.reply if change.reply_id else None
    if reply is not None and reply.status == Reply.Status.SENT:
        return "told"
    if reply is not None and reply.status in (Reply.Status.IN_REVIEW, Reply.Status.SENDING):
        return "waiting"
    if change.tell_error or (reply is not None and reply.status in (Reply.Status.FAILED, Reply.Status.UNCONFIRMED)):
        return "failed"
    return ""


def _audit(idea: Idea, action: str, actor: User | None, **data: Any) -> None:
    audit_record(
        action=action,
        actor=actor,
        workspace=idea.workspace,
        target=idea.title[:300],
        data={"idea": idea.pk, **data},
    )
