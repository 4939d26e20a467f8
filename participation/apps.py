from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    """Unified inbox, replies, moderation and community (issues 7 and 8)."""

    name = "participation"
    verbose_name = _("Participation")
