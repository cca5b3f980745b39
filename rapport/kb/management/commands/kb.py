"""``rapport kb import PATH``: import a help centre of Markdown files (see rapport.kb.importer)."""

import argparse

from django.core.management.base import BaseCommand, CommandError

from rapport.kb.importer import ERROR, ImportFolderError, import_folder


class Command(BaseCommand):
    help = "Knowledge base tools. `rapport kb import PATH` imports Markdown articles."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        importing = commands.add_parser(
            "import",
            help="import a folder with one sub-folder of Markdown files per language",
            description=(
                "Import PATH/<language>/*.md (YAML front matter: slug, title, category, "
                "language, keywords). Re-importing updates articles by slug and language."
            ),
        )
        importing.add_argument("path", help="the folder, e.g. ../shared/data/helpcenter")
        state = importing.add_mutually_exclusive_group()
        state.add_argument(
            "--publish",
            dest="publish",
            action="store_true",
            default=True,
            help="publish every imported version (default)",
        )
        state.add_argument(
            "--draft",
            dest="publish",
            action="store_false",
            help="import new versions as drafts; keep the state of existing ones",
        )
        # Also accepted after the sub-command ("rapport kb import PATH -v0").
        importing.add_argument(
            "-v",
            "--verbosity",
            type=int,
            choices=[0, 1, 2, 3],
            default=argparse.SUPPRESS,
            help="0: only errors and the summary",
        )
        importing.add_argument(
            "--dry-run", action="store_true", help="report what would change; change nothing"
        )

    def handle(self, *args, **options):
        if options["command"] == "import":
            self._import(options)

    def _import(self, options):
        try:
            report = import_folder(
                options["path"], publish=options["publish"], dry_run=options["dry_run"]
            )
        except ImportFolderError as exc:
            raise CommandError(str(exc)) from None
        verbosity = options["verbosity"]
        for result in report.files:
            if result.status == ERROR:
                self.stdout.write(self.style.ERROR(f"error      {result.path}: {result.reason}"))
            elif verbosity >= 1:
                self.stdout.write(f"{result.status:<10} {result.path}")
        if report.missing_translations:
            self.stdout.write(self.style.WARNING("Articles missing a translation:"))
            for item in report.missing_translations:
                self.stdout.write(
                    f"  {item.slug}: in {', '.join(item.present)}; "
                    f"missing {', '.join(item.missing)}"
                )
        summary = (
            f"{report.count('created')} created, {report.count('updated')} updated, "
            f"{report.count('unchanged')} unchanged, {report.count(ERROR)} errors"
        )
        if report.dry_run:
            summary += " (dry run: nothing was saved)"
        if not report.read_any:
            raise CommandError(f"No article could be read from {options['path']}: {summary}")
        style = self.style.SUCCESS if not report.errors else self.style.WARNING
        self.stdout.write(style(summary))
