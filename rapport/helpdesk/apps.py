from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    name = "rapport.helpdesk"
    verbose_name = _("Helpdesk")

    def ready(self):
        from rapport.helpdesk import search  # noqa: F401 - connects the index to deletions
