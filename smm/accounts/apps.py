from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "smm.accounts"
    label = "accounts"
    verbose_name = _("Accounts and workspaces")

    def ready(self) -> None:
        # Django's auth signals are the only hook for login/logout/failed login: audit them.
        from smm.accounts import signals  # noqa: F401
