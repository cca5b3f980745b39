"""Importing customers from rows of values: validate each row, match, then write in batches.

Each row is judged by the same functions as the customer form and the API
(``clean_profile``, ``clean_contacts``, ``clean_custom_fields``). Rows are matched to existing
customers by external ID, else by email; a match is updated with the row's non-empty values,
otherwise a customer is created. Writes happen per batch with ``bulk_create`` inside one
transaction, so a batch is saved whole or not at all and the import stays fast.
"""

import contextlib
import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.customers.actions import (
    CUSTOMER_CREATED,
    ContactInput,
    clean_contacts,
    clean_custom_fields,
    clean_profile,
    create_organization,
)
from rapport.customers.models import (
    ContactKind,
    ContactPoint,
    Customer,
    CustomFieldDefinition,
    CustomFieldType,
    FormOfAddress,
    LifecycleStage,
    Organization,
    Tag,
    fold,
)
from rapport.imports import bulk, cleaning
from rapport.imports.csvfile import parse_date, parse_decimal
from rapport.imports.report import (
    ImportReport,
    Issue,
    ProgressCallback,
    messages_of,
    paused_gc,
)
from rapport.timeline.actions import record_event_for_customers, record_events_bulk
from rapport.timeline.messages import message
from rapport.timeline.models import EventKind, TimelineEvent

BATCH_SIZE = 2000
MULTI_VALUE_FIELDS = ("email", "phone", "tags")

SALUTATIONS = {
    "herr": "mr", "hr": "mr", "hr.": "mr", "mr": "mr", "mr.": "mr", "frau": "ms", "fr": "ms",
    "fr.": "ms", "ms": "ms", "ms.": "ms", "mrs": "ms", "mrs.": "ms", "divers": "mx", "mx": "mx",
}  # fmt: skip
FORMS_OF_ADDRESS = {
    "sie": "formal", "formal": "formal", "förmlich": "formal", "siezen": "formal",
    "du": "informal", "informal": "informal", "duzen": "informal",
}  # fmt: skip
STAGES = {
    "interessent": "lead", "lead": "lead", "kunde": "customer", "customer": "customer",
    "abgewandert": "churned", "churned": "churned", "ehemaliger kunde": "churned",
}  # fmt: skip
LANGUAGES = {"deutsch": "de", "german": "de", "englisch": "en", "english": "en"}
COUNTRIES = {
    "deutschland": "DE", "germany": "DE", "österreich": "AT", "austria": "AT",
    "schweiz": "CH", "switzerland": "CH",
}  # fmt: skip
TRUE = {"1", "true", "yes", "ja", "x", "y", "j", "wahr"}
FALSE = {"0", "false", "no", "nein", "n", "falsch"}
CUSTOMER_COLUMNS = (
    "id", "external_id", "given_name", "family_name", "preferred_name", "title", "salutation",
    "form_of_address", "language", "time_zone", "country", "preferred_channel", "birthday",
    "lifecycle_stage", "organization", "is_vip", "custom_fields", "family_key", "given_key",
    "created_at", "updated_at",
)  # fmt: skip
POINT_COLUMNS = (
    "customer", "kind", "platform", "value", "normalized", "label", "is_primary", "created_at"
)  # fmt: skip
VERDICT_CACHE_SIZE = 200_000
#: What ``RowCleaner.clean`` returns: None (empty row), a list of issues or a valid row's values.
Cleaned = tuple | list[Issue] | None
#: A leading apostrophe before these is the export's protection against spreadsheet formulas.
FORMULA_MARKS = frozenset("=@+-\t\r")
PROFILE_COLUMNS = {"emails": "email", "phones": "phone"}


@dataclass(slots=True)
class CustomerRow:
    """One valid row, cleaned and ready to be matched and written."""

    row: int
    cells: list[str]
    profile: dict[str, Any]
    points: list[tuple[str, str, str, str]]
    tags: list[str]
    custom: dict[str, Any]
    missing_required: list[str]
    organization: str
    external_id: str | None
    email: str
    customer: Customer | None = None
    changes: dict[str, list[str]] = field(default_factory=dict)
    new_points: list[tuple[str, str, str, str]] = field(default_factory=list)
    new_tags: list[str] = field(default_factory=list)


def split_values(text: str) -> list[str]:
    """Return the values of a multi-value cell ("a | b", "a, b" or "a; b")."""
    for separator in ("|", ";", ","):
        if separator in text:
            return [part.strip() for part in text.split(separator) if part.strip()]
    return [text]


def split_name(text: str) -> tuple[str, str]:
    """Return (given, family) from "Anna Müller" or "Müller, Anna"."""
    if "," in text:
        family, _sep, given = text.partition(",")
        return given.strip(), family.strip()
    parts = text.split()
    if len(parts) == 1:
        return "", parts[0]
    return " ".join(parts[:-1]), parts[-1]


class RowCleaner:
    """Judge rows: the part of an import that needs no database, so it can run in a worker.

    Built from plain, picklable settings (header, mapping, custom field definitions) so that
    ``rapport.imports.cleaning`` can build the same cleaner in another process.
    """

    def __init__(
        self,
        *,
        header: list[str],
        mapping: dict[str, str],
        definitions: list[CustomFieldDefinition],
        decimal_comma: bool | None = None,
    ):
        self.header = header
        self.mapping = mapping
        self.columns = sorted(((int(i), f) for i, f in mapping.items()), key=lambda p: p[0])
        self.custom_columns = [name for _index, name in self.columns if name.startswith("custom:")]
        self.column_of = {}
        for index, name in self.columns:
            self.column_of.setdefault(name, header[index] if index < len(header) else "")
        self.decimal_comma = decimal_comma
        self.definitions = definitions
        self.definition_by_key = {d.key: d for d in self.definitions}
        self.verdicts: dict[tuple[str, Any], Any] = {}

    def cleaner_config(self) -> dict[str, Any]:
        """Return the arguments that build an equal ``RowCleaner`` (in a worker process)."""
        return {
            "header": self.header,
            "mapping": self.mapping,
            "definitions": self.definitions,
            "decimal_comma": self.decimal_comma,
        }

    # --- Reading and validating one row ------------------------------------------------------

    def make_issue(self, row: int, cells: list[str], name: str, code: str, message: str) -> Issue:
        field_name = name.split(".", 1)[-1] if name.startswith("custom_fields.") else name
        key = f"custom:{field_name}" if name.startswith("custom_fields.") else name
        column = self.column_of.get(PROFILE_COLUMNS.get(key, key), "")
        if not column and name in ("given_name", "family_name"):
            column = self.column_of.get("name", "")
        raw = {self.header[i]: cells[i] for i in range(min(len(cells), len(self.header)))}
        return Issue(row, column, field_name, code, message, raw)

    def clean_chunk(self, chunk: list[tuple[int, list[str]]]) -> list[Cleaned]:
        """Return ``clean(row, cells)`` for each row of ``chunk`` (the worker's unit of work)."""
        clean = self.clean
        return [clean(row, cells) for row, cells in chunk]

    def clean(self, row: int, cells: list[str]) -> Cleaned:
        """Return None for an empty row, the row's issues if it is invalid, else its values.

        The values are the fields of ``CustomerRow`` after ``row`` and ``cells``, as a tuple:
        cheaper to send between processes than the object.
        """
        if not "".join(cells).strip():
            return None
        values: dict[str, Any] = {}
        multi: dict[str, list[str]] = {"email": [], "phone": [], "tags": []}
        width = len(cells)
        for index, name in self.columns:
            if index >= width:
                continue
            value = cells[index].strip()
            if not value:
                continue
            if value[0] == "'" and value[1:2] in FORMULA_MARKS:
                value = value[1:]  # written by our export to keep spreadsheets from evaluating it
            if name in multi:
                multi[name].extend(split_values(value))
            else:
                values[name] = value
        problems: list[tuple[str, str, str]] = []
        custom_raw: dict[str, Any] = {}
        organization = values.pop("organization", "")
        full_name = values.pop("name", "")
        if full_name and not (values.get("given_name") or values.get("family_name")):
            values["given_name"], values["family_name"] = split_name(full_name)
        for name in self.custom_columns:
            if name in values:
                custom_raw[name[7:]] = self.custom_value(name[7:], values.pop(name), problems)
        self.translate(values, problems)
        profile = self.clean_profile(values, problems)
        points: list = []
        if multi["email"] or multi["phone"]:
            try:
                points = clean_contacts(
                    ContactInput(emails=multi["email"], phones=multi["phone"]),
                    country=profile.get("country") or "",
                )
            except ValidationError as exc:
                problems.extend(messages_of(exc))
        custom: dict[str, Any] = {}
        missing_required: list[str] = []
        if self.definitions:
            try:
                custom = clean_custom_fields(custom_raw, definitions=self.definitions)
            except ValidationError as exc:
                for name, code, message in messages_of(exc):
                    if code == "required":
                        missing_required.append(name.split(".", 1)[1])
                    else:
                        problems.append((name, code, message))
                if not problems:
                    # Re-clean without the missing required fields to keep the good values.
                    custom = clean_custom_fields(
                        custom_raw,
                        definitions=[d for d in self.definitions if d.key not in missing_required],
                    )
        elif custom_raw:
            problems.append(("custom_fields", "unknown_field", _("Unknown custom field.")))
        if problems:
            return [
                self.make_issue(row, cells, name, code, message) for name, code, message in problems
            ]
        email = next((p[3] for p in points if p[0] == ContactKind.EMAIL), "")
        return (
            profile,
            points,
            [t[:64] for t in multi["tags"]],
            custom,
            missing_required,
            organization[:200],
            profile.get("external_id"),
            email,
        )

    def clean_profile(self, values: dict[str, Any], problems: list) -> dict[str, Any]:
        """Return ``clean_profile(values, partial=True)``, judging each repeated value once.

        In a partial profile every field is judged on its own, so the verdict on
        ("country", "DE") or ("given_name", "Anna") holds for every row of the import; only
        external IDs, unique by nature, are judged row by row.
        """
        profile: dict[str, Any] = {}
        verdicts = self.verdicts
        for name, value in values.items():
            if name == "external_id":
                try:
                    profile.update(clean_profile({name: value}, partial=True))
                except ValidationError as exc:
                    problems.extend(messages_of(exc))
                continue
            key = (name, value)
            verdict = verdicts.get(key)
            if verdict is None:
                try:
                    verdict = clean_profile({name: value}, partial=True)
                except ValidationError as exc:
                    verdict = messages_of(exc)
                if len(verdicts) > VERDICT_CACHE_SIZE:
                    verdicts.clear()
                verdicts[key] = verdict
            if type(verdict) is list:
                problems.extend(verdict)
            else:
                profile.update(verdict)
        return profile

    def translate(self, values: dict[str, Any], problems: list) -> None:
        """Turn the words people write in spreadsheets into the stored values."""
        for name, table in (
            ("salutation", SALUTATIONS),
            ("form_of_address", FORMS_OF_ADDRESS),
            ("lifecycle_stage", STAGES),
            ("language", LANGUAGES),
            ("country", COUNTRIES),
        ):
            if name in values:
                key = values[name].casefold()
                values[name] = table.get(key, values[name].lower() if name != "country" else key)
        if "preferred_channel" in values:
            values["preferred_channel"] = values["preferred_channel"].lower()
        if "birthday" in values:
            try:
                values["birthday"] = parse_date(values["birthday"])
            except ValueError:
                problems.append(
                    (
                        "birthday",
                        "invalid_date",
                        _("“%(value)s” is not a date (use 31.12.1980 or 1980-12-31).")
                        % {"value": values.pop("birthday")},
                    )
                )
        if "is_vip" in values:
            text = values["is_vip"].casefold()
            if text in TRUE or text in FALSE:
                values["is_vip"] = text in TRUE
            else:
                problems.append(
                    (
                        "is_vip",
                        "invalid_boolean",
                        _("“%(value)s” is not yes or no.") % {"value": values.pop("is_vip")},
                    )
                )

    def custom_value(self, key: str, raw: str, problems: list) -> Any:
        definition = self.definition_by_key.get(key)
        if definition is None:
            return raw
        try:
            if definition.field_type == CustomFieldType.DATE:
                return parse_date(raw)
            if definition.field_type == CustomFieldType.DECIMAL:
                return str(parse_decimal(raw, decimal_comma=self.decimal_comma))
            if definition.field_type == CustomFieldType.NUMBER:
                return str(raw).replace(".", "") if self.decimal_comma else raw
        except ValueError:
            pass
        return raw


class CustomerImporter(RowCleaner):
    """Import customer rows; one instance per run."""

    def __init__(
        self,
        *,
        header: list[str],
        mapping: dict[str, str],
        report: ImportReport,
        actor=None,
        job_id: int | None = None,
        decimal_comma: bool | None = None,
        progress: ProgressCallback | None = None,
    ):
        super().__init__(
            header=header,
            mapping=mapping,
            definitions=list(CustomFieldDefinition.objects.all()),
            decimal_comma=decimal_comma,
        )
        self.report = report
        self.actor = actor
        self.job_id = job_id
        self.progress = progress
        self.seen_external: dict[str, int] = {}
        self.seen_email: dict[str, int] = {}
        self.seen_customer: dict[int, int] = {}
        self.organizations: dict[str, int | None] = {}
        self.tag_ids: dict[str, int] = {}
        self.folded: dict[str, str] = {}
        self.now = timezone.now()

    def issue(self, row: int, cells: list[str], name: str, code: str, message: str) -> None:
        self.report.issues.append(self.make_issue(row, cells, name, code, message))

    # --- Running -------------------------------------------------------------------------------

    def run(self, rows: Iterable[tuple[int, list[str]]]) -> ImportReport:
        with paused_gc(), bulk.bulk_load():
            return self._run(rows)

    def cleaned(
        self, rows: Iterable[tuple[int, list[str]]]
    ) -> Iterator[tuple[int, list[str], Cleaned]]:
        """Yield (row, cells, ``clean(row, cells)``): in a worker process for large files."""
        if cleaning.worker_pays_off(self.report.total_rows):
            return cleaning.cleaned_in_worker(self.cleaner_config(), rows)
        clean = self.clean
        return ((row, cells, clean(row, cells)) for row, cells in rows)

    def _run(self, rows: Iterable[tuple[int, list[str]]]) -> ImportReport:
        batch: list[CustomerRow] = []
        report = self.report
        counts = report.counts
        # closing(): an error while writing stops the worker process at once.
        with contextlib.closing(self.cleaned(rows)) as results:
            for row, cells, result in results:
                report.processed_rows += 1
                if result is None:
                    counts["empty"] += 1
                    continue
                if type(result) is list:
                    report.issues.extend(result)
                    counts["invalid"] += 1
                    report.add_preview(row, "invalid", "", result[-1].message)
                    continue
                cleaned = CustomerRow(row, cells, *result)
                if self.is_duplicate(cleaned):
                    continue
                batch.append(cleaned)
                if len(batch) >= BATCH_SIZE:
                    self.process(batch)
                    batch = []
        if batch:
            self.process(batch)
        elif self.progress:
            self.progress(self.report)
        return self.report

    def is_duplicate(self, item: CustomerRow) -> bool:
        first = None
        if item.external_id and item.external_id in self.seen_external:
            first = self.seen_external[item.external_id]
        elif item.email and item.email in self.seen_email:
            first = self.seen_email[item.email]
        if first is None:
            if item.external_id:
                self.seen_external[item.external_id] = item.row
            if item.email:
                self.seen_email[item.email] = item.row
            return False
        self.duplicate(item, first)
        return True

    def duplicate(self, item: CustomerRow, first: int) -> None:
        self.report.counts["duplicate"] += 1
        message = _("Duplicate of row %(row)d: not imported twice.") % {"row": first}
        self.issue(item.row, item.cells, "", "duplicate", message)
        self.preview(item, "duplicate", message)

    def preview(self, item: CustomerRow, action: str, message: str = "") -> None:
        if self.report.wants_preview(item.row):  # most rows are not shown: skip their label
            self.report.add_preview(item.row, action, self.label(item), message)

    def label(self, item: CustomerRow) -> str:
        name = " ".join(
            p for p in (item.profile.get("given_name"), item.profile.get("family_name")) if p
        )
        return " · ".join(p for p in (name, item.email) if p)

    def process(self, batch: list[CustomerRow]) -> None:
        gc.collect(0)
        creates, updates = self.plan(batch)
        if not self.report.dry_run and (creates or updates):
            with transaction.atomic():
                self.write(creates, updates)
        if self.progress:
            self.progress(self.report)

    def plan(self, batch: list[CustomerRow]) -> tuple[list[CustomerRow], list[CustomerRow]]:
        """Match the batch to existing customers and decide what each row does."""
        counts = self.report.counts
        external_ids = [item.external_id for item in batch if item.external_id]
        # Ids first, through the unique index alone, then the matched rows by primary key: asked
        # for whole rows by external ID, SQLite scans the 1M-row table instead (its statistics
        # count the NULL external IDs), ~0.2 s per batch. Plain SQL, because the ORM's ``__in``
        # prepares each value one by one (~1 s per 100,000 rows).
        id_of_external = dict(
            bulk.select_in(Customer, ("external_id", "id"), "external_id", external_ids)
        )
        emails = [
            item.email for item in batch if item.email and item.external_id not in id_of_external
        ]
        owner: dict[str, int] = {}
        for normalized, customer_id in sorted(
            bulk.select_in(
                ContactPoint,
                ("normalized", "customer"),
                "normalized",
                emails,
                where={"kind": ContactKind.EMAIL},
            ),
            key=lambda pair: pair[1],
        ):
            owner.setdefault(normalized, customer_id)
        wanted = set(owner.values()) | set(id_of_external.values())
        by_id = Customer.objects.in_bulk(wanted) if wanted else {}
        by_external = {key: by_id[pk] for key, pk in id_of_external.items() if pk in by_id}
        self.resolve_organizations({item.organization for item in batch if item.organization})
        matched: list[CustomerRow] = []
        creates: list[CustomerRow] = []
        for item in batch:
            customer = by_external.get(item.external_id) if item.external_id else None
            if customer is None and item.email in owner:
                candidate = by_id.get(owner[item.email])
                if candidate and (
                    not item.external_id or candidate.external_id in (None, item.external_id)
                ):
                    customer = candidate
            if customer is None:
                creates.append(item)
                continue
            if customer.pk in self.seen_customer:
                self.duplicate(item, self.seen_customer[customer.pk])
                continue
            self.seen_customer[customer.pk] = item.row
            item.customer = customer
            matched.append(item)
        valid_creates = []
        for item in creates:
            missing = (
                [_("Give at least a given name or a family name.")]
                if not (item.profile.get("given_name") or item.profile.get("family_name"))
                else []
            )
            if missing:
                self.issue(item.row, item.cells, "family_name", "name_required", missing[0])
            for key in item.missing_required:
                self.issue(
                    item.row, item.cells, f"custom_fields.{key}", "required",
                    _("This field is required."),
                )  # fmt: skip
            if missing or item.missing_required:
                counts["invalid"] += 1
                self.preview(item, "invalid", self.report.issues[-1].message)
                continue
            counts["created"] += 1
            self.preview(item, "create")
            valid_creates.append(item)
        updates = self.diff(matched)
        return valid_creates, updates

    def resolve_organizations(self, names: set[str]) -> None:
        keys = {fold(name): name for name in names if fold(name) not in self.organizations}
        if not keys:
            return
        for key, org_id in Organization.objects.filter(name_key__in=keys).values_list(
            "name_key", "id"
        ):
            self.organizations.setdefault(key, org_id)
        for key in keys:
            self.organizations.setdefault(key, None)

    def diff(self, matched: list[CustomerRow]) -> list[CustomerRow]:
        """Return the matched rows that change their customer, recording the changes on each."""
        counts = self.report.counts
        if not matched:
            return []
        ids = [item.customer.pk for item in matched]
        points: dict[int, set[tuple[str, str]]] = {}
        for customer_id, kind, normalized in ContactPoint.objects.filter(
            customer_id__in=ids
        ).values_list("customer_id", "kind", "normalized"):
            points.setdefault(customer_id, set()).add((kind, normalized))
        tags: dict[int, set[str]] = {}
        if any(item.tags for item in matched):
            for customer_id, name in Customer.tags.through.objects.filter(
                customer_id__in=ids
            ).values_list("customer_id", "tag__name"):
                tags.setdefault(customer_id, set()).add(name)
        updates = []
        for item in matched:
            customer = item.customer
            changes = item.changes
            for name, value in item.profile.items():
                if value in (None, ""):
                    continue
                old = getattr(customer, name)
                if old != value:
                    changes[name] = [_text(old), _text(value)]
            if item.organization:
                org_id = self.organizations.get(fold(item.organization))
                if org_id is None or org_id != customer.organization_id:
                    changes["organization"] = [_text(customer.organization_id), item.organization]
            merged = {**customer.custom_fields, **item.custom}
            if merged != customer.custom_fields:
                changes["custom_fields"] = [_text(customer.custom_fields), _text(merged)]
            missing = [k for k in item.missing_required if k not in merged]
            if missing:
                for key in missing:
                    self.issue(item.row, item.cells, f"custom_fields.{key}", "required",
                               _("This field is required."))  # fmt: skip
                counts["invalid"] += 1
                continue
            existing = points.get(customer.pk, set())
            seen = set()
            for point in item.points:
                key = (point[0], point[3])
                if key not in existing and key not in seen:
                    seen.add(key)
                    item.new_points.append(point)
            if item.new_points:
                changes["contact_points"] = ["", ", ".join(p[2] for p in item.new_points)]
            have = tags.get(customer.pk, set())
            item.new_tags = sorted({t for t in item.tags if t not in have})
            if item.new_tags:
                changes["tags"] = ["", ", ".join(item.new_tags)]
            if changes:
                counts["updated"] += 1
                self.preview(item, "update", ", ".join(sorted(changes)))
                updates.append(item)
            else:
                counts["unchanged"] += 1
                self.preview(item, "unchanged")
        return updates

    # --- Writing -------------------------------------------------------------------------------

    def organization_id(self, name: str) -> int | None:
        if not name:
            return None
        key = fold(name)
        if self.organizations.get(key) is None:
            org = create_organization(actor=self.actor, name=name)
            self.organizations[key] = org.pk
        return self.organizations[key]

    def write(self, creates: list[CustomerRow], updates: list[CustomerRow]) -> None:
        now = timezone.now()
        at = bulk.prepare(Customer, "created_at", now)
        actor_id = self.actor.pk if getattr(self.actor, "pk", None) else None
        ids = bulk.allocate_ids(Customer, len(creates))
        empty_custom = bulk.prepare(Customer, "custom_fields", {})
        rows = []
        for pk, item in zip(ids, creates, strict=True):
            p = item.profile
            given, family = p.get("given_name", ""), p.get("family_name", "")
            birthday = p.get("birthday")
            rows.append(
                (
                    pk, p.get("external_id"), given, family, p.get("preferred_name", ""),
                    p.get("title", ""), p.get("salutation", ""),
                    p.get("form_of_address") or FormOfAddress.FORMAL, p.get("language", ""),
                    p.get("time_zone", ""), p.get("country", ""), p.get("preferred_channel", ""),
                    birthday.isoformat() if birthday else None,
                    p.get("lifecycle_stage") or LifecycleStage.LEAD,
                    self.organization_id(item.organization), p.get("is_vip", False),
                    bulk.prepare(Customer, "custom_fields", item.custom) if item.custom
                    else empty_custom,
                    self.fold(family), self.fold(given), at, at,
                )
            )  # fmt: skip
        bulk.insert_rows(Customer, CUSTOMER_COLUMNS, rows)
        points: list[tuple] = []
        tag_rows: list[tuple[int, str]] = []
        for pk, item in zip(ids, creates, strict=True):
            self.add_points(points, pk, item.points, set(), at)
            tag_rows.extend((pk, name) for name in item.tags)
        if updates:
            self.write_updates(updates, now, actor_id, points, tag_rows, at)
        bulk.insert_rows(ContactPoint, POINT_COLUMNS, points)
        if tag_rows:
            self.write_tags(tag_rows)
        record_event_for_customers(
            customer_ids=ids,
            kind=EventKind.PROFILE,
            message=message(CUSTOMER_CREATED),
            actor_id=actor_id,
            occurred_at=now,
            data={"source": "import", "import_job": self.job_id},
            source_type="customers.customer",
            source_ids=[str(pk) for pk in ids],
        )

    def fold(self, name: str) -> str:
        key = self.folded.get(name)
        if key is None:
            key = self.folded[name] = fold(name)[:100]
        return key

    def add_points(self, out: list, customer_id: int, points, primaries: set[str], at) -> None:
        seen = set()
        for kind, platform, value, normalized in points:
            if (kind, normalized) in seen:
                continue
            seen.add((kind, normalized))
            out.append(
                (customer_id, kind, platform, value, normalized, "", kind not in primaries, at)
            )
            primaries.add(kind)

    def write_updates(self, updates, now, actor_id, new_points, tag_rows, at) -> None:
        fields: set[str] = {"family_key", "given_key", "updated_at"}
        customers = []
        ids = [item.customer.pk for item in updates if item.new_points]
        primaries: dict[int, set[str]] = {}
        for customer_id, kind in ContactPoint.objects.filter(
            customer_id__in=ids, is_primary=True
        ).values_list("customer_id", "kind"):
            primaries.setdefault(customer_id, set()).add(kind)
        title = _("Profile changed")
        events: list[TimelineEvent] = []
        for item in updates:
            customer = item.customer
            for name, value in item.profile.items():
                if name in item.changes:
                    setattr(customer, name, value)
                    fields.add(name)
            if "organization" in item.changes:
                customer.organization_id = self.organization_id(item.organization)
                fields.add("organization")
            if "custom_fields" in item.changes:
                customer.custom_fields = {**customer.custom_fields, **item.custom}
                fields.add("custom_fields")
            customer.refresh_keys()
            customer.updated_at = now
            customers.append(customer)
            self.add_points(
                new_points, customer.pk, item.new_points, primaries.get(customer.pk, set()), at
            )
            tag_rows.extend((customer.pk, name) for name in item.new_tags)
            events.append(
                TimelineEvent(
                    customer_id=customer.pk, kind=EventKind.PROFILE, actor_id=actor_id,
                    title=title, body=", ".join(sorted(item.changes)), occurred_at=now,
                    created_at=now,
                    data={"changes": item.changes, "source": "import", "import_job": self.job_id},
                )
            )  # fmt: skip
        Customer.objects.bulk_update(customers, sorted(fields), batch_size=500)
        record_events_bulk(events)

    def write_tags(self, tag_rows: list[tuple[int, str]]) -> None:
        names = {name for _id, name in tag_rows if name not in self.tag_ids}
        if names:
            Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
            self.tag_ids.update(Tag.objects.filter(name__in=names).values_list("name", "id"))
        bulk.insert_rows(
            Customer.tags.through,
            ("customer", "tag"),
            [(cid, self.tag_ids[name]) for cid, name in set(tag_rows)],
            ignore_conflicts=True,
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
