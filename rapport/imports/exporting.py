"""Customer export as CSV or vCards, streamed: a million customers never sit in memory at once."""

import csv
from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet

from rapport.customers.models import ContactKind, ContactPoint, Customer, CustomFieldDefinition, Tag
from rapport.imports.vcards import export_cards

CHUNK_SIZE = 2000
BASE_COLUMNS = (
    "id",
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
    "emails",
    "phones",
    "organization",
    "tags",
    "lifecycle_stage",
    "is_vip",
    "birthday",
    "created_at",
)
JOIN = " | "


FORMULA_STARTS = ("=", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Return ``value`` so that spreadsheets show it as text, never run it as a formula.

    A leading = @ (or + - not followed by a digit, so phone numbers stay as they are) gets an
    apostrophe; the import removes it again.
    """
    if value and (
        value.startswith(FORMULA_STARTS) or (value[0] in "+-" and not value[1:2].isdigit())
    ):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming through csv.writer."""

    def write(self, value: str) -> str:
        return value


def export_queryset(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """Return ``qs`` ordered by id with what the export needs fetched per chunk."""
    return (
        qs.order_by("id")
        .select_related("organization")
        .prefetch_related(
            Prefetch("contact_points", queryset=ContactPoint.objects.order_by("-is_primary", "id")),
            Prefetch("tags", queryset=Tag.objects.only("id", "name")),
        )
    )


def customer_csv_lines(
    qs: QuerySet[Customer], *, delimiter: str = ",", bom: bool = False
) -> Iterator[str]:
    """Yield the export as CSV text, line by line: the header first, then one line per customer."""
    custom_keys = list(CustomFieldDefinition.objects.values_list("key", flat=True))
    writer = csv.writer(_Echo(), delimiter=delimiter)
    header = writer.writerow([*BASE_COLUMNS, *custom_keys])
    yield ("\ufeff" + header) if bom else header
    for customer in export_queryset(qs).iterator(chunk_size=CHUNK_SIZE):
        emails, phones = [], []
        for point in customer.contact_points.all():
            if point.kind == ContactKind.EMAIL:
                emails.append(point.value)
            elif point.kind == ContactKind.PHONE:
                phones.append(point.value)
        custom = customer.custom_fields or {}
        yield writer.writerow(
            [
                safe_cell(cell) if isinstance(cell, str) else cell
                for cell in (
                    customer.pk,
                    customer.external_id or "",
                    customer.given_name,
                    customer.family_name,
                    customer.preferred_name,
                    customer.title,
                    customer.salutation,
                    customer.form_of_address,
                    customer.language,
                    customer.time_zone,
                    customer.country,
                    JOIN.join(emails),
                    JOIN.join(phones),
                    customer.organization.name if customer.organization_id else "",
                    JOIN.join(sorted(t.name for t in customer.tags.all())),
                    customer.lifecycle_stage,
                    "yes" if customer.is_vip else "",
                    customer.birthday.isoformat() if customer.birthday else "",
                    customer.created_at.isoformat(timespec="seconds"),
                    *(_cell(custom.get(key)) for key in custom_keys),
                )
            ]
        )


def customer_vcards(qs: QuerySet[Customer], *, version: str = "4.0") -> Iterator[str]:
    """Yield the customers as vCards of ``version``."""
    return export_cards(export_queryset(qs).iterator(chunk_size=CHUNK_SIZE), version=version)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
