from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListeningConfig(AppConfig):
    """Topics, sources, mentions, themes, sentiment and crisis alerts (issue 9)."""

    name = "listening"
    verbose_name = _("Listening")
