"""Changes to products and orders. Each order lands in the customer's timeline."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.commerce.models import Order, OrderLine, OrderStatus, Product
from rapport.commerce.money import check_amount_range, parse_amount, validate_currency
from rapport.customers.models import Customer, LifecycleStage
from rapport.timeline.actions import record_event
from rapport.timeline.messages import label, message, money
from rapport.timeline.models import EventKind

#: The timeline message of a new order (the order import records it too).
ORDER_RECORDED = gettext_noop("Order %(number)s: %(total)s")


@dataclass
class LineInput:
    name: str = ""
    quantity: int = 1
    unit_price: Any = None
    sku: str = ""


@transaction.atomic
def save_product(
    *,
    actor,
    sku: str,
    name: str,
    price: Any,
    currency: str = "",
    category: str = "",
    is_active: bool = True,
) -> tuple[Product, bool]:
    """Create or update the product with ``sku``; return it and whether it was created."""
    errors: dict[str, list] = {}
    sku = (sku or "").strip()
    if not sku:
        errors["sku"] = [ValidationError(_("This field is required."), code="required")]
    if not (name or "").strip():
        errors["name"] = [ValidationError(_("This field is required."), code="required")]
    try:
        amount = parse_amount(price)
        if amount < 0:
            raise ValidationError(_("The price cannot be negative."), code="negative_amount")
    except ValidationError as exc:
        errors["price"] = [exc]
    try:
        currency = validate_currency(currency or settings.RAPPORT_DEFAULT_CURRENCY)
    except ValidationError as exc:
        errors["currency"] = [exc]
    if errors:
        raise ValidationError(errors)
    product, created = Product.objects.update_or_create(
        sku=sku[:64],
        defaults={
            "name": name.strip()[:200],
            "price": amount,
            "currency": currency,
            "category": (category or "").strip()[:100],
            "is_active": is_active,
        },
    )
    return product, created


def clean_order(
    *, currency: str, status: str, lines: list[LineInput], ordered_at: datetime | None
) -> dict:
    """Validate an order's header and lines; return products by SKU and cleaned values, or raise."""
    errors: dict[str, list] = {}
    try:
        currency = validate_currency(currency or settings.RAPPORT_DEFAULT_CURRENCY)
    except ValidationError as exc:
        errors["currency"] = [exc]
    if status not in OrderStatus.values:
        errors["status"] = [
            ValidationError(
                _("“%(value)s” is not one of the allowed values: %(allowed)s."),
                code="invalid_choice",
                params={"value": status, "allowed": ", ".join(OrderStatus.values)},
            )
        ]
    if ordered_at is not None and timezone.is_naive(ordered_at):
        errors["ordered_at"] = [
            ValidationError(_("Give the order date with a time zone."), code="naive_datetime")
        ]
    if not lines:
        errors["lines"] = [ValidationError(_("An order needs at least one line."), code="required")]
    skus = {line.sku for line in lines if line.sku}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    cleaned_lines = []
    for index, line in enumerate(lines):
        product = products.get(line.sku) if line.sku else None
        name = (line.name or (product.name if product else "")).strip()
        try:
            quantity = int(line.quantity)
            if quantity < 1 or quantity > 1_000_000:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault(f"lines.{index}.quantity", []).append(
                ValidationError(
                    _("The quantity must be a whole number from 1."), code="invalid_quantity"
                )
            )
            continue
        if line.unit_price in (None, "") and product is None:
            errors.setdefault(f"lines.{index}.unit_price", []).append(
                ValidationError(_("Give a unit price or a known SKU."), code="required")
            )
            continue
        try:
            unit_price = (
                parse_amount(line.unit_price)
                if line.unit_price not in (None, "")
                else product.price
            )
        except ValidationError as exc:
            errors.setdefault(f"lines.{index}.unit_price", []).append(exc)
            continue
        if not name:
            errors.setdefault(f"lines.{index}.name", []).append(
                ValidationError(_("Give a name or a known SKU."), code="required")
            )
            continue
        cleaned_lines.append(
            OrderLine(
                product=product,
                sku=line.sku[:64],
                name=name[:200],
                quantity=quantity,
                unit_price=unit_price,
                line_total=unit_price * quantity,
            )
        )
    total = Decimal("0")
    for line in cleaned_lines:
        total += line.line_total
        try:
            check_amount_range(line.line_total)
            check_amount_range(total)
        except ValidationError as exc:
            errors.setdefault("lines", []).append(exc)
            break
    if errors:
        raise ValidationError(errors)
    return {"currency": currency, "lines": cleaned_lines}


@transaction.atomic
def record_order(
    *,
    actor,
    customer: Customer,
    lines: list[LineInput],
    currency: str = "",
    status: str = OrderStatus.PAID,
    ordered_at: datetime | None = None,
    number: str = "",
    external_id: str | None = None,
    channel: str = "",
) -> tuple[Order, bool]:
    """Record an order for ``customer``; return it and whether it is new.

    An order with a known ``external_id`` is returned unchanged, so sending it twice records it
    once. A lead who orders becomes a customer.
    """
    external_id = (external_id or "").strip() or None
    if external_id:
        existing = Order.objects.filter(external_id=external_id).first()
        if existing:
            return existing, False
    cleaned = clean_order(currency=currency, status=status, lines=lines, ordered_at=ordered_at)
    order = Order.objects.create(
        customer=customer,
        external_id=external_id,
        number=(number or "").strip()[:64],
        ordered_at=ordered_at or timezone.now(),
        status=status,
        currency=cleaned["currency"],
        total=sum((line.line_total for line in cleaned["lines"]), Decimal("0")),
        channel=(channel or "")[:32],
    )
    for line in cleaned["lines"]:
        line.order = order
    OrderLine.objects.bulk_create(cleaned["lines"])
    if customer.lifecycle_stage == LifecycleStage.LEAD and order.counts_as_revenue:
        Customer.objects.filter(pk=customer.pk).update(lifecycle_stage=LifecycleStage.CUSTOMER)
        customer.lifecycle_stage = LifecycleStage.CUSTOMER
    record_event(
        customer=customer,
        kind=EventKind.ORDER,
        actor=actor,
        occurred_at=order.ordered_at,
        message=message(
            ORDER_RECORDED,
            number=order.number or f"#{order.pk}",
            total=money(order.total, order.currency),
        ),
        data={
            "order_id": order.pk,
            "total": str(order.total),
            "currency": order.currency,
            "status": order.status,
            "lines": len(cleaned["lines"]),
        },
        source=order,
        dedupe_key=f"order:{order.pk}",
    )
    return order, True


@transaction.atomic
def change_order_status(*, actor, order: Order, status: str) -> Order:
    """Move an order to another status and note it in the timeline."""
    if status not in OrderStatus.values:
        raise ValidationError(
            {"status": [ValidationError(_("Unknown order status."), code="invalid_choice")]}
        )
    if order.status == status:
        return order
    old = order.status
    order.status = status
    order.save(update_fields=["status", "updated_at"])
    record_event(
        customer=order.customer,
        kind=EventKind.ORDER,
        actor=actor,
        message=message(
            gettext_noop("Order %(number)s: %(old)s → %(new)s"),
            number=order.number or f"#{order.pk}",
            old=label(OrderStatus, old),
            new=label(OrderStatus, status),
        ),
        data={"order_id": order.pk, "status": status},
        source=order,
    )
    return order
