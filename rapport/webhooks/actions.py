"""Outgoing webhooks: record a delivery per subscribed endpoint, send it signed, retry with backoff.

``emit_conversation_event`` is called by the helpdesk actions inside their transaction; the
deliveries are rows written in that same transaction and sent after it commits, so a
rolled-back change never reaches a receiver and a crash after the commit loses nothing (the
sweep picks up what is due).
"""

import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rapport.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from rapport.webhooks.transport import post_signed

logger = logging.getLogger(__name__)

#: Pauses before the 2nd, 3rd, ... attempt; after the last one the delivery has failed.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
#: A claimed delivery is not picked up again by the sweep for this long (a worker that died).
CLAIM_LEASE = timedelta(minutes=2)
SUMMARY_LENGTH = 200


def conversation_payload(conversation) -> dict[str, Any]:
    """Return the stable JSON description of a conversation that every event carries."""
    return {
        "id": conversation.pk,
        "number": conversation.number,
        "subject": conversation.subject,
        "status": conversation.status,
        "priority": conversation.priority,
        "channel": conversation.channel,
        "customer_id": conversation.customer_id,
        "team_id": conversation.team_id,
        "assignee_id": conversation.assignee_id,
        "created_at": _iso(conversation.created_at),
        "last_message_at": _iso(conversation.last_message_at),
    }


def message_payload(message, *, include_text: bool) -> dict[str, Any]:
    data = {
        "id": message.pk,
        "direction": message.direction,
        "kind": message.kind,
        "channel": message.channel,
        "author_id": message.author_id,
        "created_at": _iso(message.created_at),
        "is_note": message.is_note,
    }
    if include_text:
        data["summary"] = " ".join(message.shown_text.split())[:SUMMARY_LENGTH]
    return data


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def build_payload(event: str, *, conversation, message=None, include_notes: bool = False) -> dict:
    payload: dict[str, Any] = {
        "event": event,
        "occurred_at": _iso(timezone.now()),
        "conversation": conversation_payload(conversation),
    }
    if message is not None:
        payload["message"] = message_payload(
            message, include_text=include_notes or not message.is_note
        )
    return payload


def emit_conversation_event(event: str, *, conversation, message=None) -> None:
    """Queue a signed delivery of ``event`` to every subscribed endpoint."""
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(is_active=True) if e.subscribes_to(event)
    ]
    if not endpoints:
        return
    now = timezone.now()
    created = []
    for endpoint in endpoints:
        payload = build_payload(
            event,
            conversation=conversation,
            message=message,
            include_notes=endpoint.include_notes,
        )
        created.append(
            WebhookDelivery.objects.create(
                endpoint=endpoint, event=event, payload=payload, next_attempt_at=now
            )
        )
    from rapport.webhooks.tasks import send_webhook_delivery

    ids = [delivery.pk for delivery in created]
    transaction.on_commit(lambda: [send_webhook_delivery(pk) for pk in ids])


def payload_body(delivery: WebhookDelivery) -> bytes:
    """Return the exact bytes sent: the payload as compact JSON with sorted keys."""
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()


def claim_delivery(delivery_id: int, *, now=None) -> bool:
    """Claim a due delivery for this worker; False when another worker has it or it is not due."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + CLAIM_LEASE)
    return claimed == 1


def deliver_webhook(delivery_id: int, *, now=None) -> bool:
    """Send one due delivery and record the outcome; return True when the receiver took it."""
    if not claim_delivery(delivery_id, now=now):
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _finish(delivery, DeliveryStatus.FAILED, error="endpoint is inactive", count=False)
        return False
    result = post_signed(
        endpoint.url,
        secret=endpoint.secret,
        body=payload_body(delivery),
        headers={"X-Rapport-Event": delivery.event, "X-Rapport-Delivery": str(delivery.pk)},
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
    )
    if result.ok:
        _finish(delivery, DeliveryStatus.SUCCEEDED, status_code=result.status)
        return True
    error = result.error or f"HTTP {result.status}"
    attempts = delivery.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _finish(delivery, DeliveryStatus.FAILED, status_code=result.status, error=error)
        logger.warning("webhook delivery %s failed for good: %s", delivery.pk, error)
    else:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=F("attempts") + 1,
            last_status_code=result.status,
            last_error=error,
            next_attempt_at=timezone.now() + BACKOFF[attempts - 1],
        )
    return False


def _finish(delivery, status, *, status_code=None, error="", count=True) -> None:
    updates: dict[str, Any] = {
        "status": status,
        "last_status_code": status_code,
        "last_error": error,
        "next_attempt_at": None,
    }
    if count:
        updates["attempts"] = F("attempts") + 1
    if status == DeliveryStatus.SUCCEEDED:
        updates["delivered_at"] = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**updates)


def due_delivery_ids(*, now=None, limit: int = 200) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def send_due_deliveries(*, now=None, limit: int = 200) -> int:
    """Send every delivery whose next attempt is due (the periodic sweep); return how many went out."""
    return sum(1 for pk in due_delivery_ids(now=now, limit=limit) if deliver_webhook(pk, now=now))


def retry_delivery(*, delivery: WebhookDelivery) -> None:
    """Make a failed or pending delivery due now again (the admin's "retry" action)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).exclude(status=DeliveryStatus.SUCCEEDED).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
