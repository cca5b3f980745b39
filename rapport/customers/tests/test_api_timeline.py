"""A customer's timeline through the API: newest first, keyset pages, notes."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.factories import TimelineEventFactory
from rapport.timeline.models import EventKind, TimelineEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(api_token):
    return {"Authorization": f"Bearer {api_token}"}


def test_timeline_pages_newest_first_without_gaps_or_repeats(client, auth, cast):
    now = timezone.now()
    same_moment = now - timedelta(hours=1)
    for i in range(7):
        TimelineEventFactory(customer=cast.customer, title=f"e{i}", occurred_at=same_moment)
    for i in range(5):
        TimelineEventFactory(
            customer=cast.customer, title=f"n{i}", occurred_at=now - timedelta(days=i)
        )
    TimelineEventFactory(customer=cast.other_customer, title="not hers")
    url = f"/api/v1/customers/{cast.customer.pk}/timeline"
    seen, cursor = [], None
    while True:
        body = client.get(
            url, {"limit": 4, **({"cursor": cursor} if cursor else {})}, headers=auth
        ).json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert body["total"] == 12
    assert len({e["id"] for e in seen}) == 12
    expected = list(
        TimelineEvent.objects.filter(customer=cast.customer)
        .order_by("-occurred_at", "-id")
        .values_list("id", flat=True)
    )
    assert [e["id"] for e in seen] == expected
    assert "not hers" not in {e["title"] for e in seen}


def test_timeline_filters_by_kind(client, auth, cast):
    TimelineEventFactory(customer=cast.customer, kind=EventKind.NOTE)
    TimelineEventFactory(customer=cast.customer, kind=EventKind.ORDER, title="Order")
    body = client.get(
        f"/api/v1/customers/{cast.customer.pk}/timeline", {"kind": "order"}, headers=auth
    ).json()
    assert [e["kind"] for e in body["items"]] == ["order"]


def test_timeline_of_unknown_customer_gives_404(client, auth, cast):
    assert client.get("/api/v1/customers/999999/timeline", headers=auth).status_code == 404


def test_timeline_with_forged_cursor_gives_400(client, auth, cast):
    response = client.get(
        f"/api/v1/customers/{cast.customer.pk}/timeline", {"cursor": "WyJ4IiwgInkiXQ"}, headers=auth
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_note_lands_in_the_timeline(client, auth, cast):
    response = client.post(
        f"/api/v1/customers/{cast.customer.pk}/notes",
        json.dumps({"body": "Prefers calls after 5 pm\nmore"}),
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 201
    event = TimelineEvent.objects.get(customer=cast.customer, kind=EventKind.NOTE)
    assert (event.title, event.actor) == ("Prefers calls after 5 pm", cast.agent)


def test_empty_note_is_refused(client, auth, cast):
    response = client.post(
        f"/api/v1/customers/{cast.customer.pk}/notes",
        json.dumps({"body": "  "}),
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 422
    assert "body" in response.json()["error"]["fields"]
