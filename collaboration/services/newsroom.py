"""The social newsroom's weekly e-mail to people inside the organisation: its settings and sending."""

from __future__ import annotations

import logging
import zoneinfo
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from collaboration.models import NewsroomDigest
from collaboration.selectors import Newsroom, newsroom
from smm.accounts.models import AuditEvent, Membership, Workspace
from smm.networks.models import ConnectedAccount

logger = logging.getLogger(__name__)

# The weekly job runs on Mondays; a digest sent less than this long ago is not sent again, so a job
# that runs twice (a retried beat, two schedulers) still sends one e-mail a week.
RESEND_AFTER = timedelta(days=6)
# A weekly e-mail looks back over the week since the last one (the page shows two weeks).
DIGEST_BACK_DAYS = 7


def newsroom_digest_update(
    *, membership: Membership, enabled: bool, recipients: list[str], request: HttpRequest | None = None
) -> NewsroomDigest:
    """Save who gets the weekly digest (workspace admins only); the change is audited, because it decides
    who outside smm reads about the workspace's plans."""
    from smm.accounts.services import audit_record

    if not membership.can_change_settings:
        raise PermissionDenied
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError as error:
            raise ValidationError(_("“%(address)s” is not an e-mail address.") % {"address": address}) from error
    if enabled and not recipients:
        raise ValidationError(_("Add at least one recipient, or turn the digest off."))
    with transaction.atomic():
        digest = NewsroomDigest.objects.select_for_update().get_or_create(workspace_id=membership.workspace_id)[0]
        before = {"enabled": digest.enabled, "recipients": digest.recipient_list}
        digest.enabled = enabled
        digest.recipients = "\n".join(recipients)
        digest.full_clean()
        digest.save(update_fields=["enabled", "recipients"])
        after = {"enabled": enabled, "recipients": recipients}
        changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if changed:
            audit_record(
                action=AuditEvent.Action.WORKSPACE_SETTINGS_CHANGED,
                actor=membership.user,
                workspace=membership.workspace,
                target=str(_("Newsroom digest")),
                data=changed,
                request=request,
            )
    return digest


def _digest_content(workspace: Workspace, now: datetime) -> Newsroom:
    # The recipients are not members: the digest covers the workspace's own accounts (never members'
    # personal accounts), as its admins, who choose the recipients, see them.
    account_ids = list(ConnectedAccount.objects.for_workspace(workspace.pk).values_list("pk", flat=True))
    return newsroom(workspace=workspace, account_ids=account_ids, now=now, back_days=DIGEST_BACK_DAYS)


def _send(*, workspace: Workspace, content: Newsroom, to: list[str], now: datetime) -> int:
    from smm.lib.emails import send_templated

    context = {
        "workspace": workspace,
        "newsroom": content,
        "week": timezone.localdate(now, zoneinfo.ZoneInfo(workspace.timezone)).isocalendar().week,
        "newsroom_path": reverse("collaboration:newsroom", args=[workspace.slug]),
    }
    sent = 0
    # Dates and times read in the workspace's zone, as the text is in its language.
    with timezone.override(zoneinfo.ZoneInfo(workspace.timezone)):
        for address in to:  # one e-mail each: recipients do not see each other's addresses
            send_templated("newsroom_digest", to=address, language=workspace.language, context=context)
            sent += 1
    return sent


def newsroom_digest_send(*, workspace_id: int, now: datetime | None = None) -> int:
    """Send the weekly digest of one workspace if it is on and was not sent in the last six days;
    returns how many e-mails went out.

    The row is claimed (last_sent_at moved) before sending, outside that transaction: a failed send
    is not repeated, which for a weekly newsletter beats sending it twice."""
    now = now or timezone.now()
    with transaction.atomic():
        digest = (
            # Locks the digest row only, not the workspace joined to it.
            NewsroomDigest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("workspace")
            .filter(workspace_id=workspace_id, enabled=True)
            .first()
        )
        if digest is None or not digest.recipient_list:
            return 0
        if digest.last_sent_at and digest.last_sent_at > now - RESEND_AFTER:
            return 0
        digest.last_sent_at = now
        digest.save(update_fields=["last_sent_at"])
    content = _digest_content(digest.workspace, now)
    if not content.has_news:
        logger.info("newsroom digest of workspace %s skipped: nothing to tell", workspace_id)
        return 0
    return _send(workspace=digest.workspace, content=content, to=digest.recipient_list, now=now)


def newsroom_digest_send_test(*, membership: Membership, now: datetime | None = None) -> str:
    """Send the digest as the recipients would get it now, to the admin only (even if it is off or
    empty); returns the address it went to."""
    if not membership.can_change_settings:
        raise PermissionDenied
    if not membership.user.email:
        raise ValidationError(_("Your account has no e-mail address."))
    now = now or timezone.now()
    workspace = membership.workspace
    _send(workspace=workspace, content=_digest_content(workspace, now), to=[membership.user.email], now=now)
    return membership.user.email
