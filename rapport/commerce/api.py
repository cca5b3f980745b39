"""REST endpoints for products and orders."""

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from rapport.accounts.api_idempotency import run_idempotent
from rapport.api import (
    IdempotencyKeyHeader,
    InputSchema,
    Limit,
    Page,
    Timestamp,
    page_response,
)
from rapport.commerce import actions
from rapport.commerce.models import Order, Product
from rapport.commerce.queries import visible_orders, visible_products
from rapport.customers.models import Customer
from rapport.customers.queries import get_customer

router = Router(tags=["commerce"])


def _amount_input(value: Any) -> str | int:
    """Accept an amount as a string or a whole number, never as a float (floats lose cents)."""
    if isinstance(value, bool) or not isinstance(value, str | int) or len(str(value)) > 32:
        raise PydanticCustomError(
            "rapport_invalid_amount",
            _("Give the amount as a string such as “49.90”, or as a whole number."),
        )
    return value


#: An amount as a string ("49.90", "1.234,50") or a whole number; never a float.
AmountIn = Annotated[str | int, BeforeValidator(_amount_input), Field(examples=["49.90"])]


# --- Schemas --------------------------------------------------------------------------------


class ProductIn(InputSchema):
    sku: str = Field(max_length=64)
    name: str = Field(max_length=200)
    price: AmountIn
    currency: str = Field("", max_length=3, description="ISO 4217; default: the installation's")
    category: str = Field("", max_length=100)
    is_active: bool = True


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category: str
    price: str = Field(examples=["49.90"])
    currency: str
    is_active: bool
    created_at: Timestamp
    updated_at: Timestamp


class LineIn(InputSchema):
    sku: str = Field("", max_length=64, description="A known SKU fills in name and price")
    name: str = Field("", max_length=200)
    quantity: int = 1
    unit_price: AmountIn | None = None


class OrderIn(InputSchema):
    customer_id: int
    external_id: str | None = Field(None, max_length=100)
    number: str = Field("", max_length=64)
    ordered_at: datetime | None = Field(None, description="ISO 8601 with offset; default: now")
    status: str = Field("paid", max_length=16)
    currency: str = Field("", max_length=3)
    channel: str = Field("", max_length=32)
    lines: list[LineIn] = Field(max_length=500)


class OrderStatusIn(InputSchema):
    status: str = Field(max_length=16)


class LineOut(Schema):
    id: int
    product_id: int | None
    sku: str
    name: str
    quantity: int
    unit_price: str
    line_total: str


class OrderOut(Schema):
    id: int
    customer_id: int
    external_id: str | None
    number: str
    ordered_at: Timestamp
    status: str
    currency: str
    total: str = Field(examples=["99.80"])
    channel: str
    lines: list[LineOut]
    created_at: Timestamp
    updated_at: Timestamp


def product_out(product: Product) -> ProductOut:
    return ProductOut(
        id=product.pk,
        sku=product.sku,
        name=product.name,
        category=product.category,
        price=str(product.price),
        currency=product.currency,
        is_active=product.is_active,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def order_out(order: Order) -> OrderOut:
    return OrderOut(
        id=order.pk,
        customer_id=order.customer_id,
        external_id=order.external_id,
        number=order.number,
        ordered_at=order.ordered_at,
        status=order.status,
        currency=order.currency,
        total=str(order.total),
        channel=order.channel,
        lines=[
            LineOut(
                id=line.pk,
                product_id=line.product_id,
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=str(line.unit_price),
                line_total=str(line.line_total),
            )
            for line in order.lines.all()
        ],
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def _order_queryset(request):
    return visible_orders(request.auth).prefetch_related("lines")


# --- Products -------------------------------------------------------------------------------


@router.get("/products", response=Page[ProductOut], tags=["products"])
def list_products(
    request,
    q: str = Query("", max_length=200, description="Part of the name or SKU"),
    category: str | None = Query(None, max_length=100),
    is_active: bool | None = None,
    cursor: str | None = Query(None, max_length=1000),
    limit: Limit = 25,
):
    qs = visible_products(request.auth)
    if q.strip():
        qs = qs.filter(name__icontains=q.strip()) | qs.filter(sku__iexact=q.strip())
    if category:
        qs = qs.filter(category=category)
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    return page_response(qs, ("name", "id"), cursor=cursor, limit=limit, serialize=product_out)


@router.post("/products", response={200: ProductOut, 201: ProductOut}, tags=["products"])
def save_product(request, payload: ProductIn, idempotency_key: IdempotencyKeyHeader = None):
    """Create the product with this SKU (201) or update it (200)."""

    def run():
        product, created = actions.save_product(
            actor=request.auth,
            sku=payload.sku,
            name=payload.name,
            price=payload.price,
            currency=payload.currency,
            category=payload.category,
            is_active=payload.is_active,
        )
        return (201 if created else 200), product_out(product)

    return run_idempotent(request, idempotency_key, run)


@router.get("/products/{ref}", response=ProductOut, tags=["products"])
def get_product(request, ref: str):
    """Return the product with this SKU, or with this id if no SKU matches."""
    products = visible_products(request.auth)
    product = products.filter(sku=ref[:64]).first()
    if product is None and ref.isdigit() and len(ref) < 19:
        product = products.filter(pk=int(ref)).first()
    if product is None:
        raise Http404
    return product_out(product)


# --- Orders ---------------------------------------------------------------------------------


def _order_page(qs, *, status, ordered_after, ordered_before, cursor, limit):
    if status:
        qs = qs.filter(status=status)
    if ordered_after:
        qs = qs.filter(ordered_at__gte=ordered_after)
    if ordered_before:
        qs = qs.filter(ordered_at__lt=ordered_before)
    return page_response(
        qs, ("-ordered_at", "-id"), cursor=cursor, limit=limit, serialize=order_out
    )


@router.get("/orders", response=Page[OrderOut], tags=["orders"])
def list_orders(
    request,
    customer_id: int | None = None,
    status: str | None = Query(None, max_length=16),
    ordered_after: datetime | None = None,
    ordered_before: datetime | None = None,
    cursor: str | None = Query(None, max_length=1000),
    limit: Limit = 25,
):
    """List orders, newest first."""
    qs = _order_queryset(request)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return _order_page(
        qs,
        status=status,
        ordered_after=ordered_after,
        ordered_before=ordered_before,
        cursor=cursor,
        limit=limit,
    )


@router.get("/customers/{customer_id}/orders", response=Page[OrderOut], tags=["orders"])
def list_customer_orders(
    request,
    customer_id: int,
    status: str | None = Query(None, max_length=16),
    ordered_after: datetime | None = None,
    ordered_before: datetime | None = None,
    cursor: str | None = Query(None, max_length=1000),
    limit: Limit = 25,
):
    """List one customer's orders, newest first."""
    try:
        customer = get_customer(request.auth, customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None
    return _order_page(
        _order_queryset(request).filter(customer=customer),
        status=status,
        ordered_after=ordered_after,
        ordered_before=ordered_before,
        cursor=cursor,
        limit=limit,
    )


@router.post("/orders", response={200: OrderOut, 201: OrderOut}, tags=["orders"])
def create_order(request, payload: OrderIn, idempotency_key: IdempotencyKeyHeader = None):
    """Record an order. With a known ``external_id`` the existing order is returned unchanged (200)."""

    def run():
        try:
            customer = get_customer(request.auth, payload.customer_id)
        except Customer.DoesNotExist:
            raise ValidationError(
                {"customer_id": [ValidationError(_("No such customer."), code="does_not_exist")]}
            ) from None
        order, created = actions.record_order(
            actor=request.auth,
            customer=customer,
            lines=[
                actions.LineInput(
                    name=line.name, quantity=line.quantity, unit_price=line.unit_price, sku=line.sku
                )
                for line in payload.lines
            ],
            currency=payload.currency,
            status=payload.status,
            ordered_at=payload.ordered_at,
            number=payload.number,
            external_id=payload.external_id,
            channel=payload.channel,
        )
        return (201 if created else 200), order_out(order)

    return run_idempotent(request, idempotency_key, run)


def _load_order(request, order_id: int) -> Order:
    order = _order_queryset(request).filter(pk=order_id).first()
    if order is None:
        raise Http404
    return order


@router.get("/orders/{order_id}", response=OrderOut, tags=["orders"])
def get_order(request, order_id: int):
    return order_out(_load_order(request, order_id))


@router.post("/orders/{order_id}/status", response=OrderOut, tags=["orders"])
def change_order_status(request, order_id: int, payload: OrderStatusIn):
    """Move an order to another status (paid, shipped, completed, cancelled, ...)."""
    order = actions.change_order_status(
        actor=request.auth, order=_load_order(request, order_id), status=payload.status
    )
    return order_out(_load_order(request, order.pk))
