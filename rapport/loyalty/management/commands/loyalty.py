"""``rapport loyalty verify``: prove every kept balance equals its ledger; ``expire``: expire points."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from rapport.loyalty.actions import expire_points
from rapport.loyalty.queries import balance_differences


class Command(BaseCommand):
    help = _("Check loyalty balances against the ledger, or expire points past their date.")

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help=_("Compare every balance with its ledger."))
        verify.add_argument("--show", type=int, default=20, help=_("Differences to list."))
        sub.add_parser("expire", help=_("Expire the points past their date now."))

    def handle(self, *args, action: str, **options) -> None:
        started = time.perf_counter()
        if action == "expire":
            count = expire_points()
            self.stdout.write(_("Points expired for %(count)d members.") % {"count": count})
            return
        checked, differing, shown = balance_differences(limit=options["show"])
        seconds = time.perf_counter() - started
        for member, kept, summed in shown:
            self.stdout.write(
                _("member %(member)d: balance %(kept)d, ledger %(summed)d")
                % {"member": member, "kept": kept, "summed": summed}
            )
        message = _(
            "%(checked)d members checked in %(seconds).1f s, %(differing)d differences."
        ) % {
            "checked": checked,
            "seconds": seconds,
            "differing": differing,
        }
        if differing:
            raise CommandError(message)
        self.stdout.write(self.style.SUCCESS(message))
