from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.helpdesk.actions import add_internal_note, change_status, receive_message
from rapport.webhooks.actions import (
    MAX_ATTEMPTS,
    deliver_webhook,
    emit_conversation_event,
    send_due_deliveries,
)
from rapport.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from rapport.webhooks.signing import sign, verify
from rapport.webhooks.tests.receiver import Receiver


def _endpoint(url, **fields):
    return WebhookEndpoint.objects.create(name="Receiver", url=url, **fields)


def _new_conversation(cast, text="Mein Drucker druckt nicht"):
    return receive_message(
        customer=cast.customer, channel="web", subject="Drucker", body_text=text
    ).message.conversation


def test_new_conversation_is_posted_signed_to_a_subscribed_endpoint(
    cast, receiver, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = _new_conversation(cast)

    created = [
        r for r in receiver.requests if r.headers["X-Rapport-Event"] == "conversation.created"
    ]
    assert len(created) == 1
    request = created[0]
    payload = request.json()
    assert payload["conversation"]["number"] == conversation.number
    assert payload["conversation"]["customer_id"] == cast.customer.pk
    assert payload["message"]["summary"] == "Mein Drucker druckt nicht"
    assert (
        verify(
            endpoint.secret,
            timestamp=request.headers["X-Rapport-Timestamp"],
            signature=request.headers["X-Rapport-Signature"],
            body=request.body,
        )
        == ""
    )
    delivery = WebhookDelivery.objects.get(pk=int(request.headers["X-Rapport-Delivery"]))
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200


def test_signature_made_with_another_secret_does_not_verify(cast, receiver):
    body = b'{"event":"x"}'
    assert (
        verify(
            "right",
            timestamp="1700000000",
            signature=sign("wrong", 1700000000, body),
            body=body,
            now=1700000000,
        )
        == "invalid_signature"
    )


def test_signature_older_than_five_minutes_is_refused_as_replay():
    body = b"{}"
    signature = sign("secret", 1700000000, body)
    assert (
        verify(
            "secret", timestamp="1700000000", signature=signature, body=body, now=1700000000 + 301
        )
        == "stale_timestamp"
    )
    assert (
        verify(
            "secret", timestamp="1700000000", signature=signature, body=body, now=1700000000 + 299
        )
        == ""
    )


def test_status_change_is_sent_as_conversation_updated(
    cast, receiver, django_capture_on_commit_callbacks
):
    conversation = _new_conversation(cast)
    _endpoint(receiver.url, events=["conversation.updated"])
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=conversation, actor=cast.agent, status="solved")

    assert [r.headers["X-Rapport-Event"] for r in receiver.requests] == ["conversation.updated"]
    assert receiver.requests[0].json()["conversation"]["status"] == "solved"


def test_delivery_failing_with_500_is_retried_after_backoff_and_then_succeeds(
    cast, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[500, 200]) as server:
        _endpoint(server.url, events=["conversation.created"])
        with django_capture_on_commit_callbacks(execute=True):
            _new_conversation(cast)
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.attempts == 1
        assert delivery.last_status_code == 500
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)

        assert send_due_deliveries() == 0  # not due yet
        assert send_due_deliveries(now=timezone.now() + timedelta(minutes=2)) == 1

        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SUCCEEDED
        assert delivery.attempts == 2
        assert len(server.requests) == 2
        assert server.requests[0].body == server.requests[1].body


def test_delivery_gives_up_after_the_last_attempt(cast, django_capture_on_commit_callbacks):
    with Receiver(statuses=[503]) as server:
        _endpoint(server.url, events=["conversation.created"])
        with django_capture_on_commit_callbacks(execute=True):
            _new_conversation(cast)
        delivery = WebhookDelivery.objects.get()
        for _attempt in range(MAX_ATTEMPTS - 1):
            WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
            send_due_deliveries()
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.attempts == MAX_ATTEMPTS
        assert delivery.next_attempt_at is None
        assert len(server.requests) == MAX_ATTEMPTS
        assert send_due_deliveries(now=timezone.now() + timedelta(days=2)) == 0
        assert len(server.requests) == MAX_ATTEMPTS


def test_unreachable_endpoint_records_the_error_and_stays_pending(
    cast, django_capture_on_commit_callbacks
):
    with Receiver() as server:
        url = server.url
    _endpoint(url, events=["conversation.created"])  # the server is gone: connection refused
    with django_capture_on_commit_callbacks(execute=True):
        _new_conversation(cast)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error


def test_inactive_endpoint_gets_nothing(cast, receiver, django_capture_on_commit_callbacks):
    _endpoint(receiver.url, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        _new_conversation(cast)
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_endpoint_deactivated_before_sending_gets_nothing(cast, receiver):
    endpoint = _endpoint(receiver.url)
    conversation = _new_conversation(cast)
    emit_conversation_event("conversation.updated", conversation=conversation)
    delivery = WebhookDelivery.objects.filter(event="conversation.updated").get()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    assert deliver_webhook(delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert receiver.requests == []


def test_unsubscribed_event_is_not_sent(cast, receiver, django_capture_on_commit_callbacks):
    _endpoint(receiver.url, events=["conversation.updated"])
    with django_capture_on_commit_callbacks(execute=True):
        _new_conversation(cast)
    assert receiver.requests == []


def test_rolled_back_change_sends_nothing(cast, receiver, django_capture_on_commit_callbacks):
    from django.db import transaction

    _endpoint(receiver.url)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            _new_conversation(cast)
            raise RuntimeError("abort")
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_two_workers_cannot_claim_the_same_delivery(cast, receiver):
    from rapport.webhooks.actions import claim_delivery

    _endpoint(receiver.url)
    conversation = _new_conversation(cast)
    emit_conversation_event("conversation.updated", conversation=conversation)
    delivery = WebhookDelivery.objects.filter(event="conversation.updated").get()
    assert claim_delivery(delivery.pk) is True
    assert claim_delivery(delivery.pk) is False


def test_note_text_is_left_out_unless_the_endpoint_opts_in(cast):
    plain = _endpoint("http://127.0.0.1:9/a")
    opted_in = _endpoint("http://127.0.0.1:9/b", include_notes=True)
    conversation = _new_conversation(cast)
    note = add_internal_note(conversation=conversation, author=cast.agent, body_text="VIP, careful")
    emit_conversation_event("message.created", conversation=conversation, message=note)

    def payload_for(endpoint):
        deliveries = WebhookDelivery.objects.filter(endpoint=endpoint, event="message.created")
        return next(d.payload for d in deliveries if d.payload["message"]["id"] == note.pk)

    plain_payload = payload_for(plain)
    opted_payload = payload_for(opted_in)
    assert "summary" not in plain_payload["message"]
    assert plain_payload["message"]["is_note"] is True
    assert opted_payload["message"]["summary"] == "VIP, careful"


def test_endpoint_with_an_unknown_event_name_does_not_validate(db):
    from django.core.exceptions import ValidationError

    endpoint = WebhookEndpoint(name="x", url="https://example.com/h", events=["ticket.exploded"])
    with pytest.raises(ValidationError) as error:
        endpoint.full_clean()
    assert "events" in error.value.error_dict
