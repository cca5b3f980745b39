"""Template tags that let other apps' pages show the chat console of a conversation."""

from django import template

from rapport.chat import queries
from rapport.chat.delivery import message_frame

register = template.Library()


@register.simple_tag
def live_chat_session(conversation):
    """Return the conversation's chat session (the active one first), or None."""
    return queries.live_session(conversation)


@register.simple_tag
def chat_console_messages(conversation, limit: int = 100):
    """Return the conversation's latest chat messages (no notes) as the console shows them."""
    items = []
    for message in queries.chat_messages(conversation, limit=limit):
        frame = message_frame(message, for_visitor=False)
        items.append({**frame, "sender": frame["from"], "created_at": message.created_at})
    return items
