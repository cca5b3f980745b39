"""Sending replies by email: the email sender named in ``settings.HELPDESK_SENDERS``.

``send_message`` builds one RFC 5322 message for an outbound helpdesk message (the customer's
language, a signature, the conversation token in the subject, threading headers) and hands
it to Django's configured email backend (SMTP when ``EMAIL_HOST`` is set). It returns the
``Message-ID`` it gave the mail; the delivery layer stores it as ``Message.external_id``
and inbound threading matches replies against it.
"""

import re
import smtplib
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.utils import translation
from django.utils.html import escape, linebreaks

from rapport.customers.models import ContactKind, FormOfAddress
from rapport.helpdesk.delivery import DeliveryError
from rapport.helpdesk.models import Channel, Direction, Message, MessageKind
from rapport.mail.actions import support_addresses

# RFC 5322 suggests keeping the first and the latest ids when References grows long.
MAX_REFERENCES = 20
# Reply prefixes a subject may already carry, in the languages our customers write in.
REPLY_PREFIX = re.compile(r"^\s*((re|aw|wg|fw|fwd|antw|sv|vs)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# The closing (formal, informal) and the label of the conversation number, per language:
# customers write in more languages than the staff's interface speaks (as in
# rapport.customers.greetings).
CLOSINGS = {
    "de": ("Mit freundlichen Grüßen", "Viele Grüße", "Vorgangsnummer"),
    "en": ("Kind regards", "Best wishes", "Request number"),
    "fr": ("Cordialement", "Bien à vous", "Numéro de demande"),
    "es": ("Saludos cordiales", "Un saludo", "Número de solicitud"),
    "it": ("Cordiali saluti", "Un saluto", "Numero di richiesta"),
    "nl": ("Met vriendelijke groet", "Groetjes", "Aanvraagnummer"),
    "pl": ("Z poważaniem", "Pozdrawiam", "Numer zgłoszenia"),
    "tr": ("Saygılarımla", "Sevgiler", "Talep numarası"),
}
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def send_message(message: Message) -> str:
    """Send ``message`` to the customer by email and return its ``Message-ID``.

    Raises ``DeliveryError``: ``permanent`` when retrying cannot help (no address, an
    address the relay refuses, a 5xx answer), otherwise the task layer retries.
    """
    conversation = message.conversation
    customer = conversation.customer
    last_inbound = _last_inbound_email(message)
    recipient = _recipient(message, last_inbound)
    language = customer.language or conversation.language or settings.LANGUAGE_CODE or "en"
    message_id = make_msgid(domain=mail_domain())
    with translation.override(language):
        signature = _signature_lines(message, language)
        email = EmailMultiAlternatives(
            subject=subject_for(message),
            body=_text_body(message, signature),
            from_email=formataddr(
                (clean_header(settings.HELPDESK_COMPANY_NAME), _sender(last_inbound))
            ),
            to=[recipient],
            headers=_headers(message, last_inbound, message_id),
            connection=get_connection(),
        )
        email.attach_alternative(_html_body(message, signature, language), "text/html")
    _attach_files(email, message)
    try:
        sent = email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()), (550, b""))
        raise _smtp_error(code, reply, recipient) from exc
    except (
        smtplib.SMTPConnectError,
        smtplib.SMTPHeloError,
        smtplib.SMTPAuthenticationError,
    ) as exc:
        # The relay (or our account on it) is the problem, not this message: try again later.
        raise _smtp_error(exc.smtp_code, exc.smtp_error, recipient, permanent=False) from exc
    except smtplib.SMTPResponseException as exc:  # sender or data refused: 4xx or 5xx
        raise _smtp_error(exc.smtp_code, exc.smtp_error, recipient) from exc
    except (smtplib.SMTPException, OSError) as exc:
        # Connection refused, reset or timed out, the server went away: it may come back.
        raise DeliveryError(f"mail server unreachable: {exc}", permanent=False) from exc
    except ValueError as exc:  # a header Django refuses to write; cleaning should prevent it
        raise DeliveryError(f"message cannot be written as email: {exc}", permanent=True) from exc
    if not sent:
        raise DeliveryError("the mail backend sent nothing", permanent=False)
    return message_id


def _attach_files(email: EmailMultiAlternatives, message: Message) -> None:
    for attachment in message.attachments.all():
        if attachment.rejected_reason or not attachment.file:
            continue  # never stored (too large, unsafe); the message text says so
        try:
            with attachment.file.open("rb") as handle:
                content = handle.read()
        except OSError as exc:
            raise DeliveryError(
                f"attachment {attachment.filename!r} cannot be read from storage: {exc}",
                permanent=True,
            ) from exc
        email.attach(attachment.filename, content, attachment.content_type)


def default_sender() -> str:
    """Return the first configured support address (the sender when no other fits)."""
    for value in settings.HELPDESK_SUPPORT_ADDRESSES:
        address = parseaddr(value)[1]
        if address:
            return address
    return "support@localhost"


def mail_domain() -> str:
    """Return the domain our Message-IDs end in (setting, else the first support address's)."""
    return settings.HELPDESK_MAIL_DOMAIN or default_sender().rpartition("@")[2] or "localhost"


def clean_header(value: str) -> str:
    """Return ``value`` on one line, without CR, LF or other control characters."""
    return " ".join(CONTROL.sub(" ", value or "").split())


def subject_for(message: Message) -> str:
    """Return the subject: one "Re:" when the customer wrote first, the token exactly once."""
    conversation = message.conversation
    token = conversation.subject_token
    subject = clean_header(message.subject or conversation.subject)
    subject = clean_header(re.sub(re.escape(token), " ", subject, flags=re.IGNORECASE))
    replying = bool(REPLY_PREFIX.match(subject)) or (
        message.kind == MessageKind.NORMAL
        and conversation.messages.filter(direction=Direction.INBOUND).exists()
    )
    subject = REPLY_PREFIX.sub("", subject).strip()
    if replying:
        subject = f"Re: {subject}" if subject else "Re:"
    return clean_header(f"{subject} {token}")[:900]


def _last_inbound_email(message: Message) -> Message | None:
    return (
        Message.objects.filter(
            conversation_id=message.conversation_id,
            direction=Direction.INBOUND,
            channel=Channel.EMAIL,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def _recipient(message: Message, last_inbound: Message | None) -> str:
    customer = message.conversation.customer
    candidates = []
    if last_inbound is not None:
        candidates.append(last_inbound.sender_address)
    candidates.extend(
        customer.contact_points.filter(kind=ContactKind.EMAIL)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
    )
    ours = support_addresses()
    for candidate in candidates:
        address = _valid_address(candidate)
        if address and address.lower() not in ours:
            return address
    raise DeliveryError(
        f"customer {customer.pk} has no valid email address to write to", permanent=True
    )


def _valid_address(value: str) -> str:
    if not value or CONTROL.search(value):
        return ""
    _name, address = parseaddr(value)
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


def _sender(last_inbound: Message | None) -> str:
    """Return the support address the customer wrote to, else the first configured one."""
    ours = support_addresses()
    if last_inbound is not None:
        data = last_inbound.data or {}
        written_to = list(last_inbound.recipients or [])
        for key in ("delivered_to", "envelope_to", "to", "cc"):
            value = data.get(key)
            written_to.extend(value if isinstance(value, list) else [value] if value else [])
        for value in written_to:
            address = _valid_address(str(value)).lower()
            if address in ours:
                return address
    return default_sender()


def _headers(message: Message, last_inbound: Message | None, message_id: str) -> dict:
    headers = {"Message-ID": message_id}
    in_reply_to = _bracketed(last_inbound.external_id) if last_inbound else ""
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    references = _references(message)
    if references:
        headers["References"] = " ".join(references)
    if message.kind == MessageKind.SYSTEM:
        # RFC 3834: an automatic answer; Exchange's header keeps out-of-office replies away.
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    headers["X-Rapport-Conversation"] = message.conversation.number
    return headers


def _references(message: Message) -> list[str]:
    ids = (
        Message.objects.filter(conversation_id=message.conversation_id, channel=Channel.EMAIL)
        .exclude(external_id="")
        .exclude(pk=message.pk)
        .order_by("created_at", "id")
        .values_list("external_id", flat=True)
    )
    seen: list[str] = []
    for value in ids:
        bracketed = _bracketed(value)
        if bracketed and bracketed not in seen:
            seen.append(bracketed)
    if len(seen) > MAX_REFERENCES:
        seen = seen[:1] + seen[-(MAX_REFERENCES - 1) :]
    return seen


def _bracketed(value: str) -> str:
    value = clean_header(value).strip()
    if not value or " " in value:
        return ""
    return value if value.startswith("<") and value.endswith(">") else f"<{value.strip('<>')}>"


def _signature_lines(message: Message, language: str) -> list[str]:
    """Return the signature in the customer's language: closing, agent, company, number."""
    customer = message.conversation.customer
    base = (language or "en").split("-")[0].split("_")[0].lower()
    formal, informal, number_label = CLOSINGS.get(base, CLOSINGS["en"])
    informal_address = customer.form_of_address == FormOfAddress.INFORMAL
    lines = [informal if informal_address else formal]
    author = message.author
    name = (author.get_full_name() or author.get_username()) if author else message.sender_name
    if name and message.kind != MessageKind.SYSTEM:
        lines.append(clean_header(name))
    lines.append(clean_header(settings.HELPDESK_COMPANY_NAME))
    lines.append(f"{number_label}: {message.conversation.number}")
    return lines


def _text_body(message: Message, signature: list[str]) -> str:
    text = (message.body_text or "").strip()
    return text + "\n\n-- \n" + "\n".join(signature) + "\n"


def _html_body(message: Message, signature: list[str], language: str) -> str:
    body = message.body_html or linebreaks(escape((message.body_text or "").strip()))
    signature = "<br>".join(escape(line) for line in signature)
    language = escape(language)
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8"></head><body>'
        f'{body}<p style="color:#555">-- <br>{signature}</p></body></html>'
    )


def _smtp_error(
    code: int, reply, recipient: str, *, permanent: bool | None = None
) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = f"SMTP {code} {text}".strip() + f" (to {recipient})"
    if permanent is None:
        permanent = not 400 <= int(code) < 500
    return DeliveryError(reason, permanent=permanent)
