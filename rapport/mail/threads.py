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


class ThreadLookup:
    """The rows threading reads, fetched once for a batch of emails (see ``prefetch``).

    Without a prefetch every question goes to the database, one query at a time.
    """

    def __init__(self) -> None:
        self.by_message_id: dict[str, int] | None = None
        self.conversations: dict[int, Conversation] = {}

    @classmethod
    def prefetch(cls, emails: list[ParsedEmail]) -> "ThreadLookup":
        lookup = cls()
        ids: set[str] = set()
        pks: set[int] = set()
        pattern = token_pattern()
        for parsed in emails:
            ids.update(parsed.in_reply_to[:100])
            ids.update(parsed.references[-100:])
            ids.update(parsed.returned_message_ids[:100])
            pks.update(int(m.group(1)) for m in pattern.finditer(parsed.subject))
        lookup.by_message_id = (
            dict(
                Message.objects.with_external_id(Channel.EMAIL, sorted(ids)).values_list(
                    "external_id", "conversation_id"
                )
            )
            if ids
            else {}
        )
        pks.update(lookup.by_message_id.values())
        lookup.conversations = Conversation.objects.in_bulk(pks) if pks else {}
        return lookup

    def conversation_of(self, ids: list[str]) -> tuple[int, str] | None:
        """Return (conversation id, matched id) for the first of ``ids`` we stored, or None."""
        if not ids:
            return None
        ids = ids[:100]
        if self.by_message_id is None:
            found = dict(
                Message.objects.with_external_id(Channel.EMAIL, ids).values_list(
                    "external_id", "conversation_id"
                )
            )
        else:
            found = self.by_message_id
        for message_id in ids:
            if message_id in found:
                return found[message_id], message_id
        return None

    def conversation(self, pk: int) -> Conversation | None:
        if pk not in self.conversations:
            found = Conversation.objects.filter(pk=pk).first()
            if found is None:
                return None
            self.conversations[pk] = found
        return self.conversations[pk]

    def follow_merges(self, conversation: Conversation) -> Conversation:
        """Return the conversation ``conversation`` was (perhaps repeatedly) merged into."""
        hops = 0
        while conversation.merged_into_id and hops < MAX_MERGE_HOPS:
            conversation = self.conversation(conversation.merged_into_id) or conversation
            hops += 1
        return conversation

    def by_message_ids(self, ids: list[str]) -> tuple[Conversation, str] | None:
        """Return the conversation of the first of ``ids`` that is a stored email's Message-ID."""
        hit = self.conversation_of(ids)
        if hit is None:
            return None
        conversation = self.conversation(hit[0])
        if conversation is None:
            return None
        return self.follow_merges(conversation), hit[1]


def find_thread(
    parsed: ParsedEmail,
    *,
    customer_id: int | None,
    from_us: bool,
    bounce: bool = False,
    lookup: ThreadLookup | None = None,
) -> Thread:
    """Return the conversation ``parsed`` continues (or none) with the reason."""
    lookup = lookup or ThreadLookup()
    if bounce:
        hit = lookup.by_message_ids(parsed.returned_message_ids)
        if hit:
            return Thread(hit[0], {"reason": "bounce", "matched": hit[1]})
    hit = lookup.by_message_ids(parsed.in_reply_to)
    if hit:
        return Thread(hit[0], {"reason": "in_reply_to", "matched": hit[1]})
    hit = lookup.by_message_ids(list(reversed(parsed.references)))
    if hit:
        return Thread(hit[0], {"reason": "references", "matched": hit[1]})
    if bounce:
        return Thread(None, {"reason": "new"})
    ignored = []
    for match in token_pattern().finditer(parsed.subject):
        conversation = lookup.conversation(int(match.group(1)))
        if conversation is None:
            ignored.append({"token": match.group(0), "why": "unknown"})
            continue
        target = lookup.follow_merges(conversation)
        if from_us or customer_id in (conversation.customer_id, target.customer_id):
            return Thread(target, {"reason": "subject_token", "matched": match.group(0)})
        ignored.append({"token": match.group(0), "why": "other_customer"})
    reason: dict[str, Any] = {"reason": "new"}
    if ignored:
        reason["ignored"] = ignored
    return Thread(None, reason)
