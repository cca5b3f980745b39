from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _install_triggers(sender, using="default", **kwargs) -> None:
    from rapport.metrics import triggers

    triggers.install(using)


class MetricsConfig(AppConfig):
    name = "rapport.metrics"
    label = "metrics"
    verbose_name = _("Metrics")

    def ready(self) -> None:
        # After every migrate, since a table rebuilt by a later migration loses its triggers.
        post_migrate.connect(_install_triggers, sender=self, dispatch_uid="metrics_triggers")
