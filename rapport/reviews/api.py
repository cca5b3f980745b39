"""REST endpoints for reviews: ingest one or many, list with filters, read one.

``POST /reviews`` takes one review (an object with ``source`` and the review's fields) or a
batch (``{"source": ..., "scale": ..., "reviews": [...]}``; the API's bodies are always JSON
objects). A batch is all or nothing: one bad review refuses the request, naming its fields
as ``reviews.<index>.<field>``, and nothing is stored.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import pydantic
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError as NinjaValidationError

from rapport.accounts.api_idempotency import run_idempotent
from rapport.api import (
    IdempotencyKeyHeader,
    InputSchema,
    JsonObjectParser,
    Limit,
    Page,
    Timestamp,
    page_response,
)
from rapport.reviews import actions
from rapport.reviews.actions import Outcome
from rapport.reviews.models import Review
from rapport.reviews.queries import can_import_reviews, filter_reviews, visible_reviews

router = Router(tags=["reviews"])

MAX_BATCH = 500
ScaleValue = Literal[5, 10, 100]
SentimentName = Literal["positive", "neutral", "negative", "none"]
RatingFilter = Annotated[Decimal | None, Query(ge=1, le=5, description="Normalised, 1-5")]


# --- Schemas --------------------------------------------------------------------------------


class ReviewIn(InputSchema):
    external_id: str = Field(max_length=200, description="The review's id at the source")
    rating: Decimal | None = Field(
        None, description="As given on its scale; may be left out if there is a text"
    )
    scale: ScaleValue | None = Field(
        None, description="5 (1-5), 10 (0-10) or 100 (0-100); required with a rating"
    )
    title: str = Field("", max_length=300)
    text: str = Field("", max_length=20_000)
    author_name: str = Field("", max_length=200)
    author_email: str = Field("", max_length=254, description="Matches the review to a customer")
    reviewed_at: datetime | None = Field(None, description="With a time zone; default: now")
    language: str = Field("", max_length=35, description="Default: detected from the text")
    product_sku: str = Field("", max_length=64)


class OneReviewIn(ReviewIn):
    source: str = Field(max_length=40, description="A slug such as trustpilot or app-store")


class ReviewBatchIn(InputSchema):
    source: str = Field(max_length=40)
    scale: ScaleValue | None = Field(None, description="The scale of every review in the batch")
    reviews: list[ReviewIn] = Field(min_length=1, max_length=MAX_BATCH)


class PhraseOut(Schema):
    text: str
    weight: float


class ReviewOut(Schema):
    id: int
    source: str
    source_name: str
    external_id: str
    rating: str | None = Field(description="Normalised to 1-5, one decimal")
    original_rating: str | None
    original_scale: int | None
    title: str
    text: str
    author_name: str
    author_email: str
    reviewed_at: Timestamp
    language: str
    product_sku: str | None
    customer_id: int | None
    sentiment: str = Field(description="positive, neutral, negative, or empty: not scored")
    sentiment_score: float | None
    sentiment_phrases: list[PhraseOut]
    created_at: Timestamp
    updated_at: Timestamp


class ResultOut(Schema):
    outcome: Literal["created", "updated", "unchanged"]
    review: ReviewOut


class BatchOut(Schema):
    results: list[ResultOut]
    counts: dict[str, int]


def review_out(review: Review) -> ReviewOut:
    return ReviewOut(
        id=review.pk,
        source=review.source,
        source_name=review.source_label,
        external_id=review.external_id,
        rating=None if review.rating is None else str(review.rating),
        original_rating=None if review.original_rating is None else str(review.original_rating),
        original_scale=review.original_scale,
        title=review.title,
        text=review.text,
        author_name=review.author_name,
        author_email=review.author_email,
        reviewed_at=review.reviewed_at,
        language=review.language,
        product_sku=review.product.sku if review.product_id else None,
        customer_id=review.customer_id,
        sentiment=review.sentiment,
        sentiment_score=review.sentiment_score,
        sentiment_phrases=[PhraseOut(**phrase) for phrase in review.sentiment_phrases],
        created_at=review.created_at,
        updated_at=review.updated_at,
    )


def _body_schema() -> dict[str, Any]:
    one = OneReviewIn.model_json_schema()
    batch = ReviewBatchIn.model_json_schema()
    batch.pop("$defs", None)
    batch["properties"]["reviews"]["items"] = ReviewIn.model_json_schema()
    return {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": [one, batch]}}},
    }


# --- Helpers --------------------------------------------------------------------------------


def _parse(data: dict[str, Any], schema: type[InputSchema]) -> Any:
    """Validate the JSON body against ``schema``; report problems as the API's field errors."""
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise NinjaValidationError(errors) from None


def _require_aware(reviews: list[ReviewIn], prefix: str) -> None:
    for index, review in enumerate(reviews):
        if review.reviewed_at is not None and timezone.is_naive(review.reviewed_at):
            name = f"{prefix}{index}.reviewed_at" if prefix else "reviewed_at"
            raise ValidationError(
                {
                    name: [
                        ValidationError(_("Give the time with a time zone."), code="naive_datetime")
                    ]
                }
            )


def _row(review: ReviewIn) -> dict[str, Any]:
    return review.model_dump(exclude_unset=True)


def _load(qs):
    return qs.select_related("product")


# --- Endpoints ------------------------------------------------------------------------------


@router.post(
    "/reviews",
    response={200: ReviewOut | BatchOut, 201: ReviewOut},
    openapi_extra={"requestBody": _body_schema()},
)
def post_reviews(request, idempotency_key: IdempotencyKeyHeader = None):
    """Create or update one review (201 when new, 200 otherwise) or a batch (200, all or
    nothing). Reviews are matched by ``source`` and ``external_id``: sending one again updates
    it."""
    if not can_import_reviews(request.auth):
        raise PermissionDenied
    data = JsonObjectParser().parse_body(request)

    if "reviews" in data:
        batch = _parse(data, ReviewBatchIn)
        _require_aware(batch.reviews, "reviews.")

        def run():
            try:
                results = actions.ingest_reviews(
                    source=batch.source,
                    rows=[_row(r) for r in batch.reviews],
                    scale=batch.scale,
                    actor=request.auth,
                    all_or_nothing=True,
                )
            except ValidationError as exc:
                raise ValidationError(
                    {
                        name if name in ("source", "scale") else f"reviews.{name}": problems
                        for name, problems in exc.error_dict.items()
                    }
                ) from None
            reviews = _load(Review.objects.filter(pk__in=[r.review.pk for r in results])).in_bulk()
            body = BatchOut(
                results=[
                    ResultOut(outcome=r.outcome, review=review_out(reviews[r.review.pk]))
                    for r in results
                ],
                counts={
                    name: sum(r.outcome == name for r in results)
                    for name in (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED)
                },
            )
            return 200, body.model_dump(mode="json")

        return run_idempotent(request, idempotency_key, run)

    one = _parse(data, OneReviewIn)
    _require_aware([one], "")

    def run_one():
        row = _row(one)
        source = row.pop("source")
        result = actions.ingest_review(source=source, data=row, actor=request.auth)
        review = _load(Review.objects.filter(pk=result.review.pk)).get()
        status = 201 if result.outcome == Outcome.CREATED else 200
        return status, review_out(review).model_dump(mode="json")

    return run_idempotent(request, idempotency_key, run_one)


@router.get("/reviews", response=Page[ReviewOut])
def list_reviews(
    request,
    source: str | None = Query(None, max_length=40),
    rating_min: RatingFilter = None,
    rating_max: RatingFilter = None,
    sentiment: Annotated[SentimentName | None, Query(description="none: not scored")] = None,
    customer: int | None = None,
    cursor: str | None = Query(None, max_length=1000),
    limit: Limit = 25,
):
    """List reviews, newest first; pass ``next_cursor`` as ``cursor`` for the next page."""
    qs = filter_reviews(
        visible_reviews(request.auth),
        source=source or "",
        rating_min=rating_min,
        rating_max=rating_max,
        sentiment=sentiment or "",
        customer_id=customer,
    )
    return page_response(
        _load(qs), ("-reviewed_at", "-id"), cursor=cursor, limit=limit, serialize=review_out
    )


@router.get("/reviews/{review_id}", response=ReviewOut)
def get_review(request, review_id: int):
    review = _load(visible_reviews(request.auth)).filter(pk=review_id).first()
    if review is None:
        raise Http404
    return review_out(review)
