"""The widget's JSON API and the portal page of the assistant, with their bad inputs."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.assistant import actions
from rapport.assistant.models import AssistantSession, SessionChannel, SessionStatus
from rapport.assistant.tests.test_sessions import NONSENSE, REFUND_QUESTION, articles  # noqa: F401
from rapport.assistant.views import OWNER_KEY, TOKEN_KEY
from rapport.factories import UserFactory
from rapport.helpdesk.models import Conversation

# Every test has the small help centre of test_sessions.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("articles")]

SHOP = "https://shop.example"


@pytest.fixture(autouse=True)
def _open_api(settings):
    settings.CHAT_ALLOWED_ORIGINS = []
    cache.clear()  # the per-address limits


def post(client, name, data, **extra):
    body = data if isinstance(data, bytes | str) else json.dumps(data)
    return client.post(
        reverse(f"assistant:{name}"),
        body,
        content_type="application/json",
        HTTP_ORIGIN=SHOP,
        **extra,
    )


def start(client, **data) -> str:
    response = post(client, "api_start", {"lang": "en", **data})
    assert response.status_code == 201, response.content
    return response.json()["token"]


def test_a_visitor_asks_rates_and_hands_over_through_the_api(client):
    response = post(client, "api_start", {"lang": "en"})
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "*"
    token = response.json()["token"]
    assert response.json()["greeting"].startswith("Hello")

    answer = post(client, "api_ask", {"token": token, "question": REFUND_QUESTION}).json()["answer"]
    assert answer["handoff"] is False
    assert answer["article"]["url"] == "http://testserver/help/en/refund-timing/"
    assert "3 to 5 working days" in answer["text"]
    assert "score" not in json.dumps(answer)  # scores are for agents, not visitors

    rated = post(client, "api_feedback", {"token": token, "turn": answer["id"], "helpful": False})
    assert rated.json() == {"helpful": False, "offer_person": True}

    handed = post(
        client, "api_handover", {"token": token, "mode": "chat", "name": "Greta", "email": ""}
    )
    assert handed.status_code == 201
    body = handed.json()
    assert body["chat_token"].startswith("rcv_") and body["already"] is False
    assert Conversation.objects.get().number == body["number"]

    again = post(client, "api_handover", {"token": token, "mode": "chat"})
    assert again.status_code == 200
    assert again.json() == {"number": body["number"], "already": True}
    assert Conversation.objects.count() == 1

    refused = post(client, "api_ask", {"token": token, "question": REFUND_QUESTION})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "handed_over"


def test_a_known_email_is_greeted_by_name_in_the_api(client, cast):
    response = post(
        client, "api_start", {"lang": "de", "name": "Anna Schmidt", "email": "anna@example.org"}
    )
    assert response.json()["recognised"] is True
    assert "Schmidt" in response.json()["greeting"] or "Anna" in response.json()["greeting"]
    unnamed = post(client, "api_start", {"lang": "de", "email": "anna@example.org"})
    assert unnamed.json()["recognised"] is False
    assert "Schmidt" not in unnamed.json()["greeting"]


def test_the_offline_hand_over_needs_an_email_address(client):
    token = start(client)
    post(client, "api_ask", {"token": token, "question": NONSENSE})
    refused = post(client, "api_handover", {"token": token, "mode": "email"})
    assert refused.status_code == 400
    assert "email" in refused.json()["error"]["fields"]
    accepted = post(
        client, "api_handover", {"token": token, "mode": "email", "email": "greta@example.org"}
    )
    assert accepted.status_code == 201 and "chat_token" not in accepted.json()


@pytest.mark.parametrize(
    "question, code",
    [
        ("", "invalid"),
        ("   ", "invalid"),
        ("x" * 10_000, "invalid"),
        ("\x00\x01\x02\x03", "invalid"),
        (None, "invalid"),
        ({"nested": "object"}, "invalid"),
    ],
)
def test_bad_questions_get_a_clear_400(client, question, code):
    token = start(client)
    response = post(client, "api_ask", {"token": token, "question": question})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("question", ["🙂🙂🙂", "ß", 'NEAR("refund" * -x:(y))'])
def test_odd_but_readable_questions_get_an_answer_or_the_offer_of_a_person(client, question):
    token = start(client)
    response = post(client, "api_ask", {"token": token, "question": question})
    assert response.status_code == 200
    assert response.json()["answer"]["text"]


@pytest.mark.parametrize("body", [b"\xff\xfe\x00binary", b"[1, 2]", b"not json", '"text"'])
def test_a_body_that_is_not_a_json_object_is_refused(client, body):
    response = post(client, "api_ask", body)
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("token", ["", "short", "ras_" + "x" * 40, None, 123, "y" * 500])
def test_unknown_tokens_get_a_clear_404(client, token):
    for name, data in (
        ("api_ask", {"question": REFUND_QUESTION}),
        ("api_feedback", {"turn": 1, "helpful": True}),
        ("api_handover", {"mode": "chat"}),
    ):
        response = post(client, name, {"token": token, **data})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "invalid_token"


def test_an_expired_token_is_refused(client):
    token = start(client)
    AssistantSession.objects.update(updated_at=timezone.now() - timedelta(days=2))
    response = post(client, "api_ask", {"token": token, "question": REFUND_QUESTION})
    assert response.status_code == 404


def test_a_portal_session_cannot_be_used_through_the_widget_api(cast, client):
    started = actions.start_session(channel=SessionChannel.PORTAL, customer=cast.customer)
    actions.ask_question(session=started.session, question=REFUND_QUESTION)
    for name, data in (
        ("api_ask", {"question": REFUND_QUESTION}),
        ("api_handover", {"mode": "chat"}),
    ):
        response = post(client, name, {"token": started.token, **data})
        assert response.status_code == 404
        assert (
            "Schmidt" not in response.content.decode() and "Anna" not in response.content.decode()
        )
    assert not Conversation.objects.exists()


def test_another_sessions_answer_cannot_be_rated(client):
    mine, theirs = start(client), start(client)
    answer = post(client, "api_ask", {"token": theirs, "question": REFUND_QUESTION}).json()
    response = post(
        client, "api_feedback", {"token": mine, "turn": answer["answer"]["id"], "helpful": True}
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_answer"


@pytest.mark.parametrize("helpful", ["yes", 1, None])
def test_feedback_must_be_true_or_false(client, helpful):
    token = start(client)
    answer = post(client, "api_ask", {"token": token, "question": REFUND_QUESTION}).json()
    response = post(
        client, "api_feedback", {"token": token, "turn": answer["answer"]["id"], "helpful": helpful}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("mode", ["portal", "fax", None, ["chat"]])
def test_an_unknown_hand_over_mode_is_refused(client, mode):
    token = start(client)
    response = post(client, "api_handover", {"token": token, "mode": mode})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_mode"


def test_a_foreign_origin_is_refused_when_origins_are_listed(client, settings):
    settings.CHAT_ALLOWED_ORIGINS = ["https://allowed.example"]
    response = post(client, "api_start", {"lang": "en"})
    assert response.status_code == 403
    assert not AssistantSession.objects.exists()


def test_the_preflight_request_is_answered(client):
    response = client.options(reverse("assistant:api_ask"), HTTP_ORIGIN=SHOP)
    assert response.status_code == 204
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_the_widget_config_announces_the_assistant_and_its_texts(client):
    config = client.get(reverse("chat:api_config") + "?lang=en").json()
    assert config["assistant"] is True
    assert config["strings"]["ask"] == "Ask the assistant"
    assert config["strings"]["talk_to_person"] == "Talk to a person"


# --- The portal page --------------------------------------------------------------------------


def test_a_visitor_uses_the_assistant_in_the_portal_and_leaves_an_email(client):
    page = client.get(reverse("assistant:portal"))
    assert page.status_code == 200 and b"How can I help you?" in page.content
    assert not AssistantSession.objects.exists()  # looking creates nothing

    response = client.post(reverse("assistant:portal_ask"), {"question": REFUND_QUESTION})
    assert response.status_code == 302
    page = client.get(reverse("assistant:portal"))
    assert b"3 to 5 working days" in page.content
    assert b'href="/help/en/refund-timing/"' in page.content
    assert b"Did this help?" in page.content

    turn = AssistantSession.objects.get().turns.last()
    client.post(reverse("assistant:portal_feedback", args=[turn.pk]), {"helpful": "no"})
    turn.refresh_from_db()
    assert turn.helpful is False

    missing = client.post(reverse("assistant:portal_handover"), {"message": ""})
    assert missing.status_code == 400 and b"email address" in missing.content
    response = client.post(
        reverse("assistant:portal_handover"), {"name": "Greta Lind", "email": "greta@example.org"}
    )
    assert response.status_code == 302
    conversation = Conversation.objects.get()
    page = client.get(reverse("assistant:portal"))
    assert conversation.number.encode() in page.content
    assert conversation.messages.filter(body_text=REFUND_QUESTION).exists()


def test_a_signed_in_customer_is_greeted_and_handed_over_to_their_request(client, cast):
    client.force_login(cast.portal_user)
    page = client.get(reverse("assistant:portal"))
    assert b"Schmidt" in page.content or b"Anna" in page.content
    client.post(reverse("assistant:portal_ask"), {"question": NONSENSE})
    response = client.post(reverse("assistant:portal_handover"), {"message": "Please help."})
    conversation = Conversation.objects.get()
    assert conversation.customer == cast.customer
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:conversation", args=[conversation.pk])
    assert AssistantSession.objects.get().status == SessionStatus.HANDED_OVER


@pytest.mark.parametrize("question", ["", "x" * 10_000, "\x00\x01"])
def test_bad_questions_in_the_portal_get_a_message_not_a_500(client, question):
    response = client.post(reverse("assistant:portal_ask"), {"question": question})
    assert response.status_code == 400
    assert b"errors" in response.content or b"errorlist" in response.content


def test_portal_feedback_on_an_unknown_answer_is_a_4xx(client):
    assert client.post(reverse("assistant:portal_feedback", args=[999]), {}).status_code == 400
    client.post(reverse("assistant:portal_ask"), {"question": REFUND_QUESTION})
    response = client.post(reverse("assistant:portal_feedback", args=[999]), {"helpful": "yes"})
    assert response.status_code == 404


def test_another_customers_exchange_is_never_shown_in_the_portal(client, cast):
    client.force_login(cast.portal_user)
    client.post(reverse("assistant:portal_ask"), {"question": "Secret refund question"})
    token = client.session[TOKEN_KEY]

    other_user = UserFactory(username="ben", role=Role.CUSTOMER)
    cast.other_customer.portal_user = other_user
    cast.other_customer.save()
    client.force_login(other_user)
    session = client.session
    session[TOKEN_KEY], session[OWNER_KEY] = token, cast.customer.pk
    session.save()
    page = client.get(reverse("assistant:portal"))
    assert b"Secret refund question" not in page.content


def test_asking_something_new_closes_the_old_exchange(client):
    client.post(reverse("assistant:portal_ask"), {"question": REFUND_QUESTION})
    client.post(reverse("assistant:portal_restart"))
    assert AssistantSession.objects.get().status == SessionStatus.CLOSED
    assert b"3 to 5 working days" not in client.get(reverse("assistant:portal")).content


def test_agents_see_the_explanation_of_each_answer_on_the_conversation(client, cast):
    token = start(client)
    post(client, "api_ask", {"token": token, "question": REFUND_QUESTION})
    post(client, "api_ask", {"token": token, "question": NONSENSE})
    post(client, "api_handover", {"token": token, "mode": "chat"})
    conversation = Conversation.objects.get()
    client.force_login(cast.admin)
    page = client.get(reverse("helpdesk:conversation", args=[conversation.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Assistant: why this answer" in html
    assert "Assistant: handed over to a person" in html
    assert "refund-timing" in html and "Answered from the knowledge base" in html
