"""The SLA clock and the promises made to customers (filled in by the SLA work)."""


def update_sla(*, conversation) -> None:
    """Recompute the policy and due times of ``conversation`` from its state and events."""


def acknowledge_conversation(*, conversation, message) -> None:
    """Acknowledge a new inbound conversation with its number and estimated resolution time."""
