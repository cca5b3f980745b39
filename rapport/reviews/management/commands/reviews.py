"""``rapport reviews import FILE.csv --source NAME``: import reviews from a CSV file."""

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from rapport.imports.csvfile import FileError
from rapport.reviews.actions import import_review_file


class Command(BaseCommand):
    help = (
        "Import reviews from a CSV file. Exit code 0: every row imported; 1: some rows were "
        "invalid (the others are imported); 2: the file cannot be imported at all."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        importing = actions.add_parser("import", help="Import a CSV file of reviews.")
        importing.add_argument("file")
        importing.add_argument(
            "--source", required=True, help="Where the reviews come from: trustpilot, google, …"
        )
        importing.add_argument(
            "--scale",
            type=int,
            choices=[5, 10, 100],
            default=None,
            help="The scale of every rating in the file (else a scale column or 8/10).",
        )
        importing.add_argument("--dry-run", action="store_true", help="Check and report only.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path}, returncode=2)
        try:
            report = import_review_file(
                data=path.read_bytes(),
                source=options["source"],
                scale=options["scale"],
                dry_run=options["dry_run"],
            )
        except FileError as exc:
            raise CommandError(exc.message, returncode=2) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=2) from None
        if options["verbosity"] > 0:
            for row in report.rows:
                line = _("row %(row)d: %(outcome)s") % {
                    "row": row.row,
                    "outcome": row.get_outcome_display(),
                }
                if row.external_id:
                    line += f" ({row.external_id})"
                if row.messages:
                    line += " – " + "; ".join(row.messages)
                self.stdout.write(line)
        counts = report.counts
        summary = (
            _(
                "Created: %(created)d, updated: %(updated)d, unchanged: %(unchanged)d, "
                "invalid: %(invalid)d."
            )
            % counts
        )
        if report.dry_run:
            summary += " " + _("Dry run: nothing was saved.")
        if report.ignored_columns:
            summary += " " + _("Columns not imported: %(columns)s.") % {
                "columns": ", ".join(report.ignored_columns)
            }
        self.stderr.write(summary)
        if report.has_problems:
            sys.exit(1)
