"""Reply adapters: how a reply reaches a social network.

An adapter is a function ``send(*, source, message, context) -> str | None`` named in
``settings.SOCIAL_ADAPTERS`` by network ("*" for every network without its own). ``context``
is the ``data["social"]`` of the customer's latest message in the conversation (the network
message id to answer, whether it was public, the author's handle). It returns the network's
id for the sent reply, or raises ``DeliveryError`` (``permanent=True`` when retrying cannot help).
"""

import json

from django.conf import settings

from rapport.helpdesk.delivery import DeliveryError
from rapport.webhooks.transport import post_signed

#: Client errors that may pass (rate limited, timed out); other 4xx answers are final.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 409, 425, 429})


def reply_payload(*, source, message, context: dict) -> dict:
    conversation = message.conversation
    return {
        "type": "reply",
        "source": source.slug,
        "network": source.network,
        "public": bool(context.get("public")),
        "in_reply_to": context.get("message_id") or None,
        "recipient": {"handle": context.get("author_handle", "")},
        "text": message.body_text,
        "message_id": message.pk,
        "conversation": {"id": conversation.pk, "number": conversation.number},
    }


def send_via_webhook(*, source, message, context: dict) -> str | None:
    """POST the reply as signed JSON to the source's reply URL (a relay or bridge sends it on)."""
    if not source.reply_url:
        raise DeliveryError("the social source has no reply URL", permanent=True)
    body = json.dumps(
        reply_payload(source=source, message=message, context=context),
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    result = post_signed(
        source.reply_url,
        secret=source.signing_secret,
        body=body,
        headers={"X-Rapport-Event": "social.reply"},
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
    )
    if not result.ok:
        reason = result.error or f"HTTP {result.status}"
        permanent = (
            result.status is not None
            and 400 <= result.status < 500
            and result.status not in RETRYABLE_CLIENT_ERRORS
        )
        raise DeliveryError(f"reply URL answered: {reason}", permanent=permanent)
    try:
        answer = json.loads(result.body or b"{}")
    except ValueError:
        return None
    network_id = answer.get("id") if isinstance(answer, dict) else None
    return str(network_id) if network_id not in (None, "") else None
