import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rapport.helpdesk.actions import (
    IncomingAttachment,
    add_internal_note,
    log_call,
    merge_conversations,
    receive_message,
    record_conversation_event,
    send_reply,
)
from rapport.helpdesk.models import Attachment, Channel, Conversation, Direction, Message


def conversation_of(customer, subject="Rechnung", text="Meine Rechnung ist falsch", files=()):
    return receive_message(
        customer=customer,
        channel="email",
        subject=subject,
        body_text=text,
        attachments=[IncomingAttachment(filename=name, content=b"data") for name in files],
    ).message.conversation


def test_list_shows_only_my_conversations(portal_client, cast):
    mine = conversation_of(cast.customer, subject="Meine Frage")
    conversation_of(cast.other_customer, subject="Bens Geheimnis")
    page = portal_client.get("/portal/").content.decode()
    assert mine.number in page
    assert "Meine Frage" in page
    assert "Bens Geheimnis" not in page


def test_conversation_shows_replies_but_never_internal_notes(portal_client, cast):
    conversation = conversation_of(cast.customer)
    send_reply(
        conversation=conversation,
        author=cast.agent,
        body_text="Wir korrigieren das.",
        channel="portal",
    )
    add_internal_note(conversation=conversation, author=cast.agent, body_text="Kunde ist schwierig")
    record_conversation_event(
        conversation=conversation, kind="escalated", data={"reason": "geheime Eskalation"}
    )
    page = portal_client.get(f"/portal/conversations/{conversation.pk}/").content.decode()
    assert "Meine Rechnung ist falsch" in page
    assert "Wir korrigieren das." in page
    assert "Kunde ist schwierig" not in page
    assert "geheime Eskalation" not in page


def test_call_is_shown_politely_without_the_agents_call_notes(portal_client, cast):
    conversation = conversation_of(cast.customer)
    log_call(
        customer=cast.customer,
        agent=cast.agent,
        direction="outbound",
        duration_seconds=120,
        notes="Klang genervt, Kulanz anbieten",
        conversation=conversation,
    )
    page = portal_client.get(f"/portal/conversations/{conversation.pk}/").content.decode()
    assert "We called you." in page
    assert "Kulanz" not in page


def test_reply_in_the_portal_adds_an_inbound_portal_message(portal_client, cast):
    conversation = conversation_of(cast.customer)
    upload = SimpleUploadedFile("foto.png", b"\x89PNG...", content_type="image/png")
    response = portal_client.post(
        f"/portal/conversations/{conversation.pk}/reply/",
        {"text": "Hier das Foto", "attachment": upload},
    )
    assert response.status_code == 302
    message = conversation.messages.order_by("-id").first()
    assert (message.direction, message.channel, message.body_text) == (
        Direction.INBOUND,
        Channel.PORTAL,
        "Hier das Foto",
    )
    assert message.attachments.get().filename == "foto.png"


def test_reply_to_a_solved_conversation_reopens_it(portal_client, cast):
    conversation = conversation_of(cast.customer)
    Conversation.objects.filter(pk=conversation.pk).update(status="solved")
    portal_client.post(f"/portal/conversations/{conversation.pk}/reply/", {"text": "Doch nicht"})
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_empty_reply_is_refused_with_a_message(portal_client, cast):
    conversation = conversation_of(cast.customer)
    before = conversation.messages.count()
    response = portal_client.post(f"/portal/conversations/{conversation.pk}/reply/", {"text": ""})
    assert response.status_code == 400
    assert conversation.messages.count() == before


def test_new_request_opens_a_portal_conversation(portal_client, cast):
    response = portal_client.post(
        "/portal/new/", {"subject": "Adresse ändern", "text": "Ich bin umgezogen."}
    )
    assert response.status_code == 302
    conversation = Conversation.objects.get(subject="Adresse ändern")
    assert conversation.customer == cast.customer
    assert conversation.channel == Channel.PORTAL
    assert response["Location"] == f"/portal/conversations/{conversation.pk}/"


def test_attachment_over_the_size_limit_is_refused_and_nothing_is_stored(
    portal_client, cast, settings
):
    settings.PORTAL_MAX_UPLOAD_BYTES = 10
    upload = SimpleUploadedFile("big.pdf", b"x" * 11, content_type="application/pdf")
    response = portal_client.post(
        "/portal/new/", {"subject": "Groß", "text": "Anbei", "attachment": upload}
    )
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not Conversation.objects.exists()


def test_customer_downloads_a_file_of_their_own_conversation(portal_client, cast):
    conversation = conversation_of(cast.customer, files=["rechnung.pdf"])
    attachment = Attachment.objects.get(message__conversation=conversation)
    response = portal_client.get(f"/portal/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"data"
    assert "attachment" in response["Content-Disposition"]


def test_file_on_an_internal_note_cannot_be_downloaded(portal_client, cast):
    conversation = conversation_of(cast.customer)
    note = add_internal_note(conversation=conversation, author=cast.agent, body_text="intern")
    from django.core.files.base import ContentFile

    attachment = Attachment(message=note, filename="intern.txt", size=4)
    attachment.file.save("intern.txt", ContentFile(b"geheim"), save=True)
    assert portal_client.get(f"/portal/attachments/{attachment.pk}/").status_code == 404


def test_merged_conversation_is_not_listed(portal_client, cast):
    source = conversation_of(cast.customer, subject="Doppelt gemeldet")
    target = conversation_of(cast.customer, subject="Hauptfall")
    merge_conversations(source=source, target=target, actor=cast.agent)
    page = portal_client.get("/portal/").content.decode()
    assert "Hauptfall" in page
    assert "Doppelt gemeldet" not in page
    assert portal_client.get(f"/portal/conversations/{source.pk}/").status_code == 404


@pytest.fixture
def bens(cast):
    conversation = conversation_of(cast.other_customer, files=["ben.pdf"])
    attachment = Attachment.objects.get(message__conversation=conversation)
    return conversation, attachment


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/portal/conversations/{conversation}/"),
        ("post", "/portal/conversations/{conversation}/reply/"),
        ("get", "/portal/attachments/{attachment}/"),
    ],
)
def test_another_customers_ids_give_404_on_every_portal_url(portal_client, cast, bens, method, url):
    conversation, attachment = bens
    before = Message.objects.filter(conversation=conversation).count()
    target = url.format(conversation=conversation.pk, attachment=attachment.pk)
    response = getattr(portal_client, method)(target, {"text": "Ich bin nicht Ben"})
    assert response.status_code == 404
    assert Message.objects.filter(conversation=conversation).count() == before


def test_portal_pages_show_no_staff_navigation(portal_client, cast):
    page = portal_client.get("/portal/").content.decode()
    assert "/customers/" not in page
    assert "/admin/" not in page
