"""Outgoing webhooks on conversation events (filled in by the webhooks work)."""


def emit_conversation_event(event: str, *, conversation, message=None) -> None:
    """Queue a signed delivery of ``event`` to every subscribed endpoint."""
