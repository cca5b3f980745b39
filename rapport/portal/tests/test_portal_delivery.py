from django.core import mail

from rapport.helpdesk.actions import receive_message, send_reply
from rapport.helpdesk.models import DeliveryStatus


def test_portal_reply_is_visible_at_once_and_the_customer_gets_a_short_notice(
    portal_client, cast, django_capture_on_commit_callbacks
):
    conversation = receive_message(
        customer=cast.customer, channel="portal", subject="Frage", body_text="Hallo?"
    ).message.conversation
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = send_reply(
            conversation=conversation,
            author=cast.agent,
            body_text="Die vertrauliche Antwort steht nur im Portal.",
            channel="portal",
        )
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    page = portal_client.get(f"/portal/conversations/{conversation.pk}/").content.decode()
    assert "Die vertrauliche Antwort" in page
    notices = [m for m in mail.outbox if conversation.number in m.subject]
    assert len(notices) == 1
    notice = notices[0]
    assert notice.to == ["anna@example.org"]
    assert "vertrauliche" not in notice.body
    assert f"/portal/conversations/{conversation.pk}/" in notice.body
    assert notice.extra_headers["Content-Language"] == "de"


def test_customer_without_email_still_sees_the_reply(
    portal_client, cast, django_capture_on_commit_callbacks
):
    cast.customer.contact_points.all().delete()
    conversation = receive_message(
        customer=cast.customer, channel="portal", subject="Frage", body_text="Hallo?"
    ).message.conversation
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = send_reply(
            conversation=conversation, author=cast.agent, body_text="Antwort", channel="portal"
        )
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    assert mail.outbox == []
