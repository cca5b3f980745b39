"""Every change to customers, organisations, contact points and consent.

Views, the API, imports and tasks all call these functions. Each validates its input,
writes inside one transaction and records what happened in the customer's timeline.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.customers import validators
from rapport.customers.models import (
    Channel,
    ConsentPurpose,
    ConsentRecord,
    ConsentSource,
    ContactKind,
    ContactPoint,
    Customer,
    CustomerMerge,
    CustomFieldDefinition,
    CustomFieldType,
    FormOfAddress,
    LifecycleStage,
    Organization,
    Salutation,
    Tag,
)
from rapport.timeline.actions import build_event, record_event, record_events_bulk
from rapport.timeline.messages import label as choice_label
from rapport.timeline.messages import message
from rapport.timeline.models import EventKind, TimelineEvent

# Timeline messages that the bulk writers (imports, demo data) record too.
CUSTOMER_CREATED = gettext_noop("Customer created")
CONSENT_GIVEN = gettext_noop("Consent given: %(purpose)s")
CONSENT_WITHDRAWN = gettext_noop("Consent withdrawn: %(purpose)s")

#: Profile fields that ``create_customer`` and ``update_customer`` accept.
PROFILE_FIELDS = (
    "external_id",
    "given_name",
    "family_name",
    "preferred_name",
    "title",
    "salutation",
    "form_of_address",
    "language",
    "time_zone",
    "country",
    "preferred_channel",
    "birthday",
    "lifecycle_stage",
    "organization",
    "is_vip",
    "account_manager",
)
TEXT_LIMITS = {
    "given_name": 100,
    "family_name": 100,
    "preferred_name": 100,
    "title": 40,
    "external_id": 100,
}


@dataclass
class ContactInput:
    """Contact points given with a customer: the first of each kind is the primary one."""

    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    socials: list[tuple[str, str]] = field(default_factory=list)


def clean_profile(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Return ``data`` validated and normalised, or raise ``ValidationError`` naming each bad field."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"unknown profile fields: {sorted(unknown)}")
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}

    def check(name, func):
        if name in data:
            try:
                cleaned[name] = func(data[name])
            except ValidationError as exc:
                errors.setdefault(name, []).append(exc)

    for name, limit in TEXT_LIMITS.items():

        def text(value, limit=limit, name=name):
            value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
            if len(value) > limit:
                raise ValidationError(
                    _("Use at most %(limit)d characters."), code="too_long", params={"limit": limit}
                )
            return value or (None if name == "external_id" else "")

        check(name, text)
    check("language", validators.validate_language)
    check("time_zone", validators.validate_time_zone)
    check("country", validators.validate_country)
    check("salutation", lambda v: _choice(v or "", Salutation))
    check("form_of_address", lambda v: _choice(v or FormOfAddress.FORMAL, FormOfAddress))
    check("preferred_channel", lambda v: _choice(v or "", Channel, allow_blank=True))
    check("lifecycle_stage", lambda v: _choice(v or LifecycleStage.LEAD, LifecycleStage))
    check("birthday", _birthday)
    if "is_vip" in data:
        cleaned["is_vip"] = bool(data["is_vip"])
    for name in ("organization", "account_manager"):
        if name in data:
            cleaned[name] = data[name]
    if (
        cleaned.get("account_manager") is not None
        and not cleaned["account_manager"].is_staff_member
    ):
        errors.setdefault("account_manager", []).append(
            ValidationError(
                _("The account manager must be an active staff user."),
                code="invalid_account_manager",
            )
        )
    if not partial or "given_name" in data or "family_name" in data:
        if not (cleaned.get("given_name") or cleaned.get("family_name")) and not partial:
            errors.setdefault("family_name", []).append(
                ValidationError(
                    _("Give at least a given name or a family name."), code="name_required"
                )
            )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _choice(value: str, choices, allow_blank: bool = False) -> str:
    if value == "" and (allow_blank or "" in choices.values):
        return ""
    if value not in choices.values:
        raise ValidationError(
            _("“%(value)s” is not one of the allowed values: %(allowed)s."),
            code="invalid_choice",
            params={"value": value, "allowed": ", ".join(v for v in choices.values if v)},
        )
    return value


def _birthday(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="invalid_date") from None
    if value > timezone.localdate() or value.year < 1900:
        raise ValidationError(
            _("The birthday must lie between 1900 and today."), code="invalid_birthday"
        )
    return value


def clean_custom_fields(values: dict[str, Any], *, definitions=None) -> dict[str, Any]:
    """Return custom field values converted to their JSON form, or raise naming each bad key."""
    definitions = {
        d.key: d
        for d in (definitions if definitions is not None else CustomFieldDefinition.objects.all())
    }
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom_fields.{key}"] = [
                ValidationError(_("Unknown custom field."), code="unknown_field")
            ]
            continue
        try:
            value = _custom_value(definition, raw)
        except ValidationError as exc:
            errors[f"custom_fields.{key}"] = [exc]
            continue
        if value is not None:
            cleaned[key] = value
    for definition in definitions.values():
        if (
            definition.required
            and definition.key not in cleaned
            and f"custom_fields.{definition.key}" not in errors
        ):
            errors[f"custom_fields.{definition.key}"] = [
                ValidationError(_("This field is required."), code="required")
            ]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _custom_value(definition: CustomFieldDefinition, raw: Any) -> Any:
    if raw in (None, ""):
        return None
    kind = definition.field_type
    try:
        if kind == CustomFieldType.TEXT:
            return str(raw)[:1000]
        if kind == CustomFieldType.NUMBER:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(str(raw).strip())
        if kind == CustomFieldType.DECIMAL:
            from decimal import Decimal, InvalidOperation

            try:
                return str(Decimal(str(raw).strip().replace(",", ".")))
            except InvalidOperation:
                raise ValueError from None
        if kind == CustomFieldType.DATE:
            return (
                raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip())
            ).isoformat()
        if kind == CustomFieldType.BOOLEAN:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "ja", "on"}:
                return True
            if text in {"0", "false", "no", "nein", "off"}:
                return False
            raise ValueError
        if kind == CustomFieldType.CHOICE:
            if str(raw) not in definition.choices:
                raise ValueError
            return str(raw)
    except (ValueError, TypeError):
        pass
    raise ValidationError(
        _("“%(value)s” is not a valid %(type)s."),
        code="invalid_value",
        params={"value": raw, "type": definition.get_field_type_display()},
    )


def clean_contacts(contacts: ContactInput, *, country: str = "") -> list[tuple[str, str, str, str]]:
    """Return (kind, platform, display value, normalised value) for each contact point, or raise."""
    result: list[tuple[str, str, str, str]] = []
    errors: dict[str, list[ValidationError]] = {}
    for email in contacts.emails:
        try:
            normalized = validators.normalize_email(email)
            result.append((ContactKind.EMAIL, "", email.strip(), normalized))
        except ValidationError as exc:
            errors.setdefault("emails", []).append(exc)
    for phone in contacts.phones:
        try:
            normalized = validators.normalize_phone(phone, country or None)
            result.append((ContactKind.PHONE, "", normalized, normalized))
        except ValidationError as exc:
            errors.setdefault("phones", []).append(exc)
    for platform, handle in contacts.socials:
        try:
            normalized = validators.normalize_social(platform, handle)
            result.append((ContactKind.SOCIAL, platform, handle.strip(), normalized))
        except ValidationError as exc:
            errors.setdefault("socials", []).append(exc)
    if errors:
        raise ValidationError(errors)
    return result


@transaction.atomic
def create_customer(
    *,
    actor,
    profile: dict[str, Any],
    contacts: ContactInput | None = None,
    tags: list[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
    source: str = "agent",
) -> Customer:
    """Create a customer with contact points, tags and custom fields; raise ``ValidationError`` on bad input."""
    errors: dict[str, list] = {}
    cleaned: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    points: list = []
    for step in (
        lambda: cleaned.update(clean_profile(profile)),
        lambda: custom.update(clean_custom_fields(custom_fields or {})),
    ):
        try:
            step()
        except ValidationError as exc:
            errors.update(exc.error_dict)
    try:
        points = clean_contacts(contacts or ContactInput(), country=cleaned.get("country", ""))
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if (
        cleaned.get("external_id")
        and Customer.objects.filter(external_id=cleaned["external_id"]).exists()
    ):
        errors.setdefault("external_id", []).append(
            ValidationError(
                _("A customer with this external ID already exists."), code="duplicate_external_id"
            )
        )
    if errors:
        raise ValidationError(errors)
    customer = Customer.objects.create(**cleaned, custom_fields=custom)
    _add_contact_points(customer, points)
    if tags:
        set_tags(customer=customer, names=tags)
    record_event(
        customer=customer,
        kind=EventKind.PROFILE,
        actor=actor,
        message=message(CUSTOMER_CREATED),
        data={"source": source},
        source=customer,
    )
    return customer


@dataclass
class NewCustomer:
    """One customer for ``create_customers``: a profile and contact points, nothing else."""

    profile: dict[str, Any]
    contacts: ContactInput


@transaction.atomic
def create_customers(
    *, actor, entries: list[NewCustomer], source: str
) -> list[Customer | ValidationError]:
    """Create many customers at once (for intake bursts); one result per entry, in order.

    Each entry is validated as ``create_customer`` validates a profile and contacts; an
    entry that fails gives its ``ValidationError`` and the others are still created. Tags,
    custom field values and external ids are not taken here: use ``create_customer``.
    """
    definitions = list(CustomFieldDefinition.objects.filter(required=True))
    results: list[Customer | ValidationError] = []
    points_by_customer: list[tuple[Customer, list]] = []
    for entry in entries:
        errors: dict[str, list] = {}
        cleaned: dict[str, Any] = {}
        points: list = []
        try:
            cleaned = clean_profile(entry.profile)
        except ValidationError as exc:
            errors.update(exc.error_dict)
        if cleaned.get("external_id"):
            errors.setdefault("external_id", []).append(
                ValidationError(
                    _("An external ID can only be set on a single new customer."),
                    code="external_id_not_accepted",
                )
            )
        try:
            clean_custom_fields({}, definitions=definitions)
            points = clean_contacts(entry.contacts, country=cleaned.get("country", ""))
        except ValidationError as exc:
            errors.update(exc.error_dict)
        if errors:
            results.append(ValidationError(errors))
            continue
        customer = Customer(**cleaned, custom_fields={})
        customer.refresh_keys()
        results.append(customer)
        points_by_customer.append((customer, points))
    created = [customer for customer, _points in points_by_customer]
    Customer.objects.bulk_create(created)
    contact_rows = [
        row
        for customer, points in points_by_customer
        for row in _new_contact_points(customer, points, existing=set(), has_primary=set())
    ]
    ContactPoint.objects.bulk_create(contact_rows)
    record_events_bulk(
        [
            build_event(
                customer=customer,
                kind=EventKind.PROFILE,
                actor=actor,
                message=message(CUSTOMER_CREATED),
                data={"source": source},
                source=customer,
            )
            for customer in created
        ]
    )
    return results


def _add_contact_points(customer: Customer, points: list[tuple[str, str, str, str]]) -> None:
    has_primary = set(
        customer.contact_points.filter(is_primary=True).values_list("kind", flat=True)
    )
    existing = set(customer.contact_points.values_list("kind", "normalized"))
    for row in _new_contact_points(customer, points, existing=existing, has_primary=has_primary):
        row.save()


def _new_contact_points(
    customer: Customer,
    points: list[tuple[str, str, str, str]],
    *,
    existing: set[tuple[str, str]],
    has_primary: set[str],
) -> list[ContactPoint]:
    """Return unsaved contact points for ``points`` the customer lacks (``existing``: (kind,
    normalised) pairs it has); the first of a kind without a primary one becomes primary."""
    rows = []
    for kind, platform, value, normalized in points:
        if (kind, normalized) in existing:
            continue
        existing.add((kind, normalized))
        rows.append(
            ContactPoint(
                customer=customer,
                kind=kind,
                platform=platform,
                value=value,
                normalized=normalized,
                is_primary=kind not in has_primary,
            )
        )
        has_primary.add(kind)
    return rows


@transaction.atomic
def update_customer(
    *,
    actor,
    customer: Customer,
    profile: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> Customer:
    """Change a customer's profile; record the changed fields in the timeline."""
    errors: dict[str, list] = {}
    cleaned: dict[str, Any] = {}
    custom: dict[str, Any] | None = None
    try:
        cleaned = clean_profile(profile or {}, partial=True)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if custom_fields is not None:
        try:
            custom = clean_custom_fields(custom_fields)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    new_external = cleaned.get("external_id")
    if (
        new_external
        and Customer.objects.filter(external_id=new_external).exclude(pk=customer.pk).exists()
    ):
        errors.setdefault("external_id", []).append(
            ValidationError(
                _("A customer with this external ID already exists."), code="duplicate_external_id"
            )
        )
    merged_name = {
        "given_name": cleaned.get("given_name", customer.given_name),
        "family_name": cleaned.get("family_name", customer.family_name),
    }
    if not (merged_name["given_name"] or merged_name["family_name"]):
        errors.setdefault("family_name", []).append(
            ValidationError(_("Give at least a given name or a family name."), code="name_required")
        )
    if errors:
        raise ValidationError(errors)
    changed: dict[str, list[str]] = {}
    for name, value in cleaned.items():
        old = getattr(customer, name)
        if old != value:
            changed[name] = [_display(old), _display(value)]
            setattr(customer, name, value)
    if custom is not None and custom != customer.custom_fields:
        changed["custom_fields"] = [_display(customer.custom_fields), _display(custom)]
        customer.custom_fields = custom
    if changed:
        customer.save()
    if tags is not None:
        before = sorted(customer.tags.values_list("name", flat=True))
        set_tags(customer=customer, names=tags)
        after = sorted(customer.tags.values_list("name", flat=True))
        if before != after:
            changed["tags"] = [", ".join(before), ", ".join(after)]
    if changed:
        record_event(
            customer=customer,
            kind=EventKind.PROFILE,
            actor=actor,
            message=message(gettext_noop("Profile changed")),
            body=", ".join(sorted(changed)),
            data={"changes": changed},
        )
    return customer


def _display(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return str(value)
    return str(value)


def set_tags(*, customer: Customer, names: list[str]) -> None:
    """Replace the customer's tags with ``names``, creating unknown tags."""
    cleaned = sorted({n.strip()[:64] for n in names if n and n.strip()})
    existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    for name in cleaned:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    customer.tags.set(existing.values())


@transaction.atomic
def add_contact_point(
    *,
    actor,
    customer: Customer,
    kind: str,
    value: str,
    platform: str = "",
    label: str = "",
    primary: bool = False,
) -> ContactPoint:
    """Add an email, phone or social handle to a customer."""
    contacts = ContactInput(
        emails=[value] if kind == ContactKind.EMAIL else [],
        phones=[value] if kind == ContactKind.PHONE else [],
        socials=[(platform, value)] if kind == ContactKind.SOCIAL else [],
    )
    if kind not in ContactKind.values:
        raise ValidationError(
            {"kind": [ValidationError(_("Unknown kind of contact point."), code="invalid_choice")]}
        )
    try:
        ((kind, platform, display, normalized),) = clean_contacts(
            contacts, country=customer.country
        )
    except ValidationError as exc:
        raise ValidationError(
            {"value": [e for errs in exc.error_dict.values() for e in errs]}
        ) from None
    point = customer.contact_points.filter(kind=kind, normalized=normalized).first()
    if point is None:
        has_primary = customer.contact_points.filter(kind=kind, is_primary=True).exists()
        point = ContactPoint.objects.create(
            customer=customer,
            kind=kind,
            platform=platform,
            value=display,
            normalized=normalized,
            label=label[:32],
            is_primary=not has_primary,
        )
        record_event(
            customer=customer,
            kind=EventKind.PROFILE,
            actor=actor,
            message=message(gettext_noop("Contact added: %(value)s"), value=display),
            data={"contact_kind": kind},
        )
    if primary and not point.is_primary:
        set_primary_contact(actor=actor, contact_point=point)
    return point


@transaction.atomic
def set_primary_contact(*, actor, contact_point: ContactPoint) -> None:
    """Make ``contact_point`` the primary one of its kind."""
    ContactPoint.objects.filter(
        customer=contact_point.customer, kind=contact_point.kind, is_primary=True
    ).update(is_primary=False)
    ContactPoint.objects.filter(pk=contact_point.pk).update(is_primary=True)
    contact_point.is_primary = True


@transaction.atomic
def remove_contact_point(*, actor, contact_point: ContactPoint) -> None:
    """Remove a contact point; another of its kind becomes primary if it was the primary one."""
    customer = contact_point.customer
    was_primary = contact_point.is_primary
    value = contact_point.value
    contact_point.delete()
    if was_primary:
        successor = customer.contact_points.filter(kind=contact_point.kind).order_by("id").first()
        if successor:
            ContactPoint.objects.filter(pk=successor.pk).update(is_primary=True)
    record_event(
        customer=customer,
        kind=EventKind.PROFILE,
        actor=actor,
        message=message(gettext_noop("Contact removed: %(value)s"), value=value),
        data={"contact_kind": contact_point.kind},
    )


@transaction.atomic
def record_consent(
    *,
    actor,
    customer: Customer,
    purpose: str,
    granted: bool,
    source: str,
    wording_version: str,
    note: str = "",
) -> ConsentRecord:
    """Record a grant or withdrawal of consent; earlier records stay as history."""
    errors = {}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = [ValidationError(_("Unknown consent purpose."), code="invalid_choice")]
    if source not in ConsentSource.values:
        errors["source"] = [ValidationError(_("Unknown consent source."), code="invalid_choice")]
    if not (wording_version or "").strip():
        errors["wording_version"] = [
            ValidationError(_("Name the version of the wording the customer saw."), code="required")
        ]
    if errors:
        raise ValidationError(errors)
    record = ConsentRecord.objects.create(
        customer=customer,
        purpose=purpose,
        granted=granted,
        source=source,
        wording_version=wording_version.strip()[:64],
        note=note[:255],
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    text = CONSENT_GIVEN if granted else CONSENT_WITHDRAWN
    record_event(
        customer=customer,
        kind=EventKind.CONSENT,
        actor=actor,
        message=message(text, purpose=choice_label(ConsentPurpose, purpose)),
        source=record,
        data={
            "purpose": purpose,
            "granted": granted,
            "wording_version": record.wording_version,
            "source": source,
        },
    )
    return record


ORGANIZATION_FIELDS = (
    "name",
    "external_id",
    "domain",
    "vat_id",
    "country",
    "industry",
    "phone",
    "account_manager",
    "notes",
)


def clean_organization(
    fields: dict[str, Any], *, instance: Organization | None = None
) -> dict[str, Any]:
    """Return organisation fields validated and normalised, or raise ``ValidationError`` naming each bad field."""
    unknown = set(fields) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise ValueError(f"unknown organization fields: {sorted(unknown)}")
    errors: dict[str, list[ValidationError]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "account_manager":
            if value is not None and not value.is_staff_member:
                errors[name] = [
                    ValidationError(
                        _("The account manager must be an active staff user."),
                        code="invalid_account_manager",
                    )
                ]
            cleaned[name] = value
            continue
        value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
        limit = Organization._meta.get_field(name).max_length
        if limit and len(value) > limit:
            errors[name] = [
                ValidationError(
                    _("Use at most %(limit)d characters."), code="too_long", params={"limit": limit}
                )
            ]
            continue
        try:
            if name == "country":
                value = validators.validate_country(value)
            elif name == "phone" and value:
                value = validators.normalize_phone(
                    value, fields.get("country") or (instance.country if instance else None)
                )
        except ValidationError as exc:
            errors[name] = [exc]
            continue
        cleaned[name] = value
    if "name" in cleaned and not cleaned["name"] or (instance is None and "name" not in fields):
        errors["name"] = [ValidationError(_("This field is required."), code="required")]
    if "external_id" in cleaned:
        cleaned["external_id"] = cleaned["external_id"] or None
        others = Organization.objects.filter(external_id=cleaned["external_id"])
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        if cleaned["external_id"] and others.exists():
            errors["external_id"] = [
                ValidationError(
                    _("An organization with this external ID already exists."),
                    code="duplicate_external_id",
                )
            ]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def create_organization(*, actor, name: str, **fields: Any) -> Organization:
    """Create an organisation."""
    cleaned = clean_organization({"name": name, **fields})
    return Organization.objects.create(**cleaned)


@transaction.atomic
def update_organization(*, actor, organization: Organization, **fields: Any) -> Organization:
    """Change an organisation's fields."""
    cleaned = clean_organization(fields, instance=organization)
    for name, value in cleaned.items():
        setattr(organization, name, value)
    organization.save()
    return organization


LIFECYCLE_RANK = {LifecycleStage.LEAD: 0, LifecycleStage.CHURNED: 1, LifecycleStage.CUSTOMER: 2}

#: Profile fields a merge may take from the merged customer.
MERGEABLE_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "title",
    "salutation",
    "form_of_address",
    "language",
    "time_zone",
    "country",
    "preferred_channel",
    "birthday",
    "lifecycle_stage",
    "organization_id",
    "account_manager_id",
    "is_vip",
)


def merge_preview(*, survivor: Customer, merged: Customer) -> dict[str, Any]:
    """Return what merging ``merged`` into ``survivor`` would do, field by field, without doing it."""
    from rapport.commerce.models import Order

    fields = []
    for name in MERGEABLE_FIELDS:
        a, b = getattr(survivor, name), getattr(merged, name)
        fields.append(
            {
                "name": name,
                "survivor": a,
                "merged": b,
                "conflict": bool(a) and bool(b) and a != b,
                "result": a if a not in (None, "", False) else b,
            }
        )
    return {
        "fields": fields,
        "contact_points": list(merged.contact_points.all()),
        "timeline_events": TimelineEvent.objects.filter(customer=merged).count(),
        "orders": Order.objects.filter(customer=merged).count(),
        "consents": merged.consents.count(),
        "tags": list(merged.tags.values_list("name", flat=True)),
    }


@transaction.atomic
def merge_customers(
    *, actor, survivor: Customer, merged: Customer, take_fields: list[str] | None = None
) -> Customer:
    """Merge ``merged`` into ``survivor``, keeping the history of both, and delete ``merged``.

    Empty profile fields of the survivor are filled from the merged customer; the names in
    ``take_fields`` are taken from the merged customer even where the survivor has a value.
    Contact points, consent records, timeline events, orders, tags and custom field values move
    to the survivor, and so does every other app's row of the merged customer (conversations,
    chats, survey answers). A snapshot of the merged profile is kept in ``CustomerMerge``.
    """
    from rapport.commerce.models import Order

    if survivor.pk == merged.pk:
        raise ValidationError(_("A customer cannot be merged into itself."), code="same_customer")
    take = set(take_fields or [])
    bad = take - set(MERGEABLE_FIELDS)
    if bad:
        raise ValidationError(
            _("These fields cannot be taken over: %(fields)s") % {"fields": ", ".join(sorted(bad))},
            code="invalid_field",
        )
    survivor = Customer.objects.select_for_update().get(pk=survivor.pk)
    merged = Customer.objects.select_for_update().get(pk=merged.pk)
    snapshot = _snapshot(merged)
    for name in MERGEABLE_FIELDS:
        value = getattr(merged, name)
        if name in take or (
            getattr(survivor, name) in (None, "", False) and value not in (None, "", False)
        ):
            setattr(survivor, name, value)
    if "lifecycle_stage" not in take:
        # A lead merged with a buyer is a customer: keep the more advanced stage.
        survivor.lifecycle_stage = max(
            survivor.lifecycle_stage, merged.lifecycle_stage, key=LIFECYCLE_RANK.__getitem__
        )
    if merged.external_id and not survivor.external_id:
        survivor.external_id, merged.external_id = merged.external_id, None
        Customer.objects.filter(pk=merged.pk).update(external_id=None)
    survivor.custom_fields = {**merged.custom_fields, **survivor.custom_fields}
    if merged.portal_user_id and not survivor.portal_user_id:
        survivor.portal_user_id = merged.portal_user_id
        Customer.objects.filter(pk=merged.pk).update(portal_user=None)
    existing = set(survivor.contact_points.values_list("kind", "normalized"))
    primaries = set(survivor.contact_points.filter(is_primary=True).values_list("kind", flat=True))
    for point in merged.contact_points.all():
        if (point.kind, point.normalized) in existing:
            point.delete()
            continue
        point.customer = survivor
        point.is_primary = point.is_primary and point.kind not in primaries
        point.save(update_fields=["customer", "is_primary"])
    ConsentRecord.objects.filter(customer=merged).update(customer=survivor)
    TimelineEvent.objects.filter(customer=merged).update(customer=survivor)
    Order.objects.filter(customer=merged).update(customer=survivor)
    _merge_memberships(merged, survivor)
    _move_related_rows(merged, survivor)
    survivor.tags.add(*merged.tags.all())
    survivor.save()
    record = CustomerMerge.objects.create(
        survivor=survivor,
        merged_customer_id=merged.pk,
        snapshot=snapshot,
        merged_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record_event(
        customer=survivor,
        kind=EventKind.MERGE,
        actor=actor,
        message=message(
            gettext_noop("Merged with %(name)s (#%(id)s)"), name=merged.display_name, id=merged.pk
        ),
        data={"merged_customer_id": merged.pk},
        source=record,
    )
    merged.delete()
    return survivor


def _merge_memberships(merged: Customer, survivor: Customer) -> None:
    """Combine loyalty memberships (one per programme) before the rows move."""
    from rapport.loyalty.actions import merge_memberships  # the loyalty app builds on this one

    merge_memberships(merged=merged, survivor=survivor)


def _move_related_rows(merged: Customer, survivor: Customer) -> None:
    """Point every other app's rows of ``merged`` at ``survivor`` (conversations, chats,
    survey answers, ...), so that deleting ``merged`` loses nothing. One-to-one rows need a
    merge rule of their own app and are left to it."""
    relations = [
        f
        for f in Customer._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and f.one_to_many
    ]
    for relation in relations:
        # Contact points are merged above; tag links (an automatic through table) too.
        if relation.related_model is ContactPoint or relation.related_model._meta.auto_created:
            continue
        name = relation.field.name
        relation.related_model._base_manager.filter(**{name: merged}).update(**{name: survivor})


def _snapshot(customer: Customer) -> dict[str, Any]:
    data = {name: getattr(customer, name) for name in ("external_id",) + MERGEABLE_FIELDS}
    data["birthday"] = customer.birthday.isoformat() if customer.birthday else None
    data["contact_points"] = list(
        customer.contact_points.values("kind", "platform", "value", "normalized", "is_primary")
    )
    data["tags"] = list(customer.tags.values_list("name", flat=True))
    data["custom_fields"] = customer.custom_fields
    data["created_at"] = customer.created_at.isoformat()
    data["id"] = customer.pk
    return data
