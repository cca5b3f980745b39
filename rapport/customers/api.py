"""REST endpoints for customers, organizations and a customer's timeline."""

from datetime import date
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from rapport.accounts.api_idempotency import run_idempotent
from rapport.accounts.queries import staff_users
from rapport.api import (
    IdempotencyKeyHeader,
    InputSchema,
    Limit,
    Page,
    Timestamp,
    invalid_cursor,
    page_response,
)
from rapport.customers import actions, queries
from rapport.customers.models import (
    ConsentRecord,
    ContactKind,
    ContactPoint,
    Customer,
    Organization,
    fold,
)
from rapport.timeline.actions import add_note
from rapport.timeline.models import EventKind, TimelineEvent

router = Router(tags=["customers"])

Text = Annotated[str | None, Field(max_length=1000)]


def _custom_value(value: Any) -> Any:
    """Accept a scalar for a custom field (its definition decides the type), never a list or object."""
    if value is not None and not isinstance(value, bool | int | float | str):
        raise PydanticCustomError(
            "rapport_wrong_type", _("Give a text, number, true/false or null.")
        )
    return value


CustomValue = Annotated[Any, BeforeValidator(_custom_value)]


# --- Schemas --------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class ContactPointOut(Schema):
    id: int
    kind: str
    platform: str
    value: str
    label: str
    is_primary: bool


class CustomerListItem(Schema):
    id: int
    external_id: str | None
    display_name: str
    given_name: str
    family_name: str
    country: str
    language: str
    lifecycle_stage: str
    is_vip: bool
    organization: Ref | None
    primary_email: str | None
    primary_phone: str | None
    created_at: Timestamp
    updated_at: Timestamp


class CustomerOut(Schema):
    id: int
    external_id: str | None
    display_name: str
    given_name: str
    family_name: str
    preferred_name: str
    title: str
    salutation: str
    form_of_address: str
    language: str
    time_zone: str
    country: str
    preferred_channel: str
    birthday: date | None
    lifecycle_stage: str
    is_vip: bool
    organization: Ref | None
    account_manager_id: int | None
    contact_points: list[ContactPointOut]
    tags: list[str]
    custom_fields: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp


class SocialIn(InputSchema):
    platform: str = Field(max_length=16)
    handle: str = Field(max_length=254)


class CustomerProfileIn(InputSchema):
    external_id: Text = None
    given_name: Text = None
    family_name: Text = None
    preferred_name: Text = None
    title: Text = None
    salutation: Text = None
    form_of_address: Text = None
    language: Text = None
    time_zone: Text = None
    country: Text = None
    preferred_channel: Text = None
    birthday: Text = Field(None, description="YYYY-MM-DD")
    lifecycle_stage: Text = None
    is_vip: bool | None = None
    organization_id: int | None = None
    account_manager_id: int | None = None
    tags: list[Annotated[str, Field(max_length=64)]] | None = Field(None, max_length=100)
    custom_fields: dict[str, CustomValue] | None = None


class CustomerIn(CustomerProfileIn):
    emails: list[Annotated[str, Field(max_length=254)]] = Field([], max_length=20)
    phones: list[Annotated[str, Field(max_length=64)]] = Field([], max_length=20)
    socials: list[SocialIn] = Field([], max_length=20)


class CustomerPatch(CustomerProfileIn):
    """Fields to change; fields left out stay as they are. ``custom_fields`` keys are merged (null removes one)."""


class ContactPointIn(InputSchema):
    kind: Literal["email", "phone", "social"]
    value: str = Field(max_length=254)
    platform: str = Field("", max_length=16)
    label: str = Field("", max_length=32)
    primary: bool = False


class ConsentIn(InputSchema):
    purpose: str = Field(max_length=32)
    granted: bool
    wording_version: str = Field(max_length=64)
    note: str = Field("", max_length=255)


class ConsentOut(Schema):
    id: int
    purpose: str
    granted: bool
    recorded_at: Timestamp
    source: str
    wording_version: str
    note: str


class NoteIn(InputSchema):
    body: str = Field(max_length=20_000)


class TimelineEventOut(Schema):
    id: int
    kind: str
    occurred_at: Timestamp
    title: str = Field(
        description="System events in the language of the request (Accept-Language)."
    )
    body: str
    channel: str
    data: dict[str, Any]
    actor_id: int | None
    source_type: str
    source_id: str


def timeline_event_out(event: TimelineEvent) -> TimelineEventOut:
    return TimelineEventOut(
        id=event.pk,
        kind=event.kind,
        occurred_at=event.occurred_at,
        title=event.display_title,
        body=event.body,
        channel=event.channel,
        data=event.data,
        actor_id=event.actor_id,
        source_type=event.source_type,
        source_id=event.source_id,
    )


class OrganizationIn(InputSchema):
    name: str = Field(max_length=200)
    external_id: str | None = Field(None, max_length=100)
    domain: str = Field("", max_length=200)
    vat_id: str = Field("", max_length=32)
    country: str = Field("", max_length=8)
    industry: str = Field("", max_length=100)
    phone: str = Field("", max_length=32)
    notes: str = Field("", max_length=20_000)
    account_manager_id: int | None = None


class OrganizationPatch(InputSchema):
    name: str | None = Field(None, max_length=200)
    domain: str | None = Field(None, max_length=200)
    vat_id: str | None = Field(None, max_length=32)
    country: str | None = Field(None, max_length=8)
    industry: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=32)
    notes: str | None = Field(None, max_length=20_000)
    account_manager_id: int | None = None


class OrganizationOut(Schema):
    id: int
    external_id: str | None
    name: str
    domain: str
    vat_id: str
    country: str
    industry: str
    phone: str
    notes: str
    account_manager_id: int | None
    created_at: Timestamp
    updated_at: Timestamp


# --- Output ---------------------------------------------------------------------------------


def _ref(organization: Organization | None) -> Ref | None:
    return Ref(id=organization.pk, name=organization.name) if organization else None


def customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut(
        id=customer.pk,
        external_id=customer.external_id,
        display_name=customer.display_name,
        given_name=customer.given_name,
        family_name=customer.family_name,
        preferred_name=customer.preferred_name,
        title=customer.title,
        salutation=customer.salutation,
        form_of_address=customer.form_of_address,
        language=customer.language,
        time_zone=customer.time_zone,
        country=customer.country,
        preferred_channel=customer.preferred_channel,
        birthday=customer.birthday,
        lifecycle_stage=customer.lifecycle_stage,
        is_vip=customer.is_vip,
        organization=_ref(customer.organization),
        account_manager_id=customer.account_manager_id,
        contact_points=[
            ContactPointOut.model_validate(p, from_attributes=True)
            for p in customer.contact_points.all()
        ],
        tags=sorted(customer.tags.values_list("name", flat=True)),
        custom_fields=customer.custom_fields or {},
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )


def customer_list_items(customers: list[Customer]) -> list[CustomerListItem]:
    """Return list items for ``customers`` with their primary email and phone (one query)."""
    primary: dict[tuple[int, str], str] = {}
    if customers:
        points = ContactPoint.objects.filter(
            customer_id__in=[c.pk for c in customers],
            is_primary=True,
            kind__in=(ContactKind.EMAIL, ContactKind.PHONE),
        ).values_list("customer_id", "kind", "value")
        primary = {(customer_id, kind): value for customer_id, kind, value in points}
    return [
        CustomerListItem(
            id=c.pk,
            external_id=c.external_id,
            display_name=c.display_name,
            given_name=c.given_name,
            family_name=c.family_name,
            country=c.country,
            language=c.language,
            lifecycle_stage=c.lifecycle_stage,
            is_vip=c.is_vip,
            organization=_ref(c.organization),
            primary_email=primary.get((c.pk, ContactKind.EMAIL)),
            primary_phone=primary.get((c.pk, ContactKind.PHONE)),
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in customers
    ]


# --- Loading through the caller's scope -----------------------------------------------------


def load_customer(request, customer_id: int) -> Customer:
    """Return the customer if the caller may see it, else raise 404."""
    try:
        return (
            queries.visible_customers(request.auth)
            .select_related("organization")
            .get(pk=customer_id)
        )
    except Customer.DoesNotExist:
        raise Http404 from None


def load_organization(request, organization_id: int) -> Organization:
    organization = queries.visible_organizations(request.auth).filter(pk=organization_id).first()
    if organization is None:
        raise Http404
    return organization


def _does_not_exist(field: str) -> ValidationError:
    return ValidationError({field: [ValidationError(_("No such record."), code="does_not_exist")]})


def _resolve_references(request, data: dict[str, Any]) -> dict[str, Any]:
    """Turn ``organization_id`` and ``account_manager_id`` into rows the caller may see, or raise."""
    resolved: dict[str, Any] = {}
    if "organization_id" in data:
        org_id = data["organization_id"]
        resolved["organization"] = None
        if org_id is not None:
            resolved["organization"] = (
                queries.visible_organizations(request.auth).filter(pk=org_id).first()
            )
            if resolved["organization"] is None:
                raise _does_not_exist("organization_id")
    if "account_manager_id" in data:
        user_id = data["account_manager_id"]
        resolved["account_manager"] = None
        if user_id is not None:
            resolved["account_manager"] = staff_users().filter(pk=user_id).first()
            if resolved["account_manager"] is None:
                raise _does_not_exist("account_manager_id")
    return resolved


def _profile(request, payload: CustomerProfileIn) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    profile = {name: data[name] for name in actions.PROFILE_FIELDS if name in data}
    profile.update(_resolve_references(request, data))
    return profile


# --- Customers ------------------------------------------------------------------------------


@router.get("/customers", response=Page[CustomerListItem])
def list_customers(
    request,
    q: str = Query("", max_length=200, description="Name, email, phone or organization"),
    sort: Literal["name", "-name", "created", "-created"] = "name",
    cursor: str | None = Query(None, max_length=1000),
    limit: Limit = 25,
    tag: str | None = Query(None, max_length=64),
    country: str | None = Query(None, max_length=8),
    language: str | None = Query(None, max_length=8),
    lifecycle_stage: str | None = Query(None, max_length=16),
    account_manager: int | None = None,
    organization: int | None = None,
    is_vip: bool | None = None,
):
    """List customers, paginated by cursor: pass ``next_cursor`` back as ``cursor``."""
    filters = {
        "tag": tag,
        "country": country,
        "language": language,
        "lifecycle_stage": lifecycle_stage,
        "account_manager": account_manager,
        "organization": organization,
        "is_vip": is_vip,
    }
    if cursor:
        _check_customer_cursor(cursor, sort)
    try:
        page = queries.customer_list_page(
            queries.visible_customers(request.auth),
            query=q,
            filters=filters,
            sort=sort,
            cursor=cursor,
            page_size=limit,
        )
    except (ValidationError, TypeError, ValueError):
        raise invalid_cursor() from None
    return {
        "items": customer_list_items(page.customers),
        "next_cursor": page.next_cursor,
        "total": page.total,
        "total_capped": page.total_capped,
    }


def _check_customer_cursor(cursor: str, sort: str) -> None:
    """Refuse cursors that ``customer_page`` did not make (it would silently ignore them)."""
    decoded = queries._decode_cursor(cursor)
    if (
        decoded is None
        or len(decoded[0]) != len(queries.SORTS[sort])
        or not all(isinstance(v, str | int) for v in decoded[0])
    ):
        raise invalid_cursor()


@router.post("/customers", response={200: CustomerOut, 201: CustomerOut})
def create_customer(request, payload: CustomerIn, idempotency_key: IdempotencyKeyHeader = None):
    """Create a customer. With a known ``external_id`` the existing customer is returned unchanged (200)."""

    def run():
        external_id = (payload.external_id or "").strip()
        if external_id:
            existing = queries.visible_customers(request.auth).filter(external_id=external_id)
            if existing.exists():
                return 200, customer_out(existing.select_related("organization").get())
        try:
            customer = actions.create_customer(
                actor=request.auth,
                profile=_profile(request, payload),
                contacts=actions.ContactInput(
                    emails=payload.emails,
                    phones=payload.phones,
                    socials=[(s.platform, s.handle) for s in payload.socials],
                ),
                tags=payload.tags,
                custom_fields=payload.custom_fields,
                source="api",
            )
        except (IntegrityError, ValidationError) as exc:
            # Sent twice at the same moment: the other request created it, between our look-up
            # and the action's own check (ValidationError) or its insert (IntegrityError).
            lost_race = isinstance(exc, IntegrityError) or _only_duplicate_external_id(exc)
            if external_id and lost_race:
                existing = queries.visible_customers(request.auth).filter(external_id=external_id)
                if existing.exists():
                    return 200, customer_out(existing.select_related("organization").get())
            raise
        return 201, customer_out(customer)

    return run_idempotent(request, idempotency_key, run)


def _only_duplicate_external_id(exc: ValidationError) -> bool:
    errors = getattr(exc, "error_dict", {})
    return set(errors) == {"external_id"} and all(
        e.code == "duplicate_external_id" for e in errors["external_id"]
    )


@router.get("/customers/{customer_id}", response=CustomerOut)
def get_customer(request, customer_id: int):
    return customer_out(load_customer(request, customer_id))


@router.patch("/customers/{customer_id}", response=CustomerOut)
def update_customer(request, customer_id: int, payload: CustomerPatch):
    """Change the given fields of a customer's profile."""
    customer = load_customer(request, customer_id)
    custom_fields = None
    if payload.custom_fields is not None:
        custom_fields = {**customer.custom_fields, **payload.custom_fields}
    customer = actions.update_customer(
        actor=request.auth,
        customer=customer,
        profile=_profile(request, payload),
        tags=payload.tags,
        custom_fields=custom_fields,
    )
    return customer_out(customer)


@router.post("/customers/{customer_id}/contact-points", response={201: ContactPointOut})
def add_contact_point(
    request, customer_id: int, payload: ContactPointIn, idempotency_key: IdempotencyKeyHeader = None
):
    """Add an email, phone number or social handle; adding a known one returns it."""
    customer = load_customer(request, customer_id)

    def run():
        point = actions.add_contact_point(
            actor=request.auth,
            customer=customer,
            kind=payload.kind,
            value=payload.value,
            platform=payload.platform,
            label=payload.label,
            primary=payload.primary,
        )
        return 201, ContactPointOut.model_validate(point, from_attributes=True)

    return run_idempotent(request, idempotency_key, run)


@router.post("/customers/{customer_id}/consents", response={201: ConsentOut})
def record_consent(
    request, customer_id: int, payload: ConsentIn, idempotency_key: IdempotencyKeyHeader = None
):
    """Record that the customer gave or withdrew consent for a purpose (source: API)."""
    customer = load_customer(request, customer_id)

    def run():
        record: ConsentRecord = actions.record_consent(
            actor=request.auth,
            customer=customer,
            purpose=payload.purpose,
            granted=payload.granted,
            source="api",
            wording_version=payload.wording_version,
            note=payload.note,
        )
        return 201, ConsentOut.model_validate(record, from_attributes=True)

    return run_idempotent(request, idempotency_key, run)


@router.get("/customers/{customer_id}/timeline", response=Page[TimelineEventOut])
def customer_timeline(
    request,
    customer_id: int,
    cursor: str | None = Query(None, max_length=1000),
    limit: Limit = 25,
    kind: str | None = Query(None, max_length=16),
):
    """The customer's timeline, newest first."""
    customer = load_customer(request, customer_id)
    qs = TimelineEvent.objects.filter(customer=customer)
    if kind:
        if kind not in EventKind.values:
            raise ValidationError(
                {"kind": [ValidationError(_("Unknown event kind."), code="invalid_choice")]}
            )
        qs = qs.filter(kind=kind)
    return page_response(
        qs, ("-occurred_at", "-id"), cursor=cursor, limit=limit, serialize=timeline_event_out
    )


@router.post("/customers/{customer_id}/notes", response={201: TimelineEventOut})
def add_customer_note(
    request, customer_id: int, payload: NoteIn, idempotency_key: IdempotencyKeyHeader = None
):
    """Add a note to the customer's timeline."""
    customer = load_customer(request, customer_id)

    def run():
        event = add_note(customer=customer, actor=request.auth, body=payload.body)
        return 201, timeline_event_out(event)

    return run_idempotent(request, idempotency_key, run)


# --- Organizations --------------------------------------------------------------------------


@router.get("/organizations", response=Page[OrganizationOut], tags=["organizations"])
def list_organizations(
    request,
    q: str = Query("", max_length=200, description="Start of the name"),
    country: str | None = Query(None, max_length=8),
    cursor: str | None = Query(None, max_length=1000),
    limit: Limit = 25,
):
    qs = queries.visible_organizations(request.auth)
    if q.strip():
        qs = qs.filter(name_key__startswith=fold(q))
    if country:
        qs = qs.filter(country=country.upper())
    return page_response(qs, ("name_key", "id"), cursor=cursor, limit=limit)


@router.post(
    "/organizations", response={200: OrganizationOut, 201: OrganizationOut}, tags=["organizations"]
)
def create_organization(
    request, payload: OrganizationIn, idempotency_key: IdempotencyKeyHeader = None
):
    """Create an organization. With a known ``external_id`` the existing one is returned unchanged (200)."""

    def run():
        external_id = (payload.external_id or "").strip()
        if external_id:
            existing = (
                queries.visible_organizations(request.auth).filter(external_id=external_id).first()
            )
            if existing:
                return 200, existing
        fields = payload.model_dump(exclude={"name", "account_manager_id"})
        fields["external_id"] = external_id or None
        fields.update(
            _resolve_references(request, payload.model_dump(include={"account_manager_id"}))
        )
        try:
            organization = actions.create_organization(
                actor=request.auth, name=payload.name, **fields
            )
        except (IntegrityError, ValidationError) as exc:
            lost_race = isinstance(exc, IntegrityError) or _only_duplicate_external_id(exc)
            existing = (
                queries.visible_organizations(request.auth).filter(external_id=external_id).first()
            )
            if external_id and lost_race and existing:
                return 200, existing
            raise
        return 201, OrganizationOut.model_validate(organization, from_attributes=True)

    return run_idempotent(request, idempotency_key, run)


@router.get("/organizations/{organization_id}", response=OrganizationOut, tags=["organizations"])
def get_organization(request, organization_id: int):
    return load_organization(request, organization_id)


@router.patch("/organizations/{organization_id}", response=OrganizationOut, tags=["organizations"])
def update_organization(request, organization_id: int, payload: OrganizationPatch):
    organization = load_organization(request, organization_id)
    data = payload.model_dump(exclude_unset=True)
    fields = {k: ("" if v is None else v) for k, v in data.items() if k != "account_manager_id"}
    fields.update(_resolve_references(request, data))
    return actions.update_organization(actor=request.auth, organization=organization, **fields)
