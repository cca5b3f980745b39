"""Print the KPIs of a period, as the dashboards show them: a table, or JSON with --json."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from rapport.metrics.figures import DIMENSIONS, UNITS, Figure
from rapport.metrics.periods import Period, PeriodError
from rapport.metrics.queries import KPIS, Group, MetricsError, report


class Command(BaseCommand):
    help = "Print the KPIs from --from to --to (both days included), optionally sliced --by."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="last", required=True, help="Last day, YYYY-MM-DD.")
        parser.add_argument("--by", help="Slice by one of: " + ", ".join(DIMENSIONS))
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="DIMENSION=VALUE",
            help="Count only one value of a dimension (repeatable), such as channel=email.",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args, first, last, by, filter, json: bool, **options):
        if by is not None and by not in DIMENSIONS:
            raise CommandError(
                _("Unknown --by “%(by)s”; choose one of: %(choices)s.")
                % {"by": by, "choices": ", ".join(DIMENSIONS)}
            )
        try:
            period = Period.parse(first, last)
            result = report(period, by=by, filters=_filters(filter))
        except (PeriodError, MetricsError) as exc:
            raise CommandError(str(exc)) from None
        if json:
            self.stdout.write(_dumps(result.as_dict()))
            return
        start, end = period.local_dates()
        self.stdout.write(
            _("KPIs from %(start)s to %(end)s, compared with %(pstart)s to %(pend)s")
            % {
                "start": start,
                "end": end,
                "pstart": result.previous.local_dates()[0],
                "pend": result.previous.local_dates()[1],
            }
        )
        self._table(result.total, by)
        for group in result.groups:
            self._table(group, by)

    def _table(self, group: Group, by: str | None) -> None:
        title = _("All") if group.is_total else f"{by}: {group.label}"
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(title))
        headers = [_("KPI"), _("value"), _("unit"), _("n"), _("previous"), _("change"), _("95% CI")]
        rows = [headers] + [_row(figure) for figure in group.figures.values()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
        for row in rows:
            cells = [row[0].ljust(widths[0])] + [
                cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
            ]
            self.stdout.write("  ".join(cells).rstrip())
        for figure in group.figures.values():
            if figure.note:
                self.stdout.write(f"* {KPIS[figure.key]}: {figure.note}")


def _filters(values: list[str]) -> dict[str, str]:
    found = {}
    for value in values:
        dimension, sep, wanted = value.partition("=")
        if not sep:
            raise CommandError(_("Write a filter as DIMENSION=VALUE, such as channel=email."))
        found[dimension.strip()] = wanted.strip()
    return found


def _number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}"


def _row(figure: Figure) -> list[str]:
    interval = ""
    if figure.ci_low is not None:
        interval = f"{figure.ci_low:.1f}–{figure.ci_high:.1f}"
    change = ""
    if isinstance(figure.change, int):
        change = f"{figure.change:+d}"
    elif figure.change is not None:
        change = f"{figure.change:+.2f}"
    return [
        str(KPIS[figure.key]),
        _number(figure.value),
        str(UNITS.get(figure.unit, figure.unit)),
        str(figure.n),
        _number(figure.previous),
        change,
        interval,
    ]


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
