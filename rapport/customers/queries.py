"""Reads of customers that pages, the API and other apps share. Every read is scoped by who asks."""

import base64
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from rapport.accounts.models import Role
from rapport.customers import validators
from rapport.customers.models import (
    ConsentPurpose,
    ConsentRecord,
    ContactKind,
    ContactPoint,
    Customer,
    Organization,
    Tag,
    fold,
)


def visible_customers(user) -> QuerySet[Customer]:
    """Return the customers ``user`` may see: all for staff, only their own profile for a portal customer."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Customer.objects.none()
    if user.role == Role.CUSTOMER:
        return Customer.objects.filter(portal_user=user)
    return Customer.objects.all()


def visible_organizations(user) -> QuerySet[Organization]:
    if user is None or not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    if user.role == Role.CUSTOMER:
        return Organization.objects.filter(customers__portal_user=user)
    return Organization.objects.all()


def get_customer(user, customer_id) -> Customer:
    """Return the customer with ``customer_id`` if ``user`` may see it, else raise ``Customer.DoesNotExist``."""
    try:
        customer_id = int(customer_id)
    except (TypeError, ValueError):
        raise Customer.DoesNotExist from None
    return visible_customers(user).get(pk=customer_id)


def find_customers_by_contact(kind: str, value: str) -> QuerySet[Customer]:
    """Return customers with a contact point matching ``value`` (any form of it), oldest first.

    This is how an inbound message finds its customer: by any email, phone or handle.
    """
    try:
        if kind == ContactKind.EMAIL:
            normalized = validators.normalize_email(value)
        elif kind == ContactKind.PHONE:
            normalized = validators.normalize_phone(value)
        else:
            normalized = value.strip().lower()
    except Exception:  # noqa: BLE001 - an unparsable value simply matches nobody
        return Customer.objects.none()
    ids = ContactPoint.objects.filter(kind=kind, normalized=normalized).values("customer_id")
    return Customer.objects.filter(pk__in=ids).order_by("created_at", "id")


def identify_customer(*, email: str = "", phone: str = "", social: str = "") -> Customer | None:
    """Return the customer a message from this address belongs to, or None."""
    for kind, value in (
        (ContactKind.EMAIL, email),
        (ContactKind.PHONE, phone),
        (ContactKind.SOCIAL, social),
    ):
        if value:
            customer = find_customers_by_contact(kind, value).first()
            if customer:
                return customer
    return None


def identify_customers_by_email(addresses: list[str]) -> dict[str, Customer]:
    """Return ``identify_customer(email=a)`` for many addresses at once, keyed by address.

    Addresses that match nobody (or cannot be read) are left out.
    """
    normalized: dict[str, str] = {}
    for address in addresses:
        try:
            normalized[address] = validators.normalize_email(address)
        except Exception:  # noqa: BLE001 - an unparsable value simply matches nobody
            continue
    if not normalized:
        return {}
    owners: dict[str, list[int]] = {}
    for value, customer_id in ContactPoint.objects.filter(
        kind=ContactKind.EMAIL, normalized__in=set(normalized.values())
    ).values_list("normalized", "customer_id"):
        owners.setdefault(value, []).append(customer_id)
    customers = Customer.objects.in_bulk([pk for ids in owners.values() for pk in ids])
    result: dict[str, Customer] = {}
    for address, value in normalized.items():
        candidates = [customers[pk] for pk in owners.get(value, ()) if pk in customers]
        if candidates:
            result[address] = min(candidates, key=lambda c: (c.created_at, c.pk))
    return result


# --- The customer list: search, filters, keyset pagination --------------------------------

SORTS = {
    "name": ("family_key", "given_key", "id"),
    "-name": ("-family_key", "-given_key", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
FILTERS = (
    "tag",
    "country",
    "language",
    "lifecycle_stage",
    "account_manager",
    "organization",
    "is_vip",
    "segment",
)
COUNT_CAP = 10_000
# A tag with more customers than this is filtered by EXISTS instead of IN (see _tag_conditions).
LARGE_TAG = 5_000


@dataclass
class CustomerPage:
    customers: list[Customer]
    next_cursor: str | None
    prev_cursor: str | None
    total: int
    total_capped: bool


def search_customers(qs: QuerySet[Customer], query: str) -> QuerySet[Customer]:
    """Narrow ``qs`` to customers whose name, any email or phone, or organisation matches ``query``.

    Emails and phone numbers match exactly (in any notation); names and organisations match
    by prefix of each word, ignoring case and accents, so each branch uses an index.
    """
    query = (query or "").strip()
    if not query:
        return qs
    if "@" in query:
        normalized = query.lower()
        ids = ContactPoint.objects.filter(kind=ContactKind.EMAIL, normalized=normalized).values(
            "customer_id"
        )
        return qs.filter(pk__in=ids)
    digits = "".join(c for c in query if c.isdigit())
    if len(digits) >= 6 and len(digits) >= len(query.replace(" ", "")) - 3:
        try:
            normalized = validators.normalize_phone(query)
        except Exception:  # noqa: BLE001
            normalized = "+" + digits
        ids = ContactPoint.objects.filter(kind=ContactKind.PHONE, normalized=normalized).values(
            "customer_id"
        )
        return qs.filter(pk__in=ids)
    condition = Q()
    variants = search_variants(query)
    for variant in variants:
        condition |= _name_condition(variant.split())
    org_condition = Q()
    for variant in variants:
        org_condition |= _prefix("name_key", variant)
    org_ids = Organization.objects.filter(org_condition).values("id")[:50]
    return qs.filter(condition | Q(organization_id__in=org_ids))


UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def search_variants(text: str) -> list[str]:
    """Return the folded spellings to search for: "Müller" also as "mueller", "Mueller" also as "muller"."""
    plain = fold(text)
    expanded = fold(text.translate(UMLAUTS))
    contracted = plain.replace("ae", "a").replace("oe", "o").replace("ue", "u")
    return [v for v in dict.fromkeys((plain, expanded, contracted)) if v]


def _name_condition(words: list[str]) -> Q:
    if not words:
        return Q(pk__in=[])
    if len(words) == 1:
        return _prefix("family_key", words[0]) | _prefix("given_key", words[0])
    first, rest = words[0], " ".join(words[1:])
    last, head = words[-1], " ".join(words[:-1])
    whole = " ".join(words)
    return (
        (_prefix("given_key", head) & _prefix("family_key", last))
        | (_prefix("family_key", first) & _prefix("given_key", rest))
        | _prefix("family_key", whole)
        | _prefix("given_key", whole)
    )


def _prefix(field: str, prefix: str) -> Q:
    # A range instead of LIKE: uses the B-tree index on SQLite and (C collation) PostgreSQL.
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})


def filter_customers(qs: QuerySet[Customer], filters: dict[str, Any]) -> QuerySet[Customer]:
    """Apply the list filters (tag name, country, language, lifecycle stage, account manager id, ...)."""
    return _filtered(qs, filters)[0]


def _filtered(
    qs: QuerySet[Customer], filters: dict[str, Any]
) -> tuple[QuerySet[Customer], QuerySet[Customer]]:
    """Return ``qs`` narrowed by ``filters`` twice: in the form to page through, and to count.

    The two differ only for a tag with many customers (see ``_tag_conditions``).
    """
    if filters.get("country"):
        qs = qs.filter(country=str(filters["country"]).upper())
    if filters.get("language"):
        qs = qs.filter(language=str(filters["language"]).lower())
    if filters.get("lifecycle_stage"):
        qs = qs.filter(lifecycle_stage=filters["lifecycle_stage"])
    if filters.get("account_manager"):
        qs = qs.filter(account_manager_id=filters["account_manager"])
    if filters.get("organization"):
        qs = qs.filter(organization_id=filters["organization"])
    if filters.get("is_vip") not in (None, ""):
        qs = qs.filter(is_vip=filters["is_vip"] in (True, "1", "true", "yes"))
    if filters.get("segment"):
        # The RFM segment of the latest customer value scoring (rapport.analytics).
        qs = qs.filter(value__segment=filters["segment"])
    if not filters.get("tag"):
        return qs, qs
    page_condition, count_condition = _tag_conditions(str(filters["tag"]))
    return qs.filter(page_condition), qs.filter(count_condition)


def _tag_conditions(name: str) -> tuple[Q, Q]:
    """Return the conditions "has the tag ``name``" to page through and to count.

    The query shape depends on the tag's size. A small tag's customers are few: fetch them by
    id (``IN``) and sort them. A large tag's customers are many, and sorting them all costs
    hundreds of milliseconds at a million customers: instead walk the sort order's index and
    keep each customer who has the tag (``EXISTS``), which finds a page after about
    ``page size / share of customers with the tag`` steps. Counting a large tag joins its links,
    so the planner can start from them (or from a more selective filter) and stop at the cap.
    """
    links = Customer.tags.through.objects
    tag_id = Tag.objects.filter(name=name).values_list("id", flat=True).first()
    if tag_id is None:
        return Q(pk__in=[]), Q(pk__in=[])
    size = links.filter(tag_id=tag_id)[: LARGE_TAG + 1].count()
    if size <= LARGE_TAG:
        condition = Q(pk__in=links.filter(tag_id=tag_id).values("customer_id"))
        return condition, condition
    has_tag = Exists(links.filter(customer_id=OuterRef("pk"), tag_id=tag_id))
    return Q(has_tag), Q(tags=tag_id)


def _encode_cursor(values: list[Any], direction: str) -> str:
    raw = json.dumps({"v": values, "d": direction}, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[list[Any], str] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        values, direction = data["v"], data["d"]
        if not isinstance(values, list) or direction not in ("next", "prev"):
            return None
        return values, direction
    except (ValueError, KeyError, TypeError):
        return None


def _sort_value(customer: Customer, field: str) -> Any:
    value = getattr(customer, field.lstrip("-"))
    return value.isoformat() if hasattr(value, "isoformat") else value


def _after(fields: tuple[str, ...], values: list[Any]) -> Q:
    """Return the condition "row comes after ``values``" in the order ``fields``."""
    condition = Q()
    for i, field in enumerate(fields):
        name = field.lstrip("-")
        op = "lt" if field.startswith("-") else "gt"
        clause = Q(**{f"{name}__{op}": values[i]})
        for j in range(i):
            clause &= Q(**{fields[j].lstrip("-"): values[j]})
        condition |= clause
    return condition


def customer_page(
    qs: QuerySet[Customer],
    *,
    sort: str = "name",
    cursor: str | None = None,
    page_size: int = 25,
    count_qs: QuerySet[Customer] | None = None,
) -> CustomerPage:
    """Return one page of ``qs`` in ``sort`` order, with cursors to the pages before and after.

    Keyset pagination: the cost of a page does not grow with its depth, so the list stays fast
    at a million customers. The total is counted up to ``COUNT_CAP``, on ``count_qs`` if given
    (the same rows in a form that is cheaper to count).
    """
    fields = SORTS.get(sort, SORTS["name"])
    decoded = _decode_cursor(cursor) if cursor else None
    direction = "next"
    base = qs
    if decoded and len(decoded[0]) == len(fields):
        values, direction = decoded
        if direction == "next":
            qs = qs.filter(_after(fields, values))
        else:
            reverse = tuple(f[1:] if f.startswith("-") else "-" + f for f in fields)
            qs = qs.filter(_after(reverse, values))
    order = (
        fields
        if direction == "next"
        else tuple(f[1:] if f.startswith("-") else "-" + f for f in fields)
    )
    rows = list(qs.order_by(*order).select_related("organization")[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if direction == "prev":
        rows.reverse()
    next_cursor = prev_cursor = None
    if rows:
        last = [_sort_value(rows[-1], f) for f in fields]
        first = [_sort_value(rows[0], f) for f in fields]
        if direction == "next":
            next_cursor = _encode_cursor(last, "next") if has_more else None
            prev_cursor = _encode_cursor(first, "prev") if decoded else None
        else:
            prev_cursor = _encode_cursor(first, "prev") if has_more else None
            next_cursor = _encode_cursor(last, "next")
    total = (base if count_qs is None else count_qs).order_by()[: COUNT_CAP + 1].count()
    return CustomerPage(rows, next_cursor, prev_cursor, min(total, COUNT_CAP), total > COUNT_CAP)


def customer_list_page(
    qs: QuerySet[Customer],
    *,
    query: str = "",
    filters: dict[str, Any] | None = None,
    sort: str = "name",
    cursor: str | None = None,
    page_size: int = 25,
) -> CustomerPage:
    """Return one page of ``qs`` narrowed by the search ``query`` and the list ``filters``."""
    page_qs, count_qs = _filtered(search_customers(qs, query), filters or {})
    return customer_page(page_qs, sort=sort, cursor=cursor, page_size=page_size, count_qs=count_qs)


# --- Consent, duplicates --------------------------------------------------------------------


def current_consents(customer: Customer) -> dict[str, ConsentRecord | None]:
    """Return the consent record in force for each purpose (None where never asked)."""
    current: dict[str, ConsentRecord | None] = dict.fromkeys(ConsentPurpose.values)
    for record in customer.consents.order_by("purpose", "-recorded_at", "-id"):
        if current.get(record.purpose) is None:
            current[record.purpose] = record
    return current


def has_consent(customer: Customer, purpose: str) -> bool:
    record = (
        ConsentRecord.objects.filter(customer=customer, purpose=purpose)
        .order_by("-recorded_at", "-id")
        .first()
    )
    return bool(record and record.granted)


def consent_withdrawn(customer: Customer, purpose: str) -> bool:
    """Return whether the customer's latest word on ``purpose`` was a withdrawal (no record
    at all is not a withdrawal)."""
    record = (
        ConsentRecord.objects.filter(customer=customer, purpose=purpose)
        .order_by("-recorded_at", "-id")
        .first()
    )
    return record is not None and not record.granted


#: Similar names are looked for among the customers with the same family name whose given
#: name starts with the same letters (how many), at most this many of them.
NAME_PREFIX = 2
NAME_CANDIDATES = 500


@dataclass
class DuplicateCandidate:
    customer: Customer
    reasons: list[str]
    score: int


def duplicate_candidates(customer: Customer, *, limit: int = 20) -> list[DuplicateCandidate]:
    """Return other customers who are probably the same person, most likely first.

    Same email or phone counts most; a similar name (same folded family name and a given name
    that is equal, an initial of the other, or close by edit distance among those that begin
    with the same ``NAME_PREFIX`` letters) counts too.
    """
    from rapidfuzz.distance import Levenshtein

    found: dict[int, DuplicateCandidate] = {}
    points = list(customer.contact_points.values_list("kind", "normalized"))
    if points:
        condition = Q()
        for kind, normalized in points:
            condition |= Q(kind=kind, normalized=normalized)
        matches = (
            ContactPoint.objects.filter(condition)
            .exclude(customer=customer)
            .select_related("customer")[: limit * 4]
        )
        for point in matches:
            entry = found.setdefault(point.customer_id, DuplicateCandidate(point.customer, [], 0))
            entry.reasons.append(f"{point.kind}:{point.value}")
            entry.score += 50
    if customer.family_key and customer.given_key:
        a = customer.given_key
        # Only the same family name with a given name that starts alike (or is the initial):
        # a common family name has thousands of customers at a million, and comparing them
        # all cost tens of milliseconds per profile. Read through the (family_key,
        # given_key) index, as keys only; load the customers that are similar.
        same_family = (
            Customer.objects.filter(family_key=customer.family_key)
            .filter(_prefix("given_key", a[:NAME_PREFIX]) | Q(given_key=a[0]))
            .exclude(pk=customer.pk)
            .order_by("given_key", "id")
            .values_list("pk", "given_key")[:NAME_CANDIDATES]
        )
        similar = {
            pk: b
            for pk, b in same_family
            if b
            and (
                a == b
                or (len(a) == 1 and b.startswith(a))
                or (len(b) == 1 and a.startswith(b))
                or Levenshtein.distance(a, b) <= (1 if min(len(a), len(b)) < 6 else 2)
            )
        }
        others = Customer.objects.in_bulk(list(similar)) if similar else {}
        for pk, b in similar.items():
            other = found[pk].customer if pk in found else others[pk]
            entry = found.setdefault(pk, DuplicateCandidate(other, [], 0))
            entry.reasons.append("name")
            entry.score += 30 if a == b else 20
            if customer.birthday and customer.birthday == other.birthday:
                entry.score += 20
    return sorted(found.values(), key=lambda c: (-c.score, c.customer.pk))[:limit]


# --- Pages: primary contacts, timeline, organisations ---------------------------------------


def attach_primary_contacts(customers: list[Customer]) -> None:
    """Set ``primary_email`` and ``primary_phone`` on each customer, loading them in one query."""
    from django.db.models import Prefetch, prefetch_related_objects

    prefetch_related_objects(
        customers,
        Prefetch(
            "contact_points",
            queryset=ContactPoint.objects.filter(
                is_primary=True, kind__in=(ContactKind.EMAIL, ContactKind.PHONE)
            ),
            to_attr="primary_points",
        ),
    )
    for customer in customers:
        points = {p.kind: p for p in customer.primary_points}
        customer.primary_email = points.get(ContactKind.EMAIL)
        customer.primary_phone = points.get(ContactKind.PHONE)


def timeline_page(customer: Customer, *, before: str | None = None, limit: int = 20):
    """Return ``customer``'s timeline events newest first, starting after the cursor ``before``.

    Keyset pagination on (occurred_at, id); returns the events and the cursor of the next page
    (None on the last page).
    """
    from django.utils.dateparse import parse_datetime

    from rapport.timeline.models import TimelineEvent

    qs = TimelineEvent.objects.filter(customer=customer)
    decoded = _decode_cursor(before) if before else None
    if decoded and len(decoded[0]) == 2:
        at = parse_datetime(str(decoded[0][0]))
        try:
            pk = int(decoded[0][1])
        except (TypeError, ValueError):
            at = None
        if at is not None:
            qs = qs.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=pk))
    rows = list(qs.select_related("actor").order_by("-occurred_at", "-id")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _encode_cursor([rows[-1].occurred_at.isoformat(), rows[-1].pk], "next")
    return rows, next_cursor


def search_organizations(qs: QuerySet[Organization], query: str) -> QuerySet[Organization]:
    """Narrow ``qs`` to organisations whose name starts with ``query`` (ignoring case and accents)."""
    condition = Q()
    for variant in search_variants(query or ""):
        condition |= _prefix("name_key", variant)
    return qs.filter(condition) if condition else qs


def organization_page(
    qs: QuerySet[Organization], *, cursor: str | None = None, page_size: int = 25
) -> tuple[list[Organization], str | None]:
    """Return one page of ``qs`` by name (keyset on name_key, id) and the cursor of the next page."""
    fields = ("name_key", "id")
    decoded = _decode_cursor(cursor) if cursor else None
    if decoded and len(decoded[0]) == len(fields):
        qs = qs.filter(_after(fields, decoded[0]))
    rows = list(qs.order_by(*fields).select_related("account_manager")[: page_size + 1])
    next_cursor = None
    if len(rows) > page_size:
        rows = rows[:page_size]
        next_cursor = _encode_cursor([rows[-1].name_key, rows[-1].pk], "next")
    return rows, next_cursor


def find_organization(user, text: str) -> Organization | None:
    """Return the visible organisation named by ``text``: "Name #id" or an exact (folded) name."""
    text = (text or "").strip()
    if not text:
        return None
    qs = visible_organizations(user)
    head, sep, tail = text.rpartition("#")
    if sep and tail.strip().isdigit():
        found = qs.filter(pk=int(tail.strip())).first()
        if found is not None:
            return found
    return qs.filter(name_key=fold(text)[:200]).order_by("id").first()
