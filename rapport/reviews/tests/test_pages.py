"""The staff pages: the review list with its filters, the upload page, and who may open them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from rapport.reviews.actions import ingest_review
from rapport.reviews.models import Review

LIST = reverse("reviews:list")
IMPORT = reverse("reviews:import")
GOOD = "Great service, the parcel arrived quickly and the staff was friendly."
BAD = "Die Tasse kam beschädigt und viel zu spät an."


def stored(external_id, **fields):
    data = {"external_id": external_id, "rating": 4, "scale": 5, "text": GOOD}
    data.update(fields)
    return ingest_review(source=data.pop("source", "shop"), data=data).review


def upload(content: bytes, **fields):
    return {
        "file": SimpleUploadedFile("reviews.csv", content, content_type="text/csv"),
        "source": "trustpilot",
        "scale": "5",
        **fields,
    }


# --- The list ---------------------------------------------------------------------------------


def test_list_shows_reviews_with_the_sentiment_explained(agent_client, cast):
    stored("a", rating=1, text=BAD)
    response = agent_client.get(LIST)
    assert response.status_code == 200
    assert "Negative" in response.text
    assert "“beschädigt”" in response.text


def test_list_filters_by_source_rating_and_sentiment(agent_client, cast):
    stored("good")
    stored("bad", rating=1, text=BAD)
    stored("google", source="google", text="Average shop.")

    def shown(query):
        page = agent_client.get(f"{LIST}?{query}").context["page"]
        return [review.external_id for review in page.object_list]

    assert shown("source=google") == ["google"]
    assert shown("rating_max=2") == ["bad"]
    assert shown("sentiment=positive") == ["good"]


def test_list_links_the_matched_customer(agent_client, cast):
    stored("a", author_email="anna@example.org")
    response = agent_client.get(LIST)
    assert reverse("customers:detail", args=[cast.customer.pk]) in response.text


def test_list_query_count_does_not_grow_with_the_number_of_reviews(
    agent_client, cast, product, django_assert_max_num_queries
):
    for i in range(10):
        stored(f"r{i}", author_email="anna@example.org", product_sku="MUG-1")
    with django_assert_max_num_queries(10):
        agent_client.get(LIST)
    for i in range(10, 30):
        stored(f"r{i}", author_email="ben@example.org", product_sku="MUG-1")
    with django_assert_max_num_queries(10):
        agent_client.get(LIST)


def test_list_escapes_review_text(agent_client, cast):
    stored("x", text="<script>alert(1)</script> nice")
    response = agent_client.get(LIST)
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_customer_timeline_shows_the_review(client, cast):
    stored("a", author_email="anna@example.org", source="trustpilot")
    client.force_login(cast.agent)
    response = client.get(reverse("customers:detail", args=[cast.customer.pk]))
    assert "Review on Trustpilot: 4.0 of 5" in response.text
    assert GOOD in response.text


@pytest.mark.parametrize("who", ["agent", "marketer", "manager", "admin"])
def test_every_staff_member_may_read_the_list(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(LIST).status_code == 200


def test_portal_customers_may_not_open_the_list(client, cast):
    client.force_login(cast.portal_user)
    assert client.get(LIST).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- The upload page ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_and_admins_may_open_the_upload_page(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(IMPORT).status_code == 200


@pytest.mark.parametrize("who", ["agent", "marketer", "portal_user"])
def test_others_may_not_upload(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(IMPORT).status_code == 403
    response = client.post(IMPORT, upload(b"id,rating,text\na,4,Good\n"))
    assert response.status_code == 403
    assert not Review.objects.exists()


def test_upload_shows_every_row_with_its_outcome(client, cast):
    client.force_login(cast.manager)
    content = b"id;rating;text\na;4;Good\nb;vier;Fine\nc;;\n"
    response = client.post(IMPORT, upload(content))
    assert response.status_code == 200
    rows = response.context["report"].rows
    assert [(r.row, r.outcome) for r in rows] == [(2, "created"), (3, "invalid"), (4, "invalid")]
    assert "“vier” is not a number." in response.text
    assert "A review needs a text, a rating or both." in response.text
    assert Review.objects.count() == 1


def test_upload_again_reports_rows_as_unchanged(client, cast):
    client.force_login(cast.manager)
    content = b"id,rating,text\na,4,Good\n"
    client.post(IMPORT, upload(content))
    response = client.post(IMPORT, upload(content))
    assert [r.outcome for r in response.context["report"].rows] == ["unchanged"]


def test_upload_check_only_stores_nothing(client, cast):
    client.force_login(cast.manager)
    response = client.post(IMPORT, upload(b"id,rating,text\na,4,Good\n", dry_run="on"))
    assert response.context["report"].rows[0].outcome == "created"
    assert "nothing was imported" in response.text
    assert not Review.objects.exists()


def test_upload_with_a_bad_source_name_is_refused_with_the_reason(client, cast):
    client.force_login(cast.manager)
    response = client.post(IMPORT, upload(b"id,rating,text\na,4,Good\n", source="Trust Pilot"))
    assert response.status_code == 400
    assert "lower-case letters" in response.text
    assert not Review.objects.exists()


def test_upload_of_a_file_that_is_not_csv_is_refused_with_the_reason(client, cast):
    client.force_login(cast.manager)
    response = client.post(IMPORT, upload(b"\x00\x01\x02PK binary"))
    assert response.status_code == 400
    assert "not a text file" in response.text


def test_upload_without_an_id_column_is_refused_with_the_reason(client, cast):
    client.force_login(cast.manager)
    response = client.post(IMPORT, upload(b"rating,text\n4,Good\n"))
    assert response.status_code == 400
    assert "review&#x27;s ID" in response.text or "review's ID" in response.text


def test_upload_needs_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.manager)
    response = client.post(IMPORT, upload(b"id,rating,text\na,4,Good\n"))
    assert response.status_code == 403
    assert not Review.objects.exists()
