"""Delivering replies on this channel (filled in by the channel's work)."""


def send_message(message) -> str | None:
    """Deliver ``message``; the customer reads it on this channel."""
    return None
