"""``rapport import customers|orders FILE``: import a CSV (or .vcf) file in this process."""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from rapport.imports import actions, columns
from rapport.imports.csvfile import FileError
from rapport.imports.models import COUNT_NAMES, ImportKind
from rapport.imports.report import ImportReport

SHOWN_ISSUES = 50


class Command(BaseCommand):
    help = (
        "Import customers or orders from a CSV file (customers also from vCards). "
        "Exit code 0: every row imported; 1: some rows were invalid or duplicates (the valid "
        "ones are imported); 2: the file cannot be imported at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report only.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help='Map a CSV column to a field ("Kdnr=external_id"; "Notiz=" ignores a column).',
        )
        parser.add_argument(
            "--encoding", default="", help="utf-8, cp1252, latin-1 (default: detect)"
        )
        parser.add_argument("--delimiter", default="", help="; , tab or | (default: detect)")
        numbers = parser.add_mutually_exclusive_group()
        numbers.add_argument(
            "--decimal-comma", dest="decimal_comma", action="store_const", const=True
        )
        numbers.add_argument(
            "--decimal-point", dest="decimal_comma", action="store_const", const=False
        )
        parser.add_argument(
            "--create-customers",
            action="store_true",
            help="Orders: create customers that are not known yet.",
        )
        parser.add_argument(
            "--progress", action="store_true", help="Show progress even without a terminal."
        )
        parser.add_argument("--report", default="", help="Write every issue to this CSV file.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path}, returncode=2)
        data = path.read_bytes()
        show_progress = options["progress"] or sys.stderr.isatty()
        started = time.monotonic()
        try:
            report = actions.import_file(
                data=data,
                kind=options["kind"],
                file_format=actions.detect_format(path.name, data),
                dry_run=options["dry_run"],
                overrides=columns.parse_map_options(options["map"]),
                encoding=options["encoding"],
                delimiter=options["delimiter"],
                decimal_comma=options["decimal_comma"],
                create_customers=options["create_customers"],
                progress=self.progress_bar if show_progress else None,
            )
        except FileError as exc:
            raise CommandError(exc.message, returncode=2) from None
        if show_progress:
            self.stderr.write("", style_func=str)
        self.summary(report, time.monotonic() - started)
        if options["report"]:
            self.write_report(report, Path(options["report"]))
        if report.has_problems:
            sys.exit(1)

    def progress_bar(self, report: ImportReport) -> None:
        total = report.total_rows or 1
        percent = min(100, report.processed_rows * 100 // total)
        bar = "#" * (percent // 4)
        self.stderr.write(
            f"\r[{bar:<25}] {percent:3d}%  {report.processed_rows}/{report.total_rows}",
            ending="",
            style_func=str,
        )
        self.stderr.flush()

    def summary(self, report: ImportReport, seconds: float) -> None:
        labels = {
            "created": _("created"),
            "updated": _("updated"),
            "unchanged": _("unchanged"),
            "invalid": _("invalid"),
            "duplicate": _("duplicate"),
            "empty": _("empty lines"),
        }
        if report.dry_run:
            self.stdout.write(_("Dry run: nothing was written. This is what the import would do."))
        if report.encoding:
            self.stdout.write(
                _(
                    "Read %(rows)d rows (encoding %(encoding)s, separator “%(delimiter)s”) in %(seconds).1f s."
                )
                % {
                    "rows": report.total_rows,
                    "encoding": report.encoding,
                    "delimiter": report.delimiter.replace("\t", "\\t"),
                    "seconds": seconds,
                }
            )
        self.stdout.write(
            ", ".join(f"{labels[name]}: {report.counts[name]}" for name in COUNT_NAMES)
        )
        if report.ignored_columns:
            self.stdout.write(
                _("Ignored columns: %(columns)s") % {"columns": ", ".join(report.ignored_columns)}
            )
        for issue in report.issues[:SHOWN_ISSUES]:
            where = f" [{issue.column}]" if issue.column else ""
            self.stderr.write(
                _("Row %(row)d%(where)s: %(message)s")
                % {"row": issue.row, "where": where, "message": issue.message}
            )
        if len(report.issues) > SHOWN_ISSUES:
            self.stderr.write(
                _("… and %(count)d more issues (use --report FILE to get them all).")
                % {"count": len(report.issues) - SHOWN_ISSUES}
            )

    def write_report(self, report: ImportReport, path: Path) -> None:
        import csv

        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(actions.ISSUE_COLUMNS)
            for issue in report.issues:
                values = " | ".join(f"{k}={v}" for k, v in issue.raw.items() if v)
                writer.writerow(
                    [issue.row, issue.column, issue.field, issue.code, issue.message, values]
                )
