"""Ingest reviews: validate, normalise the rating, match the customer, score the sentiment,
upsert by (source, external_id) and note the review in the customer's timeline.

``ingest_review`` takes one review and raises ``ValidationError`` (field -> problems) for bad
input. ``ingest_reviews`` takes many and reports each row as created, updated, unchanged or
invalid; a bad row never stops the others unless ``all_or_nothing`` asks for that.
"""

import re
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.commerce.models import Product
from rapport.customers.queries import identify_customers_by_email
from rapport.helpdesk.routing import detect_language
from rapport.imports.csvfile import parse_datetime, parse_decimal
from rapport.reviews.models import (
    SCALE_RANGES,
    KnownSource,
    Review,
    normalise_rating,
    validate_source,
)
from rapport.sentiment.scoring import LANGUAGES, analyze
from rapport.timeline.actions import record_event
from rapport.timeline.messages import label, message
from rapport.timeline.models import EventKind

#: The keys a review's data may have; anything else is an error, never silently dropped.
FIELDS = (
    "external_id",
    "rating",
    "scale",
    "title",
    "text",
    "author_name",
    "author_email",
    "reviewed_at",
    "language",
    "product_sku",
)
MAX_LENGTHS = {
    "external_id": 200,
    "title": 300,
    "text": 20_000,
    "author_name": 200,
    "author_email": 254,
    "product_sku": 64,
}
# "8/10" or "8 / 10": a rating written with its scale.
RATING_WITH_SCALE = re.compile(r"^\s*([^/]+?)\s*/\s*(\d+)\s*$")
LANGUAGE_RE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
# Clocks differ and sites stamp in their own zone: a day ahead is still believable.
FUTURE_SLACK = timedelta(days=1)
TIMELINE_BODY_CHARS = 2000
# Rows stored per transaction, and values per IN (...) lookup.
CHUNK = 200
# Fields whose change is a new version of the review (and a new timeline event).
CONTENT_FIELDS = (
    "rating",
    "original_rating",
    "original_scale",
    "title",
    "text",
    "author_name",
    "author_email",
    "reviewed_at",
    "language",
    "product_id",
)
DERIVED_FIELDS = ("customer_id", "sentiment", "sentiment_score", "sentiment_phrases")


class Outcome(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    UNCHANGED = "unchanged", _("unchanged")
    INVALID = "invalid", _("invalid")


@dataclass
class CleanReview:
    """A review's data after validation: ready to be stored."""

    source: str
    external_id: str
    rating: Decimal | None
    original_rating: Decimal | None
    original_scale: int | None
    title: str
    text: str
    author_name: str
    author_email: str
    reviewed_at: datetime | None
    language: str
    product: Product | None


@dataclass
class Ingested:
    """What happened to one review: its outcome, the stored review, or why it was refused."""

    index: int
    outcome: str
    review: Review | None = None
    errors: dict[str, list[ValidationError]] = field(default_factory=dict)


# --- Validation ----------------------------------------------------------------------------


def clean_scale(value: Any) -> int | None:
    """Return the scale 5, 10 or 100 (None if not given); raise ``ValidationError`` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = parse_decimal(str(value)) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    # "10" and "10.0" (as spreadsheets write whole numbers) are the same scale.
    scale = int(number) if number is not None and number == int(number) else None
    if scale not in SCALE_RANGES:
        raise ValidationError(
            _("“%(value)s” is not a known scale; use 5, 10 or 100.") % {"value": value},
            code="unknown_scale",
        )
    return scale


def clean_review(
    *,
    source: str,
    data: Mapping[str, Any],
    scale: int | None = None,
    products: Mapping[str, Product] | None = None,
) -> CleanReview:
    """Return ``data`` validated and normalised; raise ``ValidationError`` naming each bad field.

    ``scale`` is the scale of the whole call; a row may name its own (``data["scale"]``, or
    a rating written as "8/10") but not a different one. ``products`` maps SKUs already
    looked up (batches); other SKUs are looked up here.
    """
    errors: dict[str, list[ValidationError]] = {}

    def fail(name: str, text: str, code: str) -> None:
        errors.setdefault(name, []).append(ValidationError(text, code=code))

    for name in sorted(set(data) - set(FIELDS)):
        fail(name, _("This field is not known."), "unknown_field")
    values = {name: _text(data.get(name)) for name in MAX_LENGTHS}
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            fail(name, _("This is too long (at most %(max)s).") % {"max": limit}, "too_long")
    if not values["external_id"]:
        fail("external_id", _("Give the review's ID at the source."), "required")

    rating, row_scale = _split_rating(data.get("rating"))
    try:
        row_scale = _same_scale(clean_scale(data.get("scale")), row_scale)
        effective_scale = _same_scale(scale, row_scale)
    except ValidationError as exc:
        errors.setdefault("scale", []).append(exc)
        effective_scale = None
    normalised = None
    if isinstance(rating, ValidationError):
        errors.setdefault("rating", []).append(rating)
        rating = None
    elif rating is not None and "scale" not in errors:
        if effective_scale is None:
            fail("scale", _("Give the rating's scale: 5, 10 or 100."), "scale_required")
        else:
            low, high = SCALE_RANGES[effective_scale]
            if not low <= rating <= high:
                fail(
                    "rating",
                    _("%(value)s is outside the scale %(low)s to %(high)s.")
                    % {"value": rating, "low": low, "high": high},
                    "out_of_range",
                )
            elif rating.as_tuple().exponent < -2:
                fail("rating", _("Give the rating with at most two decimals."), "too_precise")
            else:
                normalised = normalise_rating(rating, effective_scale)
    if rating is None and "rating" not in errors and not values["text"]:
        fail("text", _("A review needs a text, a rating or both."), "required")

    if values["author_email"]:
        try:
            validate_email(values["author_email"])
        except ValidationError:
            fail("author_email", _("This is not a valid email address."), "invalid_email")

    reviewed_at = _clean_date(data.get("reviewed_at"))
    if isinstance(reviewed_at, ValidationError):
        errors.setdefault("reviewed_at", []).append(reviewed_at)
        reviewed_at = None

    language = _text(data.get("language"))
    match = LANGUAGE_RE.match(language)
    if language and not match:
        fail("language", _("Give the language as a code such as “de” or “en”."), "invalid")
    language = match.group(1).lower() if match else ""

    product = None
    sku = values["product_sku"]
    if sku and "product_sku" not in errors:
        product = (products or {}).get(sku) or Product.objects.filter(sku=sku).first()
        if product is None:
            fail("product_sku", _("No product has the SKU “%(sku)s”.") % {"sku": sku}, "unknown")

    if errors:
        raise ValidationError(errors)
    return CleanReview(
        source=source,
        external_id=values["external_id"],
        rating=normalised,
        original_rating=rating,
        original_scale=effective_scale if rating is not None else None,
        title=values["title"],
        text=values["text"],
        author_name=values["author_name"],
        author_email=values["author_email"],
        reviewed_at=reviewed_at,
        language=language,
        product=product,
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _same_scale(first: int | None, second: int | None) -> int | None:
    if first and second and first != second:
        raise ValidationError(
            _("The rating is given on a scale of %(row)s but the import says %(call)s.")
            % {"row": second, "call": first},
            code="inconsistent_scale",
        )
    return first or second


def _split_rating(value: Any) -> tuple[Decimal | ValidationError | None, int | None]:
    """Return the rating as a Decimal and the scale written with it ("8/10"), if any."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    not_a_number = ValidationError(
        _("“%(value)s” is not a number.") % {"value": value}, code="not_a_number"
    )
    if isinstance(value, bool):
        return not_a_number, None
    if isinstance(value, int | Decimal | float):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return not_a_number, None
        return (number if number.is_finite() else not_a_number), None
    text = str(value)
    scale = None
    match = RATING_WITH_SCALE.match(text)
    if match:
        text = match.group(1)
        try:
            scale = clean_scale(match.group(2))
        except ValidationError as exc:
            return exc, None
    try:
        return parse_decimal(text), scale
    except ValueError:
        return not_a_number, None


def _clean_date(value: Any) -> datetime | ValidationError | None:
    """Return the moment of the review as an aware datetime (naive values: local time)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    bad = ValidationError(
        _("“%(value)s” is not a date; write 2024-05-31, 31.05.2024 or 2024-05-31T14:30:00Z.")
        % {"value": value},
        code="bad_date",
    )
    if isinstance(value, str):
        try:
            value = parse_datetime(value)
        except (ValueError, IndexError):
            return bad
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - made aware below
    if not isinstance(value, datetime):
        return bad
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + FUTURE_SLACK:
        return ValidationError(_("The date lies in the future."), code="bad_date")
    return value


# --- Ingesting -----------------------------------------------------------------------------


def ingest_review(
    *, source: str, data: Mapping[str, Any], scale: int | None = None, actor=None
) -> Ingested:
    """Create or update the review ``data`` from ``source``; raise ``ValidationError`` if bad."""
    try:
        results = ingest_reviews(
            source=source, rows=[data], scale=scale, actor=actor, all_or_nothing=True
        )
    except ValidationError as exc:
        # One review: name its fields without the batch's "0." prefix.
        raise ValidationError(
            {name.removeprefix("0."): problems for name, problems in exc.error_dict.items()}
        ) from None
    return results[0]


def ingest_reviews(
    *,
    source: str,
    rows: Iterable[Mapping[str, Any]],
    scale: int | str | None = None,
    actor=None,
    dry_run: bool = False,
    all_or_nothing: bool = False,
) -> list[Ingested]:
    """Create or update many reviews from ``source``; return what happened to each, in order.

    A bad ``source`` or ``scale`` refuses the whole call (``ValidationError``). Bad rows are
    reported as invalid and the good ones stored, unless ``all_or_nothing``: then one bad row
    raises ``ValidationError`` with fields named "<index>.<field>" and nothing is stored.
    ``dry_run`` reports what would happen and stores nothing.
    """
    try:
        validate_source(source)
    except ValidationError as exc:
        raise ValidationError({"source": [exc]}) from None
    try:
        call_scale = clean_scale(scale)
    except ValidationError as exc:
        raise ValidationError({"scale": [exc]}) from None
    rows = list(rows)
    skus = sorted({_text(row.get("product_sku")) for row in rows} - {""})
    products: dict[str, Product] = {}
    for start in range(0, len(skus), CHUNK):
        chunk = skus[start : start + CHUNK]
        products.update((p.sku, p) for p in Product.objects.filter(sku__in=chunk))

    results: list[Ingested] = []
    cleaned: list[tuple[Ingested, CleanReview]] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        try:
            review = clean_review(source=source, data=row, scale=call_scale, products=products)
            if review.external_id in seen:
                raise ValidationError(
                    {
                        "external_id": [
                            ValidationError(
                                _("This ID appears earlier in the same file or batch."),
                                code="duplicate",
                            )
                        ]
                    }
                )
            seen.add(review.external_id)
        except ValidationError as exc:
            results.append(Ingested(index=index, outcome=Outcome.INVALID, errors=exc.error_dict))
        else:
            result = Ingested(index=index, outcome="")
            results.append(result)
            cleaned.append((result, review))
    if all_or_nothing and any(r.outcome == Outcome.INVALID for r in results):
        raise ValidationError(
            {f"{r.index}.{name}": problems for r in results for name, problems in r.errors.items()}
        )

    # A dry run and an all-or-nothing batch are one transaction; a long import commits in
    # chunks so that it does not hold the database's write lock for minutes.
    with transaction.atomic() if dry_run or all_or_nothing else nullcontext():
        for start in range(0, len(cleaned), CHUNK):
            _store_chunk(cleaned[start : start + CHUNK], actor)
        if dry_run:
            transaction.set_rollback(True)
    return results


def _store_chunk(chunk: list[tuple["Ingested", CleanReview]], actor) -> None:
    customers = identify_customers_by_email([c.author_email for _r, c in chunk if c.author_email])
    with transaction.atomic():
        for result, review in chunk:
            result.outcome, result.review = _upsert(
                review, customers.get(review.author_email), actor
            )


def _upsert(review: CleanReview, customer, actor) -> tuple[str, Review]:
    """Store one clean review: create it, update it, or leave it as it is."""
    values = _stored_values(review, customer)
    lookup = {"source": review.source, "external_id": review.external_id}
    with transaction.atomic():
        existing = Review.objects.select_for_update().filter(**lookup).first()
        if existing is None:
            try:
                with transaction.atomic():
                    created = Review.objects.create(
                        **lookup,
                        **values,
                        reviewed_at=review.reviewed_at or timezone.now(),
                    )
            except IntegrityError:
                # Stored by someone else a moment ago: update theirs instead.
                existing = Review.objects.select_for_update().get(**lookup)
            else:
                _record_in_timeline(created, customer, actor)
                return Outcome.CREATED, created
        if review.reviewed_at is not None:
            values["reviewed_at"] = review.reviewed_at
        changed = [name for name, value in values.items() if getattr(existing, name) != value]
        if not changed:
            return Outcome.UNCHANGED, existing
        for name in changed:
            setattr(existing, name, values[name])
        if any(name in CONTENT_FIELDS for name in changed):
            existing.revision += 1
            changed.append("revision")
        existing.save(update_fields=[*changed, "updated_at"])
        _record_in_timeline(existing, customer, actor)
        return Outcome.UPDATED, existing


def _stored_values(review: CleanReview, customer) -> dict[str, Any]:
    """Return the review's fields as stored, with language, sentiment and customer decided."""
    words = "\n".join(part for part in (review.title, review.text) if part)
    language = review.language or (detect_language(words)[0] if words else "")
    sentiment, score, phrases = "", None, []
    if words and (not language or language in LANGUAGES):
        result = analyze(words, language=language)
        sentiment, score = result.label, result.score
        phrases = [{"text": p.text, "weight": p.weight} for p in result.phrases]
    return {
        "rating": review.rating,
        "original_rating": review.original_rating,
        "original_scale": review.original_scale,
        "title": review.title,
        "text": review.text,
        "author_name": review.author_name,
        "author_email": review.author_email,
        "language": language,
        "product_id": review.product.pk if review.product else None,
        "customer_id": customer.pk if customer else None,
        "sentiment": sentiment,
        "sentiment_score": score,
        "sentiment_phrases": phrases,
    }


def _record_in_timeline(review: Review, customer, actor) -> None:
    """Show the review (this version of it) in its customer's timeline, once."""
    if customer is None:
        return
    changed = review.revision > 1
    source = label(KnownSource, review.source)
    if review.rating is not None:
        text = (
            gettext_noop("Review on %(source)s changed: %(rating)s of 5")
            if changed
            else gettext_noop("Review on %(source)s: %(rating)s of 5")
        )
        title = message(text, source=source, rating=str(review.rating))
    else:
        text = (
            gettext_noop("Review on %(source)s changed (no rating)")
            if changed
            else gettext_noop("Review on %(source)s (no rating)")
        )
        title = message(text, source=source)
    body = "\n\n".join(part for part in (review.title, review.text) if part)
    if len(body) > TIMELINE_BODY_CHARS:
        body = body[: TIMELINE_BODY_CHARS - 1] + "…"
    record_event(
        customer=customer,
        kind=EventKind.ACTIVITY,
        message=title,
        body=body,
        actor=actor,
        occurred_at=review.reviewed_at,
        data={
            "review": review.pk,
            "source": review.source,
            "rating": str(review.rating) if review.rating is not None else None,
            "sentiment": review.sentiment,
        },
        source=review,
        dedupe_key=f"review:{review.pk}:{review.revision}:{review.customer_id}",
    )


# --- CSV import ----------------------------------------------------------------------------


@dataclass
class RowReport:
    """One row of an imported file: its number (the header is row 1), outcome and reasons."""

    row: int
    outcome: str
    external_id: str = ""
    review_id: int | None = None
    messages: list[str] = field(default_factory=list)

    def get_outcome_display(self) -> str:
        return str(Outcome(self.outcome).label)


@dataclass
class ImportReport:
    """What an import of a file did (or, in a dry run, would do), row by row."""

    source: str
    dry_run: bool
    encoding: str
    delimiter: str
    ignored_columns: list[str]
    rows: list[RowReport]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(Outcome.values, 0)
        for row in self.rows:
            counts[row.outcome] += 1
        return counts

    @property
    def has_problems(self) -> bool:
        return any(row.outcome == Outcome.INVALID for row in self.rows)


def import_review_file(
    *,
    data: bytes,
    source: str,
    scale: int | str | None = None,
    actor=None,
    dry_run: bool = False,
) -> ImportReport:
    """Import a CSV file of reviews from ``source``; return the report of every row.

    Raise ``FileError`` if the file cannot be read at all and ``ValidationError`` for a bad
    ``source`` or ``scale``. Invalid rows are reported and the others imported.
    """
    from rapport.reviews.importing import read_review_file

    review_file = read_review_file(data)
    results = ingest_reviews(
        source=source,
        rows=[cells for _number, cells in review_file.rows],
        scale=scale,
        actor=actor,
        dry_run=dry_run,
    )
    reports = [
        RowReport(row=number, outcome=Outcome.INVALID, messages=[message_])
        for number, message_ in review_file.broken_rows.items()
    ]
    for (number, cells), result in zip(review_file.rows, results, strict=True):
        messages = [
            f"{review_file.columns.get(name, name)}: {' '.join(problem.messages)}"
            for name, problems in result.errors.items()
            for problem in problems
        ]
        reports.append(
            RowReport(
                row=number,
                outcome=result.outcome,
                external_id=cells.get("external_id", "").strip(),
                review_id=result.review.pk if result.review and not dry_run else None,
                messages=messages,
            )
        )
    reports.sort(key=lambda report: report.row)
    return ImportReport(
        source=source,
        dry_run=dry_run,
        encoding=review_file.encoding,
        delimiter=review_file.delimiter,
        ignored_columns=review_file.ignored_columns,
        rows=reports,
    )
