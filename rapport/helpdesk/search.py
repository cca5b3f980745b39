"""Conversations in the search index: what an agent's search finds them by.

A conversation's document: its subject (title); its number, tags and the customer's name
(keywords); the text of its messages and notes in order, as shown (quotes stripped), up to
``BODY_LIMIT`` characters (body). The helpdesk actions call ``index_conversations`` when
any of that changes, in the same transaction; ``rapport search rebuild conversations``
indexes everything anew.
"""

from collections.abc import Iterable, Iterator

from django.db.models.signals import post_delete
from django.dispatch import receiver

from rapport.helpdesk.models import Conversation, Message
from rapport.search.actions import index_objects, remove_objects
from rapport.search.indexes import Document

INDEX = "conversations"
# Characters of message text indexed per conversation (the start of a long thread says
# what it is about; later messages mostly quote it).
BODY_LIMIT = 8000
ID_CHUNK = 5000


def conversation_documents(ids: list[int]) -> list[Document]:
    conversations = {
        c.pk: c
        for c in Conversation.objects.filter(pk__in=ids)
        .select_related("customer")
        .only(
            "pk",
            "subject",
            "language",
            "customer__given_name",
            "customer__family_name",
            "customer__preferred_name",
        )
    }
    if not conversations:
        return []
    tags: dict[int, list[str]] = {}
    for conversation_id, name in Conversation.tags.through.objects.filter(
        conversation_id__in=list(conversations)
    ).values_list("conversation_id", "tag__name"):
        tags.setdefault(conversation_id, []).append(name)
    bodies: dict[int, list[str]] = {}
    sizes: dict[int, int] = {}
    for conversation_id, display, body in (
        Message.objects.filter(conversation_id__in=list(conversations))
        .order_by("conversation_id", "created_at", "id")
        .values_list("conversation_id", "display_text", "body_text")
        .iterator(chunk_size=5000)
    ):
        used = sizes.get(conversation_id, 0)
        if used >= BODY_LIMIT:
            continue
        text = (display or body or "")[: BODY_LIMIT - used]
        bodies.setdefault(conversation_id, []).append(text)
        sizes[conversation_id] = used + len(text) + 1
    documents = []
    for pk, conversation in conversations.items():
        customer = conversation.customer
        keywords = [
            conversation.number,
            customer.given_name,
            customer.family_name,
            customer.preferred_name,
            *tags.get(pk, []),
        ]
        documents.append(
            Document(
                id=pk,
                language=conversation.language,
                title=conversation.subject,
                keywords=" ".join(k for k in keywords if k),
                body="\n".join(bodies.get(pk, [])),
            )
        )
    return documents


def all_conversation_ids() -> Iterator[int]:
    last = 0
    while True:
        chunk = list(
            Conversation.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:ID_CHUNK]
        )
        if not chunk:
            return
        yield from chunk
        last = chunk[-1]


def index_conversations(ids: Iterable[int]) -> None:
    """Index conversations ``ids`` as they are now (call after changing their text)."""
    index_objects(INDEX, ids)


@receiver(post_delete, sender=Conversation, dispatch_uid="helpdesk-search-forget")
def _forget_deleted(sender, instance, **kwargs):
    # Also when a customer is erased: no text of a deleted conversation stays searchable.
    remove_objects(INDEX, [instance.pk])
