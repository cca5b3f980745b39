"""Everything a customer does in the portal and the public contact form.

Requests and replies go through ``helpdesk.actions.receive_message`` like every other channel.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.accounts.actions import create_user
from rapport.accounts.models import Role, User
from rapport.customers.actions import ContactInput, create_customer
from rapport.customers.models import Customer
from rapport.customers.queries import identify_customer
from rapport.customers.validators import normalize_email
from rapport.helpdesk.actions import HelpdeskError, IncomingAttachment, receive_message
from rapport.helpdesk.models import Channel, Conversation, Message
from rapport.portal.models import PortalLoginToken

logger = logging.getLogger(__name__)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def customer_language(customer: Customer) -> str:
    languages = dict(settings.LANGUAGES)
    return customer.language if customer.language in languages else settings.LANGUAGE_CODE


# --- Sign-in ---------------------------------------------------------------------------------


def request_magic_link(*, email: str) -> bool:
    """Email a one-time sign-in link if ``email`` belongs to a customer; return whether one went out.

    Callers must not tell the visitor the result: the form never reveals who is a customer.
    """
    try:
        normalized = normalize_email(email)
    except Exception:  # noqa: BLE001 - an unusable address simply gets no link
        return False
    customer = identify_customer(email=normalized)
    if customer is None:
        return False
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        PortalLoginToken.objects.create(
            customer=customer,
            email=normalized,
            token_hash=_hash(raw),
            created_at=now,
            expires_at=now + timedelta(minutes=settings.PORTAL_MAGIC_LINK_MINUTES),
        )
        link = settings.SITE_URL.rstrip("/") + reverse("portal:magic_link", args=[raw])
        transaction.on_commit(lambda: _send_magic_link(customer, normalized, link))
    return True


def send_customer_email(*, customer: Customer, to: str, subject: str, body: str) -> None:
    """Send a short plain-text email to a customer, marked with its language."""
    EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [to],
        headers={
            "Content-Language": customer_language(customer),
            "Auto-Submitted": "auto-generated",
        },
    ).send()


def _send_magic_link(customer: Customer, email: str, link: str) -> None:
    with translation.override(customer_language(customer)):
        subject = _("Your sign-in link for the customer portal")
        body = render_to_string(
            "portal/email/magic_link.txt",
            {
                "customer": customer,
                "link": link,
                "minutes": settings.PORTAL_MAGIC_LINK_MINUTES,
                "company": settings.HELPDESK_COMPANY_NAME,
            },
        )
    send_customer_email(customer=customer, to=email, subject=subject, body=body)


def redeem_magic_link(*, raw_token: str) -> User | None:
    """Use up a sign-in link and return the portal user to sign in, or None if it is not valid."""
    if not raw_token or len(raw_token) > 100:
        return None
    now = timezone.now()
    with transaction.atomic():
        token = (
            PortalLoginToken.objects.select_related("customer")
            .filter(token_hash=_hash(raw_token), used_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if token is None:
            return None
        claimed = PortalLoginToken.objects.filter(pk=token.pk, used_at__isnull=True).update(
            used_at=now
        )
        if claimed != 1:
            return None
        return ensure_portal_user(customer=token.customer, email=token.email)


def peek_magic_link(*, raw_token: str) -> bool:
    """Return whether the sign-in link is still usable (without using it up)."""
    if not raw_token or len(raw_token) > 100:
        return False
    return PortalLoginToken.objects.filter(
        token_hash=_hash(raw_token), used_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def ensure_portal_user(*, customer: Customer, email: str = "") -> User | None:
    """Return the customer's portal login, creating it (without a password) the first time."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.portal_user_id:
        user = customer.portal_user
        return user if user.is_active and user.role == Role.CUSTOMER else None
    user = create_user(
        username=f"customer-{customer.pk}-{secrets.token_hex(4)}",
        password=None,
        role=Role.CUSTOMER,
        email=email,
        first_name=customer.given_name[:150],
        last_name=customer.family_name[:150],
        language=customer_language(customer),
    )
    customer.portal_user = user
    customer.save(update_fields=["portal_user", "updated_at"])
    return user


def portal_user_for_login(*, email: str) -> User | None:
    """Return the portal user who signs in with ``email`` and a password, or None."""
    try:
        normalized = normalize_email(email)
    except Exception:  # noqa: BLE001
        return None
    return (
        User.objects.filter(role=Role.CUSTOMER, is_active=True, email__iexact=normalized)
        .filter(customer_profile__isnull=False)
        .first()
    )


def set_portal_password(*, user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])


# --- Requests and replies --------------------------------------------------------------------


def _attachments(upload: UploadedFile | None) -> list[IncomingAttachment]:
    if upload is None:
        return []
    return [
        IncomingAttachment(
            filename=upload.name or "attachment",
            content=upload.read(),
            content_type=upload.content_type or "application/octet-stream",
        )
    ]


def submit_portal_request(
    *, customer: Customer, user: User, subject: str, text: str, upload: UploadedFile | None = None
) -> Conversation:
    """Open a new conversation from the portal with the customer's first message."""
    received = receive_message(
        customer=customer,
        channel=Channel.PORTAL,
        subject=subject,
        body_text=text,
        sender_name=customer.display_name,
        sender_address=user.email,
        attachments=_attachments(upload),
        language=translation.get_language() or "",
    )
    return received.message.conversation


def reply_in_portal(
    *,
    customer: Customer,
    user: User,
    conversation: Conversation,
    text: str,
    upload: UploadedFile | None = None,
) -> Message:
    """Add the customer's reply to their conversation (a solved one is reopened)."""
    if conversation.customer_id != customer.pk:
        raise HelpdeskError("wrong_customer", _("This conversation belongs to another customer."))
    if conversation.merged_into_id:
        raise HelpdeskError("merged", _("This conversation was merged into another one."))
    return receive_message(
        customer=customer,
        channel=Channel.PORTAL,
        conversation=conversation,
        body_text=text,
        sender_name=customer.display_name,
        sender_address=user.email,
        attachments=_attachments(upload),
    ).message


def submit_contact_form(
    *, name: str, email: str, subject: str, text: str, consent_text: str, language: str = ""
) -> Conversation:
    """Turn a contact form submission into a web conversation of the customer with this email."""
    email = normalize_email(email)
    with transaction.atomic():
        customer = identify_customer(email=email)
        if customer is None:
            given, _sep, family = " ".join(name.split()).rpartition(" ")
            if not given:
                given, family = family, ""
            profile = {"given_name": given[:100], "family_name": family[:100]}
            if language in dict(settings.LANGUAGES):
                profile["language"] = language
            customer = create_customer(
                actor=None, profile=profile, contacts=ContactInput(emails=[email]), source="web"
            )
        received = receive_message(
            customer=customer,
            channel=Channel.WEB,
            subject=subject,
            body_text=text,
            sender_name=" ".join(name.split())[:200],
            sender_address=email,
            data={"contact_form": {"consent": consent_text}},
            language=language,
        )
    return received.message.conversation
