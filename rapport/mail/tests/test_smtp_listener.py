"""The SMTP listener, spoken to over a real socket: ours only, size-limited, stored before 250."""

import smtplib
from email import policy
from email.message import EmailMessage

import pytest

from rapport.helpdesk.models import Direction, Message
from rapport.mail.models import InboundEmail, InboundSource, Mailbox

pytestmark = pytest.mark.django_db(transaction=True)


def mail(to="support@localhost", subject="Bestellung 4711", body="Wann kommt sie?") -> bytes:
    message = EmailMessage()
    message["From"] = "Anna Schmidt <anna@example.org>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = "<order-4711@example.org>"
    message.set_content(body)
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire


def send(port: int, raw: bytes, *, to="support@localhost") -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail("anna@example.org", [to], raw)


def test_mail_for_our_support_address_is_stored_raw_and_becomes_a_conversation(
    cast, start_smtp_listener
):
    port = start_smtp_listener()
    raw = mail()

    refused = send(port, raw)

    assert refused == {}
    inbound = InboundEmail.objects.get()
    assert inbound.source == InboundSource.SMTP
    assert inbound.envelope_from == "anna@example.org"
    assert inbound.envelope_to == ["support@localhost"]
    with inbound.raw.open("rb") as handle:
        assert handle.read() == raw
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.conversation.customer == cast.customer
    assert message.external_id == "<order-4711@example.org>"


def test_mail_for_a_mailbox_address_is_accepted_too(cast, start_smtp_listener):
    Mailbox.objects.create(
        name="Billing", email_address="Billing@Example.com", host="imap.example.com", username="b"
    )
    port = start_smtp_listener()

    assert send(port, mail(to="billing@example.com"), to="billing@example.com") == {}
    assert InboundEmail.objects.get().envelope_to == ["billing@example.com"]


def test_mail_for_any_other_address_is_refused_with_550(cast, start_smtp_listener):
    port = start_smtp_listener()

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(port, mail(to="someone@example.net"), to="someone@example.net")

    code, text = refused.value.recipients["someone@example.net"]
    assert code == 550 and b"not a support address" in text
    assert InboundEmail.objects.count() == 0


def test_mail_over_the_size_limit_is_refused_with_552_and_not_stored(
    cast, settings, start_smtp_listener
):
    settings.HELPDESK_MAX_MESSAGE_BYTES = 2000
    port = start_smtp_listener()

    with pytest.raises(smtplib.SMTPDataError) as refused:
        # Plain sendmail without the SIZE parameter: the listener counts while reading.
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.helo("sender.example.org")
            client.mail("anna@example.org")
            client.rcpt("support@localhost")
            code, reply = client.data(mail(body="Zu lang.\n" * 500))
            raise smtplib.SMTPDataError(code, reply)

    assert refused.value.smtp_code == 552
    assert InboundEmail.objects.count() == 0


def test_a_declared_size_over_the_limit_is_refused_before_the_data(
    cast, settings, start_smtp_listener
):
    settings.HELPDESK_MAX_MESSAGE_BYTES = 2000
    port = start_smtp_listener()

    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        send(port, mail(body="Zu lang.\n" * 500))

    assert refused.value.smtp_code == 552
    assert InboundEmail.objects.count() == 0


def test_mail_that_cannot_be_stored_gets_a_temporary_error_so_the_sender_keeps_it(
    cast, settings, tmp_path, start_smtp_listener
):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker  # the raw message cannot be written below a file
    port = start_smtp_listener()

    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(port, mail())

    assert refused.value.smtp_code == 451
    assert InboundEmail.objects.count() == 0


def test_malformed_mail_is_still_accepted_and_kept_raw(cast, start_smtp_listener):
    port = start_smtp_listener()
    garbage = b"\x00\xff\xfe binary garbage without any header\r\n" * 20

    assert send(port, garbage) == {}
    inbound = InboundEmail.objects.get()
    with inbound.raw.open("rb") as handle:
        assert handle.read() == garbage
