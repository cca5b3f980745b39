from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "rapport.kb"
    label = "kb"
    verbose_name = _("Knowledge base")

    def ready(self):
        from rapport.kb import search  # noqa: F401 - connects the index to deletions
