"""``rapport export customers``: write all customers as CSV or vCards."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from rapport.customers.models import Customer
from rapport.imports import exporting


class Command(BaseCommand):
    help = "Export customers as CSV (default) or vCards, to a file or standard output."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["customers"])
        parser.add_argument("--output", "-o", default="", help="File to write (default: stdout).")
        parser.add_argument("--format", choices=["csv", "vcard"], default="csv")
        parser.add_argument("--vcard-version", choices=["3.0", "4.0"], default="4.0")
        parser.add_argument("--delimiter", default=",", help="CSV separator, for example ;")
        parser.add_argument("--bom", action="store_true", help="Start the CSV with a BOM (Excel).")

    def handle(self, *args, **options):
        delimiter = "\t" if options["delimiter"] in ("\\t", "tab") else options["delimiter"]
        if len(delimiter) != 1:
            raise CommandError(_("The separator must be one character."), returncode=2)
        qs = Customer.objects.all()
        if options["format"] == "vcard":
            lines = exporting.customer_vcards(qs, version=options["vcard_version"])
        else:
            lines = exporting.customer_csv_lines(qs, delimiter=delimiter, bom=options["bom"])
        if options["output"]:
            with Path(options["output"]).open("w", encoding="utf-8", newline="") as handle:
                count = self.write_all(lines, handle) + (options["format"] == "vcard")
            self.stderr.write(
                _("Exported %(count)d customers to %(path)s.")
                % {"count": count, "path": options["output"]}
            )
        else:
            self.write_all(lines, sys.stdout)

    def write_all(self, lines, handle) -> int:
        count = -1
        buffer = []
        for line in lines:
            buffer.append(line)
            count += 1
            if len(buffer) >= 1000:
                handle.write("".join(buffer))
                buffer = []
        handle.write("".join(buffer))
        return count
