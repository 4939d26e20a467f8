from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    """Metric collection, analytics, goals and reports (issue 10)."""

    name = "monitoring"
    verbose_name = _("Monitoring")
