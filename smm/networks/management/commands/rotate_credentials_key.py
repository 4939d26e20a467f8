"""Re-encrypt every stored credential with the first of CREDENTIALS_KEYS."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from smm.lib import crypto
from smm.networks.models import ConnectedAccount, OAuthApp


class Command(BaseCommand):
    help = (
        "After putting a new key first in CREDENTIALS_KEYS (keeping the old ones after it), re-encrypt "
        "all stored credentials with it. Then the old keys can be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = 0
        with transaction.atomic():
            for account in ConnectedAccount.objects.select_for_update().exclude(credentials_encrypted=""):
                account.credentials_encrypted = crypto.rotate(account.credentials_encrypted)
                account.save(update_fields=["credentials_encrypted"])
                rotated += 1
            for app in OAuthApp.objects.select_for_update():
                app.client_secret_encrypted = crypto.rotate(app.client_secret_encrypted)
                app.save(update_fields=["client_secret_encrypted"])
                rotated += 1
        self.stdout.write(f"re-encrypted {rotated} credentials with the first key")
