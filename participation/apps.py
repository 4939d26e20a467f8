from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    """Unified inbox, replies, moderation and community (issues 7 and 8)."""

    name = "participation"
    verbose_name = _("Participation")

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from participation.signals import workspace_pre_delete

        # Database maintenance only (deleting a workspace deletes its append-only ledger).
        pre_delete.connect(workspace_pre_delete, sender="accounts.Workspace", dispatch_uid="workspace_ledger")
