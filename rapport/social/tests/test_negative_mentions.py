"""A public mention judged negative is raised to the team; other messages are not."""

import pytest
from django.core import mail

from rapport.helpdesk.models import ConversationEvent, Message, Priority
from rapport.social.tests.conftest import item

pytestmark = pytest.mark.django_db


def test_a_negative_mention_raises_priority_and_emails_the_managers(
    ingest, cast, django_capture_on_commit_callbacks
):
    cast.manager.email = "manager@example.org"
    cast.manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = ingest(
            item(
                type="mention",
                id="777",
                text="@shop Totaler Reinfall, das Paket kam kaputt an. Nie wieder bestelle ich hier!",
            )
        )
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["message_id"])
    assert message.data["sentiment"]["label"] == "negative"
    assert message.conversation.priority == Priority.HIGH
    event = ConversationEvent.objects.get(
        conversation=message.conversation, data__action="negative_mention"
    )
    assert event.data["phrases"] and event.data["users"] == [cast.manager.pk]
    [alert] = [m for m in mail.outbox if m.to == ["manager@example.org"]]
    assert "@lena" in alert.subject
    assert "Nie wieder" in alert.body


def test_a_friendly_mention_and_an_angry_direct_message_raise_nothing(
    ingest, cast, django_capture_on_commit_callbacks
):
    cast.manager.email = "manager@example.org"
    cast.manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        ingest(item(type="mention", id="778", text="@shop Danke, super schnelle Lieferung!"))
        ingest(item(id="779", text="Totaler Reinfall, nie wieder!"))
    assert not ConversationEvent.objects.filter(data__action="negative_mention").exists()
    assert not [m for m in mail.outbox if m.to == ["manager@example.org"]]
    friendly = Message.objects.get(external_id="mastodon:778")
    assert friendly.data["sentiment"]["label"] == "positive"
