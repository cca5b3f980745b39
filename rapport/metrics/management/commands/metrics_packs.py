"""``rapport metrics_packs [--full]``: build the KPI fact packs the dashboards count from."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from rapport.metrics import packs


class Command(BaseCommand):
    help = _("Build the KPI fact packs that are missing, stale or hold changed rows.")

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--full", action="store_true", help=_("Rebuild every pack, changed or not.")
        )

    def handle(self, *args, full: bool = False, **options) -> None:
        started = time.perf_counter()
        built = packs.refresh(full=full)
        seconds = time.perf_counter() - started
        for source, count in built.items():
            self.stdout.write(
                _("%(source)s: %(count)d packs built") % {"source": source, "count": count}
            )
        self.stdout.write(_("Done in %(seconds).1f s.") % {"seconds": seconds})
