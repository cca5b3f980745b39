"""Sending replies to social networks (filled in by the social work)."""

from rapport.helpdesk.delivery import DeliveryError


def send_message(message) -> str | None:
    raise DeliveryError("no social sender configured", permanent=True)
