import time

from rapport.customers.models import ContactKind, ContactPoint, Customer
from rapport.helpdesk.models import Channel, Conversation, Message
from rapport.social.tests.conftest import item


def test_direct_message_from_a_new_author_creates_customer_and_social_conversation(ingest, cast):
    response = ingest(item())
    assert response.status_code == 201, response.content
    data = response.json()
    conversation = Conversation.objects.get(pk=data["conversation_id"])
    assert conversation.channel == Channel.SOCIAL
    customer = conversation.customer
    assert (customer.given_name, customer.family_name) == ("Lena", "Kraus")
    assert customer.contact_points.get().normalized == "mastodon:lena"
    message = Message.objects.get(pk=data["message_id"])
    assert message.body_text == "Mein Paket ist beschädigt angekommen."
    assert message.external_id == "mastodon:109001"
    assert message.data["social"]["public"] is False


def test_second_direct_message_continues_the_open_conversation(ingest, cast):
    first = ingest(item()).json()
    second = ingest(item(id="109002", text="Hallo?")).json()
    assert second["conversation_id"] == first["conversation_id"]


def test_direct_message_after_the_conversation_was_solved_opens_a_new_one(ingest, cast):
    first = ingest(item()).json()
    Conversation.objects.filter(pk=first["conversation_id"]).update(status="closed")
    second = ingest(item(id="109003", text="Neues Problem")).json()
    assert second["conversation_id"] != first["conversation_id"]


def test_mention_opens_a_public_conversation(ingest, cast):
    ingest(item())
    response = ingest(item(type="mention", id="555", text="@shop warum antwortet ihr nicht?"))
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["message_id"])
    assert message.data["social"]["public"] is True
    assert message.data["social"]["type"] == "mention"
    assert Conversation.objects.count() == 2


def test_known_handle_matches_the_existing_customer(ingest, cast):
    ContactPoint.objects.create(
        customer=cast.customer,
        kind=ContactKind.SOCIAL,
        platform="mastodon",
        value="@Lena",
        normalized="mastodon:lena",
    )
    before = Customer.objects.count()
    response = ingest(item(author={"handle": "LENA", "name": "L."}))
    assert Conversation.objects.get(pk=response.json()["conversation_id"]).customer == cast.customer
    assert Customer.objects.count() == before


def test_same_network_message_twice_is_stored_once(ingest, cast):
    first = ingest(item())
    second = ingest(item())
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["message_id"] == first.json()["message_id"]
    assert Message.objects.filter(channel=Channel.SOCIAL, direction="inbound").count() == 1


def test_wrong_signature_is_refused_and_nothing_is_stored(ingest, cast):
    response = ingest(item(), secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not Message.objects.exists()


def test_replayed_request_older_than_five_minutes_is_refused(ingest, cast):
    response = ingest(item(), now=time.time() - 301)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "stale_timestamp"
    assert not Message.objects.exists()


def test_unsigned_request_is_refused(client, source, cast):
    response = client.post(
        f"/social/ingest/{source.slug}/", item(), content_type="application/json"
    )
    assert response.status_code == 401
    assert not Message.objects.exists()


def test_body_changed_after_signing_is_refused(ingest, source, cast):
    from django.test import Client

    from rapport.webhooks.signing import signed_headers

    headers = signed_headers(source.signing_secret, b'{"type": "mention"}')
    response = Client().post(
        f"/social/ingest/{source.slug}/",
        b'{"type": "direct_message"}',
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 401


def test_unknown_or_inactive_source_is_404(ingest, source, cast):
    assert ingest(item(), slug="nope").status_code == 404
    source.is_active = False
    source.save()
    assert ingest(item()).status_code == 404


def test_malformed_json_is_a_clear_400(ingest, cast):
    response = ingest(body=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_missing_fields_are_named(ingest, cast):
    response = ingest({"type": "shout", "id": "1"})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert {"type", "author", "text"} <= set(fields)
    assert not Message.objects.exists()


def test_invalid_handle_is_refused_and_no_customer_is_created(ingest, cast):
    before = Customer.objects.count()
    response = ingest(item(author={"handle": "has spaces<script>", "name": "X"}))
    assert response.status_code == 422
    assert "author.handle" in response.json()["error"]["fields"]
    assert Customer.objects.count() == before


def test_item_for_another_network_is_refused(ingest, cast):
    response = ingest(item(network="x"))
    assert response.status_code == 422
    assert "network" in response.json()["error"]["fields"]


def test_get_is_not_allowed(client, source, cast):
    assert client.get(f"/social/ingest/{source.slug}/").status_code == 405
