"""Sending replies to social networks: the helpdesk's sender for the "social" channel.

It finds the source (connected account) the customer last wrote through and hands the reply
to that network's adapter (``settings.SOCIAL_ADAPTERS``, see ``rapport.social.adapters``).
"""

from django.conf import settings
from django.utils.module_loading import import_string

from rapport.helpdesk.delivery import DeliveryError
from rapport.helpdesk.models import Channel, Direction, Message
from rapport.social.actions import external_id
from rapport.social.models import SocialSource


def adapter_for(network: str):
    adapters = settings.SOCIAL_ADAPTERS
    path = adapters.get(network) or adapters.get("*")
    if not path:
        raise DeliveryError(f"no reply adapter for {network}", permanent=True)
    return import_string(path)


def send_message(message) -> str | None:
    """Send ``message`` through the adapter of the network the customer wrote on."""
    latest = (
        Message.objects.filter(
            conversation_id=message.conversation_id,
            channel=Channel.SOCIAL,
            direction=Direction.INBOUND,
        )
        .order_by("-created_at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    context = (latest or {}).get("social") or {}
    source = SocialSource.objects.filter(pk=context.get("source_id"), is_active=True).first()
    if source is None:
        raise DeliveryError("no active social source to reply through", permanent=True)
    network_id = adapter_for(source.network)(source=source, message=message, context=context)
    return external_id(source, network_id) if network_id else None
