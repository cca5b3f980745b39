"""What a portal customer may read: only their own conversations, messages and files."""

from django.db.models import QuerySet

from rapport.accounts.models import Role
from rapport.customers.models import ContactKind, Customer
from rapport.helpdesk.models import Attachment, Conversation, Direction, Message, MessageKind
from rapport.helpdesk.queries import get_conversation, visible_conversations

#: Message kinds never shown to customers: bounces are our mail system's business.
HIDDEN_KINDS = (MessageKind.BOUNCE,)


def portal_customer(user) -> Customer | None:
    """Return the customer whose portal login ``user`` is, or None (staff, anonymous)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.role != Role.CUSTOMER:
        return None
    return Customer.objects.filter(portal_user=user).first()


def portal_conversations(user) -> QuerySet[Conversation]:
    return (
        visible_conversations(user)
        .filter(merged_into__isnull=True)
        .order_by("-last_message_at", "-id")
    )


def portal_conversation(user, conversation_id) -> Conversation:
    """Return the customer's own conversation, or raise ``Conversation.DoesNotExist``."""
    conversation = get_conversation(user, conversation_id)
    if conversation.merged_into_id:
        raise Conversation.DoesNotExist
    return conversation


def portal_messages(conversation: Conversation) -> QuerySet[Message]:
    """Return what the customer sees of a conversation: never internal notes or bounces."""
    return (
        Message.objects.filter(conversation=conversation)
        .exclude(direction=Direction.NOTE)
        .exclude(kind__in=HIDDEN_KINDS)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def portal_attachment(user, attachment_id) -> Attachment:
    """Return a stored file of a message the customer can see, or raise ``DoesNotExist``."""
    try:
        attachment_id = int(attachment_id)
    except (TypeError, ValueError):
        raise Attachment.DoesNotExist from None
    return (
        Attachment.objects.filter(
            pk=attachment_id,
            rejected_reason="",
            message__conversation__in=visible_conversations(user).filter(merged_into__isnull=True),
        )
        .exclude(message__direction=Direction.NOTE)
        .exclude(message__kind__in=HIDDEN_KINDS)
        .exclude(file="")
        .get()
    )


def customer_email(customer: Customer) -> str:
    """Return the customer's primary email address (or any), or ""."""
    point = (
        customer.contact_points.filter(kind=ContactKind.EMAIL)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
    )
    return point or ""
