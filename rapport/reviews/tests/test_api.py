"""The reviews API: ingest one or a batch, list with filters and cursors, read one."""

import json

import pytest

from rapport.accounts.actions import create_api_token
from rapport.reviews.actions import ingest_review
from rapport.reviews.models import Review

URL = "/api/v1/reviews"
GOOD = "Great service, the parcel arrived quickly and the staff was friendly."


@pytest.fixture
def manager_token(cast):
    return create_api_token(user=cast.manager, name="t")[1]


@pytest.fixture
def api(client, manager_token):
    """Call the API as a manager."""

    def call(method, url, body=None, token=None, raw=None, **headers):
        headers = {"Authorization": f"Bearer {token or manager_token}", **headers}
        kwargs = {"headers": headers}
        if body is not None or raw is not None:
            kwargs["data"] = raw if raw is not None else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method)(url, **kwargs)

    return call


def one(**fields):
    body = {"source": "trustpilot", "external_id": "r-1", "rating": 8, "scale": 10, "text": GOOD}
    body.update(fields)
    return body


def stored(external_id="r-1", **fields):
    data = {"external_id": external_id, "rating": 4, "scale": 5, "text": GOOD}
    data.update(fields)
    return ingest_review(source=data.pop("source", "shop"), data=data).review


def test_posting_a_review_creates_it_with_the_normalised_rating(api, cast):
    response = api("post", URL, one(author_email="anna@example.org"))
    assert response.status_code == 201
    body = response.json()
    assert body["rating"] == "4.2"
    assert body["original_rating"] == "8.00"
    assert body["original_scale"] == 10
    assert body["customer_id"] == cast.customer.pk
    assert body["sentiment"] == "positive"
    assert body["sentiment_phrases"]


def test_posting_the_same_review_again_answers_200_and_keeps_one(api, cast):
    first = api("post", URL, one())
    second = api("post", URL, one())
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Review.objects.count() == 1


def test_posting_with_the_same_idempotency_key_replays_the_first_answer(api, cast):
    first = api("post", URL, one(), **{"Idempotency-Key": "k-1"})
    second = api("post", URL, one(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()


def test_same_idempotency_key_for_another_body_is_refused(api, cast):
    api("post", URL, one(), **{"Idempotency-Key": "k-2"})
    response = api("post", URL, one(external_id="r-2"), **{"Idempotency-Key": "k-2"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Review.objects.count() == 1


def test_posting_a_batch_reports_each_review(api, cast):
    stored("a", source="google")
    body = {
        "source": "google",
        "scale": 5,
        "reviews": [
            {"external_id": "a", "rating": 4, "text": GOOD},
            {"external_id": "b", "rating": 2, "text": "Late and broken."},
        ],
    }
    response = api("post", URL, body)
    assert response.status_code == 200
    data = response.json()
    assert [r["outcome"] for r in data["results"]] == ["unchanged", "created"]
    assert data["counts"] == {"created": 1, "updated": 0, "unchanged": 1}


def test_batch_with_one_bad_review_stores_nothing_and_names_the_field(api, cast):
    body = {
        "source": "google",
        "scale": 5,
        "reviews": [{"external_id": "a", "rating": 4}, {"external_id": "b", "rating": 7}],
    }
    response = api("post", URL, body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["reviews.1.rating"][0]["code"] == "out_of_range"
    assert not Review.objects.exists()


def test_rating_outside_the_scale_is_a_field_error(api, cast):
    response = api("post", URL, one(rating=11))
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["rating"][0]["code"] == "out_of_range"


def test_rating_that_is_not_a_number_is_a_field_error(api, cast):
    response = api("post", URL, one(rating="eight"))
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["rating"][0]["code"] == "wrong_type"


def test_unknown_scale_is_a_field_error(api, cast):
    response = api("post", URL, one(scale=7))
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["scale"][0]["code"] == "invalid_choice"


def test_review_without_text_or_rating_is_a_field_error(api, cast):
    response = api("post", URL, one(rating=None, text=""))
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["text"][0]["code"] == "required"


def test_bad_source_name_is_a_field_error(api, cast):
    response = api("post", URL, one(source="Trust Pilot"))
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["source"][0]["code"] == "invalid_source"


def test_date_without_time_zone_is_a_field_error(api, cast):
    response = api("post", URL, one(reviewed_at="2024-05-01T10:00:00"))
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["reviewed_at"][0]["code"] == "naive_datetime"


def test_unknown_field_is_refused(api, cast):
    response = api("post", URL, one(stars=5))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_field"


def test_malformed_json_is_a_json_error(api, cast):
    response = api("post", URL, raw="{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_a_json_list_is_refused_with_a_clear_error(api, cast):
    response = api("post", URL, [one()])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_body"


def test_agents_may_read_but_not_post_reviews(api, cast, api_token):
    assert api("post", URL, one(), token=api_token).status_code == 403
    assert api("get", URL, token=api_token).status_code == 200
    assert not Review.objects.exists()


def test_requests_without_a_token_are_refused(client, cast):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_portal_customers_tokens_are_refused(api, cast):
    token = create_api_token(user=cast.portal_user, name="t")[1]
    assert api("get", URL, token=token).status_code == 401


def test_list_filters_by_source_rating_sentiment_and_customer(api, cast):
    good = stored("a", author_email="anna@example.org")
    bad = stored("b", rating=1, text="Die Tasse kam beschädigt und viel zu spät an.")
    other = stored("c", source="google", rating=None, scale=None)

    def ids(query):
        return [r["id"] for r in api("get", f"{URL}?{query}").json()["items"]]

    assert ids("source=google") == [other.pk]
    assert ids("rating_min=3") == [good.pk]
    assert ids("rating_max=2") == [bad.pk]
    assert ids("sentiment=negative") == [bad.pk]
    assert ids(f"customer={cast.customer.pk}") == [good.pk]


def test_list_pages_through_all_reviews_with_cursors(api, cast):
    made = {stored(f"r{i}").pk for i in range(5)}
    seen, cursor = [], None
    while True:
        page = api("get", URL + "?limit=2" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made)


def test_bad_filter_values_are_field_errors(api, cast):
    response = api("get", URL + "?rating_min=9&sentiment=angry")
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"rating_min", "sentiment"}


def test_bad_cursor_is_a_clear_error(api, cast):
    response = api("get", URL + "?cursor=nonsense")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_one_review_is_read_by_id(api, cast):
    review = stored()
    response = api("get", f"{URL}/{review.pk}")
    assert response.status_code == 200
    assert response.json()["external_id"] == "r-1"


def test_unknown_review_is_a_json_404(api, cast):
    response = api("get", f"{URL}/999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_list_query_count_does_not_grow_with_page_size(
    api, cast, product, django_assert_max_num_queries
):
    for i in range(12):
        stored(f"r{i}", product_sku="MUG-1", author_email="anna@example.org")
    with django_assert_max_num_queries(6):
        response = api("get", URL + "?limit=12")
    assert len(response.json()["items"]) == 12


def test_openapi_schema_documents_the_review_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/reviews"])
    assert "requestBody" in paths["/api/v1/reviews"]["post"]
    assert "get" in paths["/api/v1/reviews/{review_id}"]
