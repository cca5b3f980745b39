"""Importing orders from rows: one row per order, or one per order line grouped by order ID.

Orders are validated by ``commerce.actions.clean_order`` like every other order, matched to
customers by external ID or email, and are idempotent by their external ID (the order ID
column): importing a file twice records each order once.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.commerce.actions import ORDER_RECORDED, LineInput, clean_order
from rapport.commerce.models import Order, OrderLine, OrderStatus
from rapport.commerce.money import parse_amount
from rapport.customers.actions import ContactInput, clean_profile, create_customer
from rapport.customers.models import ContactKind, ContactPoint, Customer, LifecycleStage
from rapport.customers.validators import normalize_email
from rapport.imports.csvfile import parse_datetime, parse_decimal
from rapport.imports.report import ImportReport, Issue, ProgressCallback, messages_of
from rapport.timeline.actions import record_events_bulk
from rapport.timeline.messages import event_fields, message, money
from rapport.timeline.models import EventKind, TimelineEvent

BATCH_SIZE = 500
LINE_FIELDS = ("sku", "product_name", "quantity", "unit_price", "line_total")
STATUSES = {
    "offen": "pending", "ausstehend": "pending", "bezahlt": "paid", "versendet": "shipped",
    "versandt": "shipped", "abgeschlossen": "completed", "erledigt": "completed",
    "storniert": "cancelled", "canceled": "cancelled", "retourniert": "returned",
    "zurückgegeben": "returned", "erstattet": "refunded",
}  # fmt: skip


@dataclass
class OrderGroup:
    order_id: str
    rows: list[tuple[int, list[str], dict[str, str]]] = field(default_factory=list)


class OrderImporter:
    """Import order rows; one instance per run."""

    def __init__(
        self,
        *,
        header: list[str],
        mapping: dict[str, str],
        report: ImportReport,
        actor=None,
        job_id: int | None = None,
        decimal_comma: bool | None = None,
        create_customers: bool = False,
        progress: ProgressCallback | None = None,
    ):
        self.header = header
        self.columns = sorted(((int(i), f) for i, f in mapping.items()), key=lambda p: p[0])
        self.column_of = {name: header[index] for index, name in self.columns}
        self.report = report
        self.actor = actor
        self.job_id = job_id
        self.decimal_comma = decimal_comma
        self.create_customers = create_customers
        self.progress = progress
        self.new_customers: dict[str, Customer | None] = {}

    def issue(self, row: int, cells: list[str], name: str, code: str, message: str) -> None:
        raw = {self.header[i]: cells[i] for i in range(min(len(cells), len(self.header)))}
        column = self.column_of.get(name, "")
        self.report.issues.append(Issue(row, column, name, code, message, raw))

    def run(self, rows: Iterable[tuple[int, list[str]]]) -> ImportReport:
        counts = self.report.counts
        groups: dict[str, OrderGroup] = {}
        seen_rows: dict[tuple[str, ...], int] = {}
        for row, cells in rows:
            self.report.processed_rows += 1
            if not "".join(cells).strip():
                counts["empty"] += 1
                continue
            key = tuple(cell.strip() for cell in cells)
            if key in seen_rows:
                counts["duplicate"] += 1
                message = _("Duplicate of row %(row)d: not imported twice.") % {
                    "row": seen_rows[key]
                }
                self.issue(row, cells, "", "duplicate", message)
                self.report.add_preview(row, "duplicate", "", message)
                continue
            seen_rows[key] = row
            values = {
                name: cells[index].strip()
                for index, name in self.columns
                if index < len(cells) and cells[index].strip()
            }
            order_id = values.get("order_id", "")
            if not order_id:
                counts["invalid"] += 1
                self.issue(row, cells, "order_id", "required", _("This field is required."))
                self.report.add_preview(row, "invalid", "", _("This field is required."))
                continue
            groups.setdefault(order_id, OrderGroup(order_id)).rows.append((row, cells, values))
        # Progress counts rows read so far; the writing phase reports again per batch.
        batch: list[OrderGroup] = []
        for group in groups.values():
            batch.append(group)
            if len(batch) >= BATCH_SIZE:
                self.process(batch)
                batch = []
        if batch:
            self.process(batch)
        elif self.progress:
            self.progress(self.report)
        return self.report

    def process(self, batch: list[OrderGroup]) -> None:
        counts = self.report.counts
        existing = set(
            Order.objects.filter(external_id__in=[g.order_id for g in batch]).values_list(
                "external_id", flat=True
            )
        )
        todo = []
        for group in batch:
            if group.order_id in existing:
                counts["unchanged"] += 1
                self.report.add_preview(group.rows[0][0], "unchanged", group.order_id)
            else:
                todo.append(group)
        customers = self.find_customers(todo)
        planned: list[tuple[OrderGroup, Customer | None, dict[str, Any]]] = []
        for group in todo:
            planned_order = self.clean_group(group, customers)
            if planned_order is None:
                counts["invalid"] += 1
                continue
            counts["created"] += 1
            self.report.add_preview(group.rows[0][0], "create", group.order_id)
            planned.append(planned_order)
        if planned and not self.report.dry_run:
            with transaction.atomic():
                self.write(planned)
        if self.progress:
            self.progress(self.report)

    def find_customers(self, groups: list[OrderGroup]) -> dict[str, Customer]:
        """Return customers by "ext:<id>" and "email:<address>" for the groups' references."""
        external_ids, emails = set(), set()
        for group in groups:
            values = group.rows[0][2]
            if values.get("customer_external_id"):
                external_ids.add(values["customer_external_id"])
            if values.get("customer_email"):
                emails.add(values["customer_email"].lower())
        found: dict[str, Customer] = {}
        for customer in Customer.objects.filter(external_id__in=external_ids):
            found[f"ext:{customer.external_id}"] = customer
        owners: dict[str, int] = {}
        for normalized, customer_id in (
            ContactPoint.objects.filter(kind=ContactKind.EMAIL, normalized__in=emails)
            .order_by("customer_id")
            .values_list("normalized", "customer_id")
        ):
            owners.setdefault(normalized, customer_id)
        by_id = Customer.objects.in_bulk(set(owners.values()))
        for normalized, customer_id in owners.items():
            found[f"email:{normalized}"] = by_id[customer_id]
        return found

    def clean_group(self, group: OrderGroup, customers: dict[str, Customer]):
        """Return (group, customer, cleaned order) or None after recording the group's issues."""
        first_row, first_cells, head = group.rows[0]
        problems: list[tuple[int, list[str], str, str, str]] = []

        def problem(row, cells, name, code, message):
            problems.append((row, cells, name, code, message))

        customer = customers.get(f"ext:{head.get('customer_external_id')}") or customers.get(
            f"email:{head.get('customer_email', '').lower()}"
        )
        if customer is None and not self.create_customers:
            reference = head.get("customer_external_id") or head.get("customer_email") or ""
            problem(first_row, first_cells,
                    "customer_external_id" if head.get("customer_external_id") else "customer_email",
                    "unknown_customer",
                    _("No customer “%(value)s”: import the customers first.") % {"value": reference})  # fmt: skip
        if customer is None and self.create_customers:
            for name, code, message in self.check_new_customer(head):
                problem(first_row, first_cells, name, code, message)
        ordered_at = None
        if head.get("ordered_at"):
            try:
                ordered_at = _aware(parse_datetime(head["ordered_at"]))
            except ValueError:
                problem(first_row, first_cells, "ordered_at", "invalid_date",
                        _("“%(value)s” is not a date (use 31.12.2024 or 2024-12-31).")
                        % {"value": head["ordered_at"]})  # fmt: skip
        status_text = head.get("status", "paid").casefold()
        status = STATUSES.get(status_text, status_text)
        lines: list[LineInput] = []
        line_rows: list[tuple[int, list[str]]] = []
        for row, cells, values in group.rows:
            if not any(values.get(name) for name in LINE_FIELDS):
                continue
            line = self.clean_line(row, cells, values, problem)
            if line is not None:
                lines.append(line)
                line_rows.append((row, cells))
        total = None
        if head.get("total"):
            try:
                total = parse_amount(head["total"], decimal_comma=self.decimal_comma)
            except ValidationError as exc:
                for _name, code, message in messages_of(exc):
                    problem(first_row, first_cells, "total", code, message)
        if not lines and total is not None and not problems:
            lines.append(LineInput(name=_("Order %(number)s") % {"number": group.order_id},
                                   quantity=1, unit_price=total))  # fmt: skip
            line_rows.append((first_row, first_cells))
        cleaned: dict[str, Any] = {}
        try:
            cleaned = clean_order(
                currency=head.get("currency", ""), status=status, lines=lines, ordered_at=ordered_at
            )
        except ValidationError as exc:
            for name, code, message in messages_of(exc):
                row, cells = first_row, first_cells
                column = name
                if name.startswith("lines."):
                    _lines, index, column = name.split(".")
                    row, cells = line_rows[int(index)]
                    column = {"name": "product_name"}.get(column, column)
                problem(row, cells, column, code, message)
        if cleaned and total is not None and not problems:
            computed = sum((line.line_total for line in cleaned["lines"]), Decimal("0"))
            if computed != total:
                problem(first_row, first_cells, "total", "total_mismatch",
                        _("The order total %(total)s differs from the sum of its lines %(sum)s.")
                        % {"total": total, "sum": computed})  # fmt: skip
        if problems:
            for row, cells, name, code, message in problems:
                self.issue(row, cells, name, code, message)
            self.report.add_preview(first_row, "invalid", group.order_id, problems[0][4])
            return None
        cleaned.update(status=status, ordered_at=ordered_at or timezone.now(), head=head)
        return group, customer, cleaned

    def clean_line(self, row, cells, values, problem) -> LineInput | None:
        quantity = 1
        if values.get("quantity"):
            try:
                number = parse_decimal(values["quantity"], decimal_comma=self.decimal_comma)
                if number != number.to_integral_value():
                    raise ValueError
                quantity = int(number)
            except ValueError:
                problem(row, cells, "quantity", "invalid_quantity",
                        _("The quantity must be a whole number from 1."))  # fmt: skip
                return None
        unit_price: Decimal | None = None
        try:
            if values.get("unit_price"):
                unit_price = parse_amount(values["unit_price"], decimal_comma=self.decimal_comma)
            elif values.get("line_total"):
                line_total = parse_amount(values["line_total"], decimal_comma=self.decimal_comma)
                unit_price = parse_amount(line_total / max(quantity, 1))
        except ValidationError as exc:
            name = "unit_price" if values.get("unit_price") else "line_total"
            for _name, code, message in messages_of(exc):
                problem(row, cells, name, code, message)
            return None
        return LineInput(
            name=values.get("product_name", ""),
            quantity=quantity,
            unit_price=unit_price,
            sku=values.get("sku", ""),
        )

    def check_new_customer(self, head: dict[str, str]) -> list[tuple[str, str, str]]:
        """Return the problems that would stop ``create_customer`` for this order's customer."""
        problems = []
        try:
            clean_profile(self.new_profile(head))
        except ValidationError as exc:
            problems.extend(messages_of(exc))
        if head.get("customer_email"):
            try:
                normalize_email(head["customer_email"])
            except ValidationError as exc:
                problems.extend(("customer_email", c, m) for _n, c, m in messages_of(exc))
        return problems

    def new_profile(self, head: dict[str, str]) -> dict[str, Any]:
        email = head.get("customer_email", "")
        return {
            "external_id": head.get("customer_external_id") or None,
            "given_name": head.get("given_name", ""),
            "family_name": head.get("family_name", "") or email.split("@")[0],
        }

    def customer_for(self, head: dict[str, str], customer: Customer | None) -> Customer:
        """Return the order's customer, creating it (once per import) when allowed."""
        if customer is not None:
            return customer
        key = head.get("customer_external_id") or head.get("customer_email", "").lower()
        if key not in self.new_customers:
            emails = [head["customer_email"]] if head.get("customer_email") else []
            self.new_customers[key] = create_customer(
                actor=self.actor,
                profile=self.new_profile(head),
                contacts=ContactInput(emails=emails),
                source="import",
            )
        return self.new_customers[key]

    def write(self, planned) -> None:
        orders, all_lines, events = [], [], []
        leads = set()
        for group, customer, cleaned in planned:
            head = cleaned["head"]
            customer = self.customer_for(head, customer)
            order = Order(
                customer=customer,
                external_id=group.order_id[:100],
                number=(head.get("number") or group.order_id)[:64],
                ordered_at=cleaned["ordered_at"],
                status=cleaned["status"],
                currency=cleaned["currency"],
                total=sum((line.line_total for line in cleaned["lines"]), Decimal("0")),
                channel=head.get("channel", "")[:32],
            )
            orders.append((order, cleaned["lines"]))
            if customer.lifecycle_stage == LifecycleStage.LEAD and order.counts_as_revenue:
                leads.add(customer.pk)
        Order.objects.bulk_create([order for order, _lines in orders])
        actor_id = self.actor.pk if getattr(self.actor, "pk", None) else None
        for order, lines in orders:
            for line in lines:
                line.order = order
                all_lines.append(line)
            title, data = event_fields(
                message(
                    ORDER_RECORDED,
                    number=order.number or f"#{order.pk}",
                    total=money(order.total, order.currency),
                ),
                {
                    "order_id": order.pk,
                    "total": str(order.total),
                    "currency": order.currency,
                    "status": order.status,
                    "lines": len(lines),
                    "import_job": self.job_id,
                },
            )
            events.append(
                TimelineEvent(
                    customer_id=order.customer_id, kind=EventKind.ORDER, actor_id=actor_id,
                    occurred_at=order.ordered_at, title=title, data=data,
                    source_type="commerce.order", source_id=str(order.pk),
                    dedupe_key=f"order:{order.pk}",
                )
            )  # fmt: skip
        OrderLine.objects.bulk_create(all_lines, batch_size=2000)
        if leads:
            Customer.objects.filter(pk__in=leads, lifecycle_stage=LifecycleStage.LEAD).update(
                lifecycle_stage=LifecycleStage.CUSTOMER
            )
        record_events_bulk(events)


def _aware(value: datetime | date) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


#: The order statuses accepted, for the documentation of the import.
ACCEPTED_STATUSES = tuple(OrderStatus.values) + tuple(STATUSES)
