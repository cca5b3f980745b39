"""Ingesting reviews: validation, scales, upserts, customer matching, sentiment, timeline."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.reviews.actions import Outcome, ingest_review, ingest_reviews
from rapport.reviews.models import Review, normalise_rating
from rapport.timeline.models import EventKind, TimelineEvent

pytestmark = pytest.mark.django_db

GOOD_EN = "Great service, the parcel arrived quickly and the staff was friendly."
BAD_DE = "Die Lieferung kam viel zu spät und die Tasse war beschädigt. Sehr enttäuschend."


def review(**fields):
    data = {"external_id": "r-1", "rating": 4, "scale": 5, "text": GOOD_EN}
    data.update(fields)
    return data


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {name: [e.code for e in problems] for name, problems in exc.error_dict.items()}


# --- Scales -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [
        (4, 5, "4.0"),
        (1, 5, "1.0"),
        (5, 5, "5.0"),
        (Decimal("4.5"), 5, "4.5"),
        (8, 10, "4.2"),
        (0, 10, "1.0"),
        (10, 10, "5.0"),
        (75, 100, "4.0"),
        (0, 100, "1.0"),
        (100, 100, "5.0"),
        (33, 100, "2.3"),
    ],
)
def test_rating_is_mapped_linearly_from_the_scale_onto_one_to_five(value, scale, expected):
    assert normalise_rating(Decimal(value), scale) == Decimal(expected)


def test_rating_keeps_the_original_value_and_scale():
    result = ingest_review(source="trustpilot", data=review(rating=8, scale=10))
    stored = Review.objects.get(pk=result.review.pk)
    assert stored.rating == Decimal("4.2")
    assert stored.original_rating == Decimal("8")
    assert stored.original_scale == 10


def test_rating_written_with_its_scale_is_understood():
    result = ingest_review(source="google", data=review(rating="75/100", scale=None))
    assert result.review.rating == Decimal("4.0")
    assert result.review.original_scale == 100


def test_rating_with_a_decimal_comma_is_understood():
    result = ingest_review(source="shop", data=review(rating="4,5"))
    assert result.review.rating == Decimal("4.5")


def test_call_scale_applies_to_rows_without_one():
    results = ingest_reviews(source="shop", rows=[review(scale=None, rating=80)], scale=100)
    assert results[0].review.rating == Decimal("4.2")


# --- Bad input --------------------------------------------------------------------------------


def test_review_without_text_and_rating_is_refused():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(rating=None, text="  "))
    assert codes(exc.value) == {"text": ["required"]}
    assert not Review.objects.exists()


def test_review_with_text_and_no_rating_is_stored_without_rating():
    result = ingest_review(source="shop", data=review(rating=None, scale=None))
    assert result.outcome == Outcome.CREATED
    assert result.review.rating is None
    assert result.review.original_scale is None


def test_rating_that_is_not_a_number_is_refused():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(rating="four"))
    assert codes(exc.value) == {"rating": ["not_a_number"]}


def test_rating_outside_the_scale_is_refused():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(rating=6, scale=5))
    assert codes(exc.value) == {"rating": ["out_of_range"]}


def test_zero_stars_is_outside_the_five_point_scale():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(rating=0, scale=5))
    assert codes(exc.value) == {"rating": ["out_of_range"]}


def test_unknown_scale_is_refused():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(scale=7))
    assert codes(exc.value) == {"scale": ["unknown_scale"]}


def test_row_scale_that_contradicts_the_call_scale_is_refused():
    results = ingest_reviews(source="shop", rows=[review(rating=8, scale=10)], scale=5)
    assert results[0].outcome == Outcome.INVALID
    assert [e.code for e in results[0].errors["scale"]] == ["inconsistent_scale"]


def test_rating_without_any_scale_is_refused():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(scale=None))
    assert codes(exc.value) == {"scale": ["scale_required"]}


def test_bad_date_is_refused():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(reviewed_at="31.02.2024"))
    assert codes(exc.value) == {"reviewed_at": ["bad_date"]}


def test_date_in_the_future_is_refused():
    future = timezone.now() + timedelta(days=3)
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(reviewed_at=future))
    assert codes(exc.value) == {"reviewed_at": ["bad_date"]}


@pytest.mark.parametrize("source", ["Trust Pilot", "träger", "", "-shop", "a" * 41, "shop/1"])
def test_source_name_with_other_characters_is_refused(source):
    with pytest.raises(ValidationError) as exc:
        ingest_review(source=source, data=review())
    assert codes(exc.value) == {"source": ["invalid_source"]}


def test_missing_external_id_is_refused():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(external_id=""))
    assert codes(exc.value) == {"external_id": ["required"]}


def test_unknown_field_is_refused_not_dropped():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(stars=5))
    assert codes(exc.value) == {"stars": ["unknown_field"]}


def test_unknown_product_sku_is_refused():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(product_sku="NOPE"))
    assert codes(exc.value) == {"product_sku": ["unknown"]}


def test_invalid_author_email_is_refused():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(author_email="not-an-address"))
    assert codes(exc.value) == {"author_email": ["invalid_email"]}


def test_batch_stores_the_good_rows_and_reports_the_bad_ones():
    results = ingest_reviews(
        source="shop",
        rows=[
            review(external_id="a"),
            review(external_id="b", rating="x"),
            review(external_id="c"),
        ],
    )
    assert [r.outcome for r in results] == ["created", "invalid", "created"]
    assert set(Review.objects.values_list("external_id", flat=True)) == {"a", "c"}


def test_all_or_nothing_batch_stores_nothing_when_one_row_is_bad():
    with pytest.raises(ValidationError) as exc:
        ingest_reviews(
            source="shop",
            rows=[review(external_id="a"), review(external_id="b", rating=9)],
            all_or_nothing=True,
        )
    assert codes(exc.value) == {"1.rating": ["out_of_range"]}
    assert not Review.objects.exists()


def test_dry_run_reports_outcomes_and_stores_nothing():
    results = ingest_reviews(source="shop", rows=[review()], dry_run=True)
    assert results[0].outcome == Outcome.CREATED
    assert not Review.objects.exists()


# --- Upsert -----------------------------------------------------------------------------------


def test_ingesting_the_same_review_again_leaves_it_unchanged():
    first = ingest_review(source="shop", data=review())
    second = ingest_review(source="shop", data=review())
    assert second.outcome == Outcome.UNCHANGED
    assert second.review.pk == first.review.pk
    assert Review.objects.count() == 1


def test_ingesting_a_changed_review_updates_it_in_place():
    first = ingest_review(source="shop", data=review())
    second = ingest_review(source="shop", data=review(rating=2, text=BAD_DE))
    assert second.outcome == Outcome.UPDATED
    stored = Review.objects.get()
    assert stored.pk == first.review.pk
    assert stored.rating == Decimal("2.0")
    assert stored.revision == 2


def test_same_external_id_on_another_source_is_another_review():
    ingest_review(source="shop", data=review())
    ingest_review(source="google", data=review())
    assert Review.objects.count() == 2


def test_review_without_date_keeps_its_first_date_on_reimport():
    first = ingest_review(source="shop", data=review())
    again = ingest_review(source="shop", data=review())
    assert again.review.reviewed_at == first.review.reviewed_at


def test_given_date_is_stored_in_the_installations_time_zone_when_naive():
    result = ingest_review(source="shop", data=review(reviewed_at="31.05.2024 14:30"))
    local = timezone.localtime(result.review.reviewed_at)
    assert (local.year, local.month, local.day, local.hour, local.minute) == (2024, 5, 31, 14, 30)


def test_product_is_linked_by_sku(product):
    result = ingest_review(source="shop", data=review(product_sku="MUG-1"))
    assert result.review.product == product


# --- Customers and timeline -------------------------------------------------------------------


def test_review_is_matched_to_the_customer_by_email(cast):
    result = ingest_review(source="trustpilot", data=review(author_email="ANNA@example.org"))
    assert result.review.customer == cast.customer


def test_review_from_an_unknown_address_has_no_customer(cast):
    result = ingest_review(source="trustpilot", data=review(author_email="x@example.net"))
    assert result.review.customer is None
    assert not TimelineEvent.objects.exists()


def test_batch_matches_each_review_to_its_customer(cast):
    results = ingest_reviews(
        source="shop",
        rows=[
            review(external_id="a", author_email="anna@example.org"),
            review(external_id="b", author_email="ben@example.org"),
        ],
    )
    assert [r.review.customer for r in results] == [cast.customer, cast.other_customer]


def test_matched_review_appears_once_in_the_customers_timeline(cast):
    data = review(author_email="anna@example.org", reviewed_at="2024-05-31T10:00:00Z")
    ingest_review(source="trustpilot", data=data, actor=cast.manager)
    ingest_review(source="trustpilot", data=data)
    event = TimelineEvent.objects.get(customer=cast.customer)
    assert event.kind == EventKind.ACTIVITY
    assert event.display_title == "Review on Trustpilot: 4.0 of 5"
    assert GOOD_EN in event.body
    assert event.occurred_at.isoformat() == "2024-05-31T10:00:00+00:00"
    assert event.source_type == "reviews.review"


def test_changed_review_adds_a_timeline_event_for_the_new_version(cast):
    ingest_review(source="shop", data=review(author_email="anna@example.org"))
    ingest_review(source="shop", data=review(author_email="anna@example.org", rating=1))
    titles = sorted(e.display_title for e in TimelineEvent.objects.filter(customer=cast.customer))
    assert titles == ["Review on our shop changed: 1.0 of 5", "Review on our shop: 4.0 of 5"]


def test_review_matched_later_reaches_the_customers_timeline(cast):
    ingest_review(source="shop", data=review(author_email="carla@example.org"))
    from rapport.customers.models import ContactKind, ContactPoint

    ContactPoint.objects.create(
        customer=cast.other_customer,
        kind=ContactKind.EMAIL,
        value="carla@example.org",
        normalized="carla@example.org",
    )
    result = ingest_review(source="shop", data=review(author_email="carla@example.org"))
    assert result.outcome == Outcome.UPDATED
    assert result.review.customer == cast.other_customer
    assert TimelineEvent.objects.filter(customer=cast.other_customer).count() == 1


# --- Language and sentiment -------------------------------------------------------------------


def test_language_is_detected_when_not_given():
    result = ingest_review(source="shop", data=review(text=BAD_DE))
    assert result.review.language == "de"


def test_given_language_is_kept_as_its_primary_code():
    result = ingest_review(source="shop", data=review(language="en-GB"))
    assert result.review.language == "en"


def test_bad_language_code_is_refused():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(language="Deutsch!"))
    assert codes(exc.value) == {"language": ["invalid"]}


def test_sentiment_is_stored_with_the_phrases_that_carried_it():
    result = ingest_review(source="shop", data=review(rating=1, text=BAD_DE))
    stored = Review.objects.get(pk=result.review.pk)
    assert stored.sentiment == "negative"
    assert stored.sentiment_score < 0
    texts = [p["text"].lower() for p in stored.negative_phrases]
    assert "beschädigt" in texts


def test_positive_text_is_scored_positive():
    result = ingest_review(source="shop", data=review())
    assert result.review.sentiment == "positive"
    assert result.review.positive_phrases


def test_review_without_words_is_not_scored():
    result = ingest_review(source="shop", data=review(text=""))
    assert result.review.sentiment == ""
    assert result.review.sentiment_score is None


def test_text_in_a_language_the_scorer_does_not_know_is_not_scored():
    result = ingest_review(
        source="shop", data=review(text="Très bon service, livraison rapide.", language="fr")
    )
    assert result.review.sentiment == ""


def test_scale_written_as_a_decimal_whole_number_is_understood():
    result = ingest_review(source="shop", data=review(rating="8", scale="10.0"))
    assert result.review.original_scale == 10


def test_rating_with_more_than_two_decimals_is_refused():
    with pytest.raises(ValidationError) as exc:
        ingest_review(source="shop", data=review(rating="4.125"))
    assert codes(exc.value) == {"rating": ["too_precise"]}
