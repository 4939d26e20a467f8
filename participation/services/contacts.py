"""Contacts: every author the inbox meets becomes an identity on a network, under one contact."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from participation.models import Contact, ContactIdentity


def identity_upsert(
    *,
    workspace_id: int,
    network: str,
    remote_id: str,
    handle: str,
    display_name: str = "",
    avatar_url: str = "",
    profile_url: str = "",
    seen_at: datetime | None = None,
) -> ContactIdentity:
    """The identity for (network, remote id), created with a new contact the first time.

    The remote id is stable; a changed handle is updated and the old one kept, so history stays
    with the person after they rename themselves."""
    seen_at = seen_at or timezone.now()
    remote_id, handle, display_name = (
        value.replace("\x00", "") for value in (remote_id or handle, handle, display_name)
    )
    identity = (
        ContactIdentity.objects.select_related("contact")
        .filter(workspace_id=workspace_id, network=network, remote_id=remote_id)
        .first()
    )
    if identity is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    workspace_id=workspace_id, display_name=(display_name or handle)[:200], last_seen_at=seen_at
                )
                return ContactIdentity.objects.create(
                    workspace_id=workspace_id,
                    contact=contact,
                    network=network,
                    remote_id=remote_id[:300],
                    handle=handle[:300],
                    display_name=display_name[:200],
                    avatar_url=avatar_url[:1000],
                    profile_url=profile_url[:1000],
                    last_seen_at=seen_at,
                )
        except IntegrityError:  # another collector met the same person at the same moment
            identity = ContactIdentity.objects.select_related("contact").get(
                workspace_id=workspace_id, network=network, remote_id=remote_id
            )
    changed: list[str] = []
    if handle and identity.handle != handle:
        identity.previous_handles = [*identity.previous_handles, identity.handle][-20:]
        identity.handle = handle[:300]
        changed += ["handle", "previous_handles"]
    for field, value in (
        ("display_name", display_name[:200]),
        ("avatar_url", avatar_url[:1000]),
        ("profile_url", profile_url[:1000]),
    ):
        if value and getattr(identity, field) != value:
            setattr(identity, field, value)
            changed.append(field)
    if identity.last_seen_at is None or identity.last_seen_at < seen_at:
        identity.last_seen_at = seen_at
        changed.append("last_seen_at")
    if changed:
        identity.save(update_fields=changed)
    Contact.objects.filter(pk=identity.contact_id).exclude(last_seen_at__gte=seen_at).update(last_seen_at=seen_at)
    return identity
