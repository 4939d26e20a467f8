"""Signal receivers of the participation app: database maintenance only, no business logic.

Deleting a workspace deletes its reward ledger, which a trigger otherwise refuses (the ledger is
append-only, migration 0005); the ledger's own foreign keys are RESTRICT, so its rows can go only
in such a cascade. Django's Collector sends pre_delete inside the deletion's transaction, before
it deletes anything: the receiver deletes the workspace's ledger rows there, with the trigger's
maintenance switch on for just that statement (the Collector then finds them gone).
"""

from __future__ import annotations

from typing import Any

from django.db import connections


def workspace_pre_delete(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    """Delete the workspace's reward ledger with it."""
    with connections[using].cursor() as cursor:
        cursor.execute("SET LOCAL smm.ledger_maintenance = 'on'")
        cursor.execute("DELETE FROM participation_ledgerentry WHERE workspace_id = %s", [instance.pk])
        # Guard the ledger again at once: the deletion may be part of a longer transaction.
        cursor.execute("SET LOCAL smm.ledger_maintenance = 'off'")
