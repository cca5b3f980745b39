"""Every change to a conversation: receive, reply, note, call, status, assignment, merge, split.

Channels (mail, chat, phone, social, web form, portal, API) all end here, so a conversation is
one thread whatever the channel, and every change leaves a ``ConversationEvent`` row.

The actions live in modules by concept (``messages``, ``changes``, ``threads``); import them
from here.
"""

from rapport.helpdesk.actions.changes import (
    add_tags,
    assign_conversation,
    change_status,
    raise_priority,
    set_priority,
    set_subject,
    set_tags,
    set_team,
)
from rapport.helpdesk.actions.common import (
    HelpdeskError,
    IncomingAttachment,
    Received,
    record_conversation_event,
)
from rapport.helpdesk.actions.messages import (
    add_internal_note,
    log_call,
    open_conversation,
    receive_message,
    reply_channel,
    send_reply,
)
from rapport.helpdesk.actions.threads import (
    link_conversations,
    merge_conversations,
    split_conversation,
    unlink_conversations,
)

__all__ = [
    "HelpdeskError",
    "IncomingAttachment",
    "Received",
    "add_internal_note",
    "add_tags",
    "assign_conversation",
    "change_status",
    "link_conversations",
    "log_call",
    "merge_conversations",
    "open_conversation",
    "raise_priority",
    "receive_message",
    "record_conversation_event",
    "reply_channel",
    "send_reply",
    "set_priority",
    "set_subject",
    "set_tags",
    "set_team",
    "split_conversation",
    "unlink_conversations",
]
