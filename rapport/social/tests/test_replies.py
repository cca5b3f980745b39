import json

import pytest

from rapport.helpdesk.actions import send_reply
from rapport.helpdesk.models import Conversation, DeliveryStatus
from rapport.social.tests.conftest import item
from rapport.webhooks.signing import verify
from rapport.webhooks.tests.receiver import Receiver

SENT_BY_TEST_ADAPTER = []


def recording_adapter(*, source, message, context):
    """A network-specific adapter, plugged in through settings.SOCIAL_ADAPTERS."""
    SENT_BY_TEST_ADAPTER.append((source.network, message.body_text, context["author_handle"]))
    return "net-42"


@pytest.fixture
def conversation(ingest, cast):
    data = ingest(item(type="mention", id="777")).json()
    return Conversation.objects.get(pk=data["conversation_id"])


def reply(conversation, agent, django_capture_on_commit_callbacks, text="Das tut uns leid!"):
    with django_capture_on_commit_callbacks(execute=True):
        message = send_reply(conversation=conversation, author=agent, body_text=text)
    message.refresh_from_db()
    return message


def test_reply_is_posted_signed_to_the_sources_reply_url(
    conversation, source, cast, django_capture_on_commit_callbacks
):
    with Receiver(response_body=b'{"id": "reply-9"}') as server:
        source.reply_url = server.url
        source.save()
        message = reply(conversation, cast.agent, django_capture_on_commit_callbacks)
    assert message.channel == "social"
    assert message.delivery_status == DeliveryStatus.SENT
    assert message.external_id == "mastodon:reply-9"
    request = server.requests[0]
    payload = json.loads(request.body)
    assert payload["text"] == "Das tut uns leid!"
    assert payload["in_reply_to"] == "777"
    assert payload["public"] is True
    assert payload["recipient"] == {"handle": "lena"}
    assert (
        verify(
            source.signing_secret,
            timestamp=request.headers["X-Rapport-Timestamp"],
            signature=request.headers["X-Rapport-Signature"],
            body=request.body,
        )
        == ""
    )


def test_answer_to_our_reply_joins_the_same_conversation(
    conversation, source, ingest, cast, django_capture_on_commit_callbacks
):
    with Receiver(response_body=b'{"id": "reply-9"}') as server:
        source.reply_url = server.url
        source.save()
        reply(conversation, cast.agent, django_capture_on_commit_callbacks)
    response = ingest(item(type="mention", id="778", in_reply_to="reply-9", text="Danke!"))
    assert response.json()["conversation_id"] == conversation.pk


def test_reply_refused_by_the_relay_is_marked_failed(
    conversation, source, cast, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[400]) as server:
        source.reply_url = server.url
        source.save()
        message = reply(conversation, cast.agent, django_capture_on_commit_callbacks)
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "400" in message.delivery_error


def test_reply_without_a_reply_url_fails_with_a_reason(
    conversation, cast, django_capture_on_commit_callbacks
):
    message = reply(conversation, cast.agent, django_capture_on_commit_callbacks)
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "reply URL" in message.delivery_error


def test_network_specific_adapter_plugs_in_through_settings(
    conversation, cast, settings, django_capture_on_commit_callbacks
):
    settings.SOCIAL_ADAPTERS = {
        "mastodon": "rapport.social.tests.test_replies.recording_adapter",
        "*": "rapport.social.adapters.send_via_webhook",
    }
    SENT_BY_TEST_ADAPTER.clear()
    message = reply(conversation, cast.agent, django_capture_on_commit_callbacks, text="Hallo Lena")
    assert SENT_BY_TEST_ADAPTER == [("mastodon", "Hallo Lena", "lena")]
    assert message.delivery_status == DeliveryStatus.SENT
    assert message.external_id == "mastodon:net-42"
