"""Which conversation an email belongs to, and why.

In order: ``In-Reply-To``, then ``References`` (newest first), matched against the Message-IDs
of email messages we stored or sent; then the conversation token ``[RAP-12]`` in the subject,
trusted only for that conversation's own customer or mail from our own addresses; otherwise a
new conversation. A bounce is matched through the Message-ID of the message it returns. A
merged conversation's mail threads into the conversation it was merged into.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from rapport.helpdesk.models import Channel, Conversation, Message
from rapport.mail.parsing import ParsedEmail

MAX_MERGE_HOPS = 10


@dataclass
class Thread:
    conversation: Conversation | None
    reason: dict[str, Any] = field(default_factory=lambda: {"reason": "new"})


def token_pattern() -> re.Pattern:
    return re.compile(r"\[" + re.escape(settings.HELPDESK_NUMBER_PREFIX) + r"-(\d{1,18})\]", re.I)


def follow_merges(conversation: Conversation) -> Conversation:
    """Return the conversation that ``conversation`` was (perhaps repeatedly) merged into."""
    hops = 0
    while conversation.merged_into_id and hops < MAX_MERGE_HOPS:
        conversation = Conversation.objects.get(pk=conversation.merged_into_id)
        hops += 1
    return conversation


def by_message_ids(ids: list[str]) -> tuple[Conversation, str] | None:
    """Return the conversation of the first of ``ids`` that is a stored email's Message-ID."""
    if not ids:
        return None
    found = dict(
        Message.objects.with_external_id(Channel.EMAIL, ids[:100]).values_list(
            "external_id", "conversation_id"
        )
    )
    for message_id in ids:
        if message_id in found:
            conversation = Conversation.objects.get(pk=found[message_id])
            return follow_merges(conversation), message_id
    return None


def find_thread(
    parsed: ParsedEmail, *, customer_id: int | None, from_us: bool, bounce: bool = False
) -> Thread:
    """Return the conversation ``parsed`` continues (or none) with the reason."""
    if bounce:
        hit = by_message_ids(parsed.returned_message_ids)
        if hit:
            return Thread(hit[0], {"reason": "bounce", "matched": hit[1]})
    hit = by_message_ids(parsed.in_reply_to)
    if hit:
        return Thread(hit[0], {"reason": "in_reply_to", "matched": hit[1]})
    hit = by_message_ids(list(reversed(parsed.references)))
    if hit:
        return Thread(hit[0], {"reason": "references", "matched": hit[1]})
    if bounce:
        return Thread(None, {"reason": "new"})
    ignored = []
    for match in token_pattern().finditer(parsed.subject):
        conversation = Conversation.objects.filter(pk=int(match.group(1))).first()
        if conversation is None:
            ignored.append({"token": match.group(0), "why": "unknown"})
            continue
        target = follow_merges(conversation)
        if from_us or customer_id in (conversation.customer_id, target.customer_id):
            return Thread(target, {"reason": "subject_token", "matched": match.group(0)})
        ignored.append({"token": match.group(0), "why": "other_customer"})
    reason: dict[str, Any] = {"reason": "new"}
    if ignored:
        reason["ignored"] = ignored
    return Thread(None, reason)
