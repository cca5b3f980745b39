"""The helpdesk's staff pages, split by concept: inbox, conversation, reply templates."""

from rapport.helpdesk.views.conversation import (
    assign_me,
    attachment,
    call,
    colleagues,
    conversation_detail,
    link,
    merge,
    note,
    presence,
    reply,
    solve,
    split,
    update,
)
from rapport.helpdesk.views.inbox import bulk, inbox
from rapport.helpdesk.views.templates import (
    template_create,
    template_delete,
    template_edit,
    template_list,
    template_render,
)

__all__ = [
    "assign_me",
    "attachment",
    "bulk",
    "call",
    "colleagues",
    "conversation_detail",
    "inbox",
    "link",
    "merge",
    "note",
    "presence",
    "reply",
    "solve",
    "split",
    "template_create",
    "template_delete",
    "template_edit",
    "template_list",
    "template_render",
    "update",
]
