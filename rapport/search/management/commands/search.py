"""``rapport search rebuild [INDEX ...]``: index everything anew; ``rapport search query``."""

import time

from django.core.management.base import BaseCommand, CommandError

from rapport.search.actions import rebuild
from rapport.search.indexes import INDEXES
from rapport.search.queries import search


class Command(BaseCommand):
    help = "Rebuild the search indexes, or try a query."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("rebuild", help="Index every object anew.")
        build.add_argument("indexes", nargs="*", help=f"Default: all ({', '.join(INDEXES)}).")
        ask = sub.add_parser("query", help="Print the best matches of a query.")
        ask.add_argument("index", choices=sorted(INDEXES))
        ask.add_argument("words", nargs="+")
        ask.add_argument("--limit", type=int, default=10)

    def handle(self, *args, action, **options):
        if action == "rebuild":
            names = options["indexes"] or list(INDEXES)
            unknown = [n for n in names if n not in INDEXES]
            if unknown:
                raise CommandError(
                    f"Unknown index: {', '.join(unknown)}. Known: {', '.join(INDEXES)}."
                )
            for name in names:
                started = time.perf_counter()
                total = rebuild(name, progress=self._progress(name))
                self.stdout.write(
                    f"{name}: {total:,} documents in {time.perf_counter() - started:,.1f} s"
                )
        else:
            hits = search(options["index"], " ".join(options["words"]), limit=options["limit"])
            for hit in hits:
                self.stdout.write(f"{hit.id}\t{hit.score:.3f}")
            if not hits:
                self.stdout.write("no match")

    def _progress(self, name):
        last = [time.perf_counter()]

        def report(done: int) -> None:
            if time.perf_counter() - last[0] > 10:
                last[0] = time.perf_counter()
                self.stdout.write(f"{name}: {done:,} documents ...")

        return report
