"""Routing new conversations to a team and an agent (filled in by the routing work)."""


def route_conversation(*, conversation, message) -> None:
    """Choose the team and assignee of a new conversation."""
