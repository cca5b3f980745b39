from rapport.helpdesk.actions import merge_conversations, receive_message
from rapport.helpdesk.models import (
    Channel,
    Conversation,
    Direction,
    EventKind,
    Message,
    MessageKind,
)
from rapport.mail.models import InboundStatus, Mailbox
from rapport.mail.tests.helpers import eml, ingest


def first_conversation(cast):
    inbound = ingest(eml(message_id="<first@example.org>"))
    return inbound.message.conversation


def test_reply_with_in_reply_to_joins_the_conversation_of_that_message(cast):
    conversation = first_conversation(cast)
    inbound = ingest(
        eml(
            message_id="<second@example.org>",
            subject="Re: Frage",
            headers={"In-Reply-To": "<first@example.org>"},
        )
    )
    assert inbound.message.conversation == conversation
    assert inbound.message.data["email"]["thread"] == {
        "reason": "in_reply_to",
        "matched": "<first@example.org>",
    }
    event = conversation.events.get(kind=EventKind.THREADED, message=inbound.message)
    assert event.data["reason"] == "in_reply_to"


def test_reply_with_only_references_joins_the_conversation(cast):
    conversation = first_conversation(cast)
    inbound = ingest(
        eml(
            message_id="<third@example.org>",
            subject="Re: Frage",
            headers={"References": "<unknown@elsewhere> <first@example.org>"},
        )
    )
    assert inbound.message.conversation == conversation
    assert inbound.message.data["email"]["thread"]["reason"] == "references"


def test_subject_token_of_the_customers_own_conversation_threads_the_mail(cast):
    conversation = first_conversation(cast)
    inbound = ingest(
        eml(message_id="<fourth@example.org>", subject=f"Re: {conversation.subject_token} Frage")
    )
    assert inbound.message.conversation == conversation
    assert inbound.message.data["email"]["thread"] == {
        "reason": "subject_token",
        "matched": conversation.subject_token,
    }


def test_subject_token_of_another_customers_conversation_is_ignored(cast):
    conversation = first_conversation(cast)
    inbound = ingest(
        eml(
            sender="Ben Meyer <ben@example.org>",
            message_id="<ben@example.org>",
            subject=f"Re: {conversation.subject_token} Frage",
        )
    )
    assert inbound.message.conversation != conversation
    assert inbound.message.conversation.customer == cast.other_customer
    thread = inbound.message.data["email"]["thread"]
    assert thread["reason"] == "new"
    assert thread["ignored"] == [{"token": conversation.subject_token, "why": "other_customer"}]


def test_mail_to_a_merged_conversation_threads_into_the_conversation_it_was_merged_into(cast):
    source = first_conversation(cast)
    target = ingest(eml(message_id="<other@example.org>", subject="Noch was")).message.conversation
    merge_conversations(source=source, target=target, actor=cast.agent)
    inbound = ingest(
        eml(message_id="<late@example.org>", headers={"In-Reply-To": "<first@example.org>"})
    )
    assert inbound.message.conversation == target


def test_bounce_is_attached_to_the_conversation_of_the_message_it_returns(cast):
    conversation = first_conversation(cast)
    reply = receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        conversation=conversation,
        direction=Direction.OUTBOUND,
        author=cast.agent,
        body_text="Ihre Bestellung ist unterwegs.",
        external_id="<reply-1@rapport.example>",
    ).message
    raw = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
        "To: support@localhost\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.example.org>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
        "Final-Recipient: rfc822; anna@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {reply.external_id}\r\nSubject: Re: Frage\r\n"
        "--B--\r\n"
    ).encode()
    inbound = ingest(raw)
    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.message.kind == MessageKind.BOUNCE
    assert inbound.message.conversation == conversation
    assert inbound.message.data["email"]["thread"] == {
        "reason": "bounce",
        "matched": reply.external_id,
    }


def test_bounce_of_an_unknown_message_is_quarantined_with_its_reason(cast):
    raw = eml(
        sender="MAILER-DAEMON@mx.example.org",
        subject="Undelivered Mail Returned to Sender",
        message_id="<bounce-2@mx.example.org>",
    )
    inbound = ingest(raw)
    assert inbound.status == InboundStatus.QUARANTINED
    assert "not in any conversation" in inbound.reason


def test_mail_from_our_support_address_is_recorded_as_an_agent_message_and_not_answered(
    cast, monkeypatch
):
    conversation = first_conversation(cast)
    acknowledged = []
    monkeypatch.setattr(
        "rapport.sla.actions.acknowledge_conversation", lambda **kw: acknowledged.append(kw)
    )
    Mailbox.objects.create(
        name="Sales", email_address="sales@rapport.example", host="localhost", username="s"
    )
    cast.agent.email = "sales@rapport.example"
    cast.agent.save()
    inbound = ingest(
        eml(
            sender="Sales <sales@rapport.example>",
            to="anna@example.org",
            subject=f"Re: {conversation.subject_token} Frage",
            message_id="<from-thunderbird@rapport.example>",
        )
    )
    message = inbound.message
    assert message.direction == Direction.OUTBOUND
    assert message.conversation == conversation
    assert message.author == cast.agent
    assert acknowledged == []
    assert not Conversation.objects.filter(
        customer__contact_points__value="sales@rapport.example"
    ).exists()


def test_mail_from_our_address_to_a_new_recipient_opens_a_conversation_for_the_recipient(cast):
    inbound = ingest(
        eml(
            sender="support@localhost",
            to="Ben Meyer <ben@example.org>",
            message_id="<out-1@localhost>",
        )
    )
    assert inbound.message.direction == Direction.OUTBOUND
    assert inbound.message.conversation.customer == cast.other_customer


def test_the_same_message_id_twice_gives_one_message(cast):
    first = ingest(eml(message_id="<twice@example.org>"))
    second = ingest(eml(message_id="<twice@example.org>", body="Noch einmal zugestellt."))
    assert first.status == InboundStatus.PROCESSED
    assert second.status == InboundStatus.DUPLICATE
    assert second.message == first.message
    assert Message.objects.filter(external_id="<twice@example.org>").count() == 1


def test_auto_reply_is_stored_and_not_acknowledged(cast, monkeypatch):
    acknowledged = []
    monkeypatch.setattr(
        "rapport.sla.actions.acknowledge_conversation", lambda **kw: acknowledged.append(kw)
    )
    ingest(eml(message_id="<normal@example.org>"))
    assert len(acknowledged) == 1
    inbound = ingest(
        eml(
            message_id="<ooo@example.org>",
            subject="Automatische Antwort: Ihre Anfrage",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert inbound.message.kind == MessageKind.AUTO_REPLY
    assert len(acknowledged) == 1


def test_new_mail_from_an_unknown_sender_creates_the_customer_with_split_name(cast):
    inbound = ingest(
        eml(sender='"Müller, Jürgen" <j.mueller@example.net>', message_id="<new@example.net>")
    )
    customer = inbound.message.conversation.customer
    assert (customer.given_name, customer.family_name) == ("Jürgen", "Müller")
    assert customer.contact_points.get().value == "j.mueller@example.net"
    assert inbound.message.data["email"]["thread"] == {"reason": "new"}
