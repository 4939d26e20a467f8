from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollaborationConfig(AppConfig):
    """Approvals, comments, tasks, notifications and guidelines (issue 6)."""

    name = "collaboration"
    verbose_name = _("Collaboration")
