from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    """Composer, media, calendar and exactly-once scheduled publishing (issue 5)."""

    name = "publishing"
    verbose_name = _("Publishing")
