"""``rapport clv fit``: fit the purchase and spend models to a CSV of transactions (docs/clv.md).

``rapport clv score`` (predictions for the customers in the database) lives in rapport.analytics.scoring.
"""

import csv
import datetime as dt
import json
import math
import re
import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from rapport.analytics.clv import gamma_gamma, summary, value
from rapport.analytics.clv.fitting import ClvError

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
COMPACT_DATE = re.compile(r"^\d{8}$")
MODELS = {"bgnbd": "bgnbd", "pareto": "pareto_nbd"}


class Command(BaseCommand):
    help = "Customer lifetime value models. `rapport clv fit` fits them to a CSV of transactions."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        fitting = commands.add_parser(
            "fit",
            help="fit BG/NBD or Pareto/NBD (and Gamma-Gamma) to a CSV of transactions",
            description=(
                "Summarise the transactions up to the calibration end (one purchase per "
                "customer and day) and fit the purchase model, and the Gamma-Gamma spend model "
                "when an amount column is given. Prints parameters, log-likelihood, number of "
                "customers and fit time."
            ),
        )
        fitting.add_argument("--transactions", required=True, help="CSV file with a header row")
        fitting.add_argument("--customer-col", required=True, help="column of the customer id")
        fitting.add_argument("--date-col", required=True, help="column of the transaction date")
        fitting.add_argument("--amount-col", help="column of the amount (enables Gamma-Gamma)")
        fitting.add_argument(
            "--calibration-end",
            required=True,
            type=dt.date.fromisoformat,
            help="last day of the calibration period, YYYY-MM-DD (later rows are not used)",
        )
        fitting.add_argument("--model", choices=sorted(MODELS), default="bgnbd")
        fitting.add_argument(
            "--date-format",
            help="strptime format of the dates, e.g. %%d.%%m.%%Y "
            "(default: YYYY-MM-DD or YYYYMMDD, detected)",
        )
        fitting.add_argument(
            "--unit-days", type=float, default=7.0, help="days per time unit (7: weeks)"
        )
        fitting.add_argument("--json", action="store_true", help="print one JSON object")
        scoring = commands.add_parser("score", help="score the customers in the database")
        scoring.add_argument("--model", choices=sorted(MODELS), default="bgnbd")

    def handle(self, *args, **options):
        if options["command"] == "fit":
            self._fit(options)
        else:
            from rapport.analytics.scoring import score_customers

            stats = score_customers(model=options["model"])
            if not stats.ok:
                raise CommandError(f"Scoring failed, the previous scores are kept: {stats.error}")
            self.stdout.write(
                f"Scored {stats.customers:,} customers from {stats.orders:,} orders in "
                f"{stats.seconds:.1f} s ({stats.other_currency_orders:,} orders in other "
                f"currencies left out, {stats.removed:,} rows removed)."
            )

    def _fit(self, options):
        started = time.perf_counter()
        ids, dates, amounts = read_transactions(
            options["transactions"],
            customer_col=options["customer_col"],
            date_col=options["date_col"],
            amount_col=options["amount_col"],
            date_format=options["date_format"],
        )
        calibration_end = options["calibration_end"]
        try:
            module = value.purchase_model(MODELS[options["model"]])
            stats = summary.summarise(
                ids,
                dates,
                amounts,
                calibration_end=calibration_end,
                unit_days=options["unit_days"],
            )
            purchases = module.fit(stats.frequency, stats.recency, stats.T)
            spend = (
                gamma_gamma.fit(stats.frequency, stats.monetary) if amounts is not None else None
            )
        except ClvError as exc:
            raise CommandError(exc.message) from None
        data = {
            "rows": len(ids),
            "customers": len(stats),
            "repeat_customers": int(np.count_nonzero(stats.frequency)),
            "rows_after_calibration_end": int(
                np.count_nonzero(dates > np.datetime64(calibration_end, "D"))
            ),
            "customers_after_calibration_end": stats.customers_after_calibration,
            "duplicate_rows": stats.duplicate_rows,
            "return_only_days": stats.return_only_days,
            "calibration_end": calibration_end.isoformat(),
            "unit_days": stats.unit_days,
            "seconds": time.perf_counter() - started,
        }
        if options["json"]:
            report = {
                "purchase_model": purchases.as_dict(),
                "spend_model": spend.as_dict() if spend else None,
                "data": data,
            }
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self._write_text(purchases, spend, data)
        for fitted in (purchases, spend):
            if fitted is not None and not fitted.converged:
                self.stderr.write(
                    self.style.WARNING(f"{fitted.model} did not converge: {fitted.message}")
                )

    def _write_text(self, purchases, spend, data):
        self.stdout.write(
            f"{data['rows']} rows, {data['customers']} customers "
            f"({data['repeat_customers']} with repeat purchases) up to {data['calibration_end']}; "
            f"{data['rows_after_calibration_end']} later rows not used."
        )
        if data["duplicate_rows"]:
            self.stdout.write(
                self.style.WARNING(
                    f"{data['duplicate_rows']} rows repeat an earlier row exactly (kept: they "
                    "may be two equal purchases on one day)."
                )
            )
        if data["return_only_days"]:
            self.stdout.write(
                f"{data['return_only_days']} days with only returns were not counted as purchases."
            )
        for fitted in (purchases, spend):
            if fitted is None:
                continue
            params = ", ".join(f"{name} = {v:.4g}" for name, v in fitted.params.items())
            self.stdout.write(
                f"{fitted.model}: {params}; log-likelihood {fitted.log_likelihood:.2f}; "
                f"{fitted.customers} customers; {fitted.seconds * 1000:.1f} ms"
                + ("" if fitted.converged else " (NOT converged)")
            )


def _parse_date(text: str, date_format: str | None) -> dt.date:
    text = text.strip()
    if date_format:
        return dt.datetime.strptime(text, date_format).date()  # noqa: DTZ007 (a calendar day)
    if COMPACT_DATE.match(text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    if ISO_DATE.match(text):
        return dt.date.fromisoformat(text[:10])
    raise ValueError(text)


def read_transactions(path, *, customer_col, date_col, amount_col=None, date_format=None):
    """Return customer ids, dates (datetime64[D]) and amounts (or None) read from a CSV file.

    Raise CommandError naming the file line of the first value that cannot be read.
    """
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise CommandError(f"Cannot open {path}: {exc.strerror}.") from None
    ids, dates, amounts = [], [], []
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise CommandError(f"{path} is empty.") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CommandError(f"{path} is not a readable CSV file: {exc}") from None
        columns = [name.strip() for name in header]
        wanted = [customer_col, date_col] + ([amount_col] if amount_col else [])
        missing = [name for name in wanted if name not in columns]
        if missing:
            raise CommandError(
                f"{path} has no column {', '.join(missing)}; its columns are: {', '.join(columns)}."
            )
        c, d = columns.index(customer_col), columns.index(date_col)
        a = columns.index(amount_col) if amount_col else None
        line = 1
        try:
            for line, row in enumerate(reader, start=2):
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) < len(columns):
                    raise CommandError(
                        f"Line {line}: {len(row)} values, the header has {len(columns)}."
                    )
                customer = row[c].strip()
                if not customer:
                    raise CommandError(f"Line {line}: the customer id is empty.")
                try:
                    day = _parse_date(row[d], date_format)
                except ValueError:
                    raise CommandError(
                        f"Line {line}: cannot read the date {row[d]!r}"
                        + (f" as {date_format}." if date_format else " (use --date-format).")
                    ) from None
                if a is not None:
                    try:
                        amount = float(row[a])
                    except ValueError:
                        amount = math.nan
                    if not math.isfinite(amount):
                        raise CommandError(f"Line {line}: cannot read the amount {row[a]!r}.")
                    amounts.append(amount)
                ids.append(customer)
                dates.append(day)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CommandError(f"Line {line}: not readable as CSV: {exc}") from None
    if not ids:
        raise CommandError(f"{path} has no transactions.")
    return (
        np.asarray(ids),
        np.asarray(dates, dtype="datetime64[D]"),
        np.asarray(amounts, dtype=float) if a is not None else None,
    )
