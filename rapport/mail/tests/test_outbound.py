"""Replies go out by SMTP to a real relay: addresses, subject token, threading, signature."""

import pytest

from rapport.customers.models import ContactPoint, FormOfAddress
from rapport.helpdesk.actions import (
    IncomingAttachment,
    open_conversation,
    receive_message,
    send_reply,
)
from rapport.helpdesk.delivery import deliver_message
from rapport.helpdesk.models import Channel, DeliveryStatus, MessageKind
from rapport.mail.models import Mailbox
from rapport.mail.outbound import subject_for

from .conftest import free_port

pytestmark = pytest.mark.django_db


def customer_wrote(cast, *, subject="Lieferung fehlt", message_id="<c1@example.org>", to=None):
    received = receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        subject=subject,
        body_text="Mein Paket ist nicht angekommen.",
        sender_name="Anna Schmidt",
        sender_address="anna@example.org",
        recipients=to or ["support@localhost"],
        external_id=message_id,
    )
    return received.message.conversation


def body(sent, subtype="plain") -> str:
    return sent.get_body((subtype,)).get_content().replace("\r\n", "\n")


def reply(conversation, author, capture, **kwargs):
    kwargs.setdefault("body_text", "Wir schicken es heute noch einmal.")
    with capture(execute=True):
        message = send_reply(conversation=conversation, author=author, **kwargs)
    message.refresh_from_db()
    return message


def test_reply_reaches_the_customer_from_the_support_address_with_its_message_id_stored(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    conversation = customer_wrote(cast)
    message = reply(conversation, cast.agent, django_capture_on_commit_callbacks)

    assert message.delivery_status == DeliveryStatus.SENT
    assert message.external_id.startswith("<") and message.external_id.endswith("@localhost>")
    sent = smtp_relay.message_with_id(message.external_id)
    assert sent["From"] == "Rapport Support <support@localhost>"
    assert sent["To"] == "anna@example.org"
    assert sent["Subject"] == f"Re: Lieferung fehlt [RAP-{conversation.pk}]"
    envelope = smtp_relay.envelopes[-1]
    assert envelope.rcpt_tos == ["anna@example.org"]


def test_reply_threads_under_the_customers_email(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    conversation = customer_wrote(cast, message_id="<first@example.org>")
    first = reply(conversation, cast.agent, django_capture_on_commit_callbacks)
    receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        conversation=conversation,
        subject=f"Re: Lieferung fehlt [RAP-{conversation.pk}]",
        body_text="Danke!",
        sender_address="anna@example.org",
        external_id="<second@example.org>",
    )
    second = reply(conversation, cast.agent, django_capture_on_commit_callbacks)

    sent = smtp_relay.message_with_id(second.external_id)
    assert sent["In-Reply-To"] == "<second@example.org>"
    assert sent["References"].split() == [
        "<first@example.org>",
        first.external_id,
        "<second@example.org>",
    ]


def test_reply_is_signed_by_the_agent_in_the_customers_language(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    cast.customer.language = "de"
    cast.customer.save()
    message = reply(customer_wrote(cast), cast.agent, django_capture_on_commit_callbacks)

    sent = smtp_relay.message_with_id(message.external_id)
    text, html = body(sent), body(sent, "html")
    signature = text.split("\n-- \n", 1)[1]
    assert signature.splitlines()[:3] == [
        "Mit freundlichen Grüßen",
        cast.agent.get_full_name(),
        "Rapport Support",
    ]
    assert f"Vorgangsnummer: RAP-{message.conversation_id}" in signature
    assert "Wir schicken es heute noch einmal." in html
    assert "Mit freundlichen Grüßen" in html


def test_reply_to_an_english_speaking_informal_customer_is_signed_in_english(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    cast.customer.language = "en"
    cast.customer.form_of_address = FormOfAddress.INFORMAL
    cast.customer.save()
    message = reply(
        customer_wrote(cast),
        cast.agent,
        django_capture_on_commit_callbacks,
        body_text="On its way.",
    )

    text = body(smtp_relay.message_with_id(message.external_id))
    assert text.startswith("On its way.")
    assert "\n-- \nBest wishes\n" in text
    assert "Mit freundlichen" not in text


def test_automatic_messages_are_marked_auto_submitted_so_nobody_answers_them(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    conversation = customer_wrote(cast)
    automatic = reply(
        conversation,
        None,
        django_capture_on_commit_callbacks,
        kind=MessageKind.SYSTEM,
        subject="Wir haben Ihre Anfrage erhalten",
    )
    normal = reply(conversation, cast.agent, django_capture_on_commit_callbacks)

    sent = smtp_relay.message_with_id(automatic.external_id)
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["X-Auto-Response-Suppress"] == "All"
    assert sent["Subject"] == f"Wir haben Ihre Anfrage erhalten [RAP-{conversation.pk}]"
    assert smtp_relay.message_with_id(normal.external_id)["Auto-Submitted"] is None


def test_reply_carries_its_attachments(cast, smtp_relay, django_capture_on_commit_callbacks):
    pdf = b"%PDF-1.4 label " + bytes(range(256))
    message = reply(
        customer_wrote(cast),
        cast.agent,
        django_capture_on_commit_callbacks,
        attachments=[IncomingAttachment("Rücksendeschein.pdf", pdf, "application/pdf")],
    )

    sent = smtp_relay.message_with_id(message.external_id)
    parts = list(sent.iter_attachments())
    assert [(p.get_filename(), p.get_content_type()) for p in parts] == [
        ("Rücksendeschein.pdf", "application/pdf")
    ]
    assert parts[0].get_content() == pdf


def test_reply_goes_out_from_the_mailbox_address_the_customer_wrote_to(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    Mailbox.objects.create(
        name="Billing", email_address="billing@example.com", host="imap.example.com", username="b"
    )
    conversation = customer_wrote(cast, to=["billing@example.com", "someone@example.org"])
    message = reply(conversation, cast.agent, django_capture_on_commit_callbacks)

    assert smtp_relay.message_with_id(message.external_id)["From"] == (
        "Rapport Support <billing@example.com>"
    )


def test_reply_to_a_conversation_without_email_goes_to_the_customers_primary_address(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    conversation = open_conversation(customer=cast.customer, subject="Rückruf", channel="phone")
    message = reply(conversation, cast.agent, django_capture_on_commit_callbacks)

    sent = smtp_relay.message_with_id(message.external_id)
    assert sent["To"] == "anna@example.org"
    assert sent["From"] == "Rapport Support <support@localhost>"
    assert sent["In-Reply-To"] is None
    assert sent["Subject"] == f"Re: Rückruf [RAP-{conversation.pk}]"


def test_customer_without_an_email_address_fails_with_a_clear_reason(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    ContactPoint.objects.filter(customer=cast.customer).delete()
    conversation = open_conversation(customer=cast.customer, subject="Anruf", channel="phone")
    message = reply(conversation, cast.agent, django_capture_on_commit_callbacks)

    assert message.delivery_status == DeliveryStatus.FAILED
    assert "no valid email address" in message.delivery_error
    assert smtp_relay.envelopes == []


def test_header_injection_in_a_subject_never_reaches_the_wire(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    conversation = customer_wrote(cast)
    message = reply(
        conversation,
        cast.agent,
        django_capture_on_commit_callbacks,
        subject="Hallo\r\nBcc: victim@evil.example\r\n\r\nInjected body",
    )

    assert message.delivery_status == DeliveryStatus.SENT
    envelope = smtp_relay.envelopes[-1]
    assert envelope.rcpt_tos == ["anna@example.org"]
    assert b"\nBcc:" not in envelope.original_content
    sent = smtp_relay.message_with_id(message.external_id)
    assert sent["Bcc"] is None
    assert "\n" not in sent["Subject"] and "\r" not in sent["Subject"]
    assert sent["Subject"].endswith(f"[RAP-{conversation.pk}]")


def test_subject_keeps_one_reply_prefix_and_one_token(cast):
    conversation = customer_wrote(cast, subject="Frage")
    token = conversation.subject_token
    message = send_reply(
        conversation=conversation,
        author=cast.agent,
        body_text="Antwort",
        subject=f"AW: Re:  Frage {token} zu [RAP-0] {token.lower()}",
    )

    assert subject_for(message) == f"Re: Frage zu [RAP-0] {token}"


def test_a_temporary_refusal_leaves_the_reply_queued_for_a_retry(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    smtp_relay.rcpt_reply = "451 4.7.1 Greylisted, try again later"
    message = reply(customer_wrote(cast), cast.agent, django_capture_on_commit_callbacks)

    assert message.delivery_status == DeliveryStatus.QUEUED
    assert "451" in message.delivery_error
    assert message.external_id == ""


def test_a_permanent_refusal_marks_the_reply_failed(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    smtp_relay.rcpt_reply = "550 5.1.1 No such user here"
    message = reply(customer_wrote(cast), cast.agent, django_capture_on_commit_callbacks)

    assert message.delivery_status == DeliveryStatus.FAILED
    assert "550" in message.delivery_error and "No such user" in message.delivery_error


def test_a_refused_message_body_is_failed_by_code(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    smtp_relay.data_reply = "554 5.7.1 Message rejected as spam"
    message = reply(customer_wrote(cast), cast.agent, django_capture_on_commit_callbacks)

    assert message.delivery_status == DeliveryStatus.FAILED
    assert "554" in message.delivery_error


def test_an_unreachable_relay_leaves_the_reply_queued_for_a_retry(
    cast, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nobody listens there
    settings.EMAIL_TIMEOUT = 2
    message = reply(customer_wrote(cast), cast.agent, django_capture_on_commit_callbacks)

    assert message.delivery_status == DeliveryStatus.QUEUED
    assert "unreachable" in message.delivery_error


def test_an_attachment_missing_from_storage_fails_the_reply_with_its_name(
    cast, smtp_relay, django_capture_on_commit_callbacks
):
    conversation = customer_wrote(cast)
    message = send_reply(
        conversation=conversation,
        author=cast.agent,
        body_text="Anbei die Rechnung.",
        attachments=[IncomingAttachment("Rechnung.pdf", b"%PDF-1.4", "application/pdf")],
    )
    attachment = message.attachments.get()
    attachment.file.storage.delete(attachment.file.name)

    assert deliver_message(message.pk) is False
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "Rechnung.pdf" in message.delivery_error
    assert smtp_relay.envelopes == []
