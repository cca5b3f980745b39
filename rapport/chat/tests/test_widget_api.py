"""The widget's script and JSON API as a customer's web page calls them."""

import json
from datetime import timedelta

from django.utils import timezone

from rapport.chat import actions
from rapport.chat.actions import mark_agent_present
from rapport.chat.models import AgentPresence, ChatSession
from rapport.customers.models import ContactPoint, Customer
from rapport.helpdesk.actions import receive_message
from rapport.helpdesk.models import Channel, Conversation, Direction, Message

SHOP = {"HTTP_ORIGIN": "https://shop.example"}


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def test_the_widget_script_is_served_by_rapport_for_any_site(client):
    response = client.get("/chat/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert b"/ws/chat/visitor/" in response.content


def test_the_demo_page_embeds_the_widget_with_one_script_tag(client):
    response = client.get("/chat/demo/?lang=de")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<script") == 1
    assert '<script src="/chat/widget.js" data-lang="de" defer></script>' in html


def test_config_says_offline_when_no_available_agent_has_a_console_open(client, cast):
    assert client.get("/chat/api/config?lang=en").json()["online"] is False
    cast.agent.is_available = False
    cast.agent.save()
    mark_agent_present(user=cast.agent)
    assert client.get("/chat/api/config").json()["online"] is False  # away
    mark_agent_present(user=cast.marketer)
    assert client.get("/chat/api/config").json()["online"] is False  # marketers do not chat


def test_config_says_online_while_an_available_agents_console_pinged_recently(client, cast):
    mark_agent_present(user=cast.other_agent)
    body = client.get("/chat/api/config?lang=de", **SHOP).json()
    assert body["online"] is True
    assert body["language"] == "de" and body["strings"]["launcher"]
    AgentPresence.objects.update(last_seen_at=timezone.now() - timedelta(minutes=5))
    assert client.get("/chat/api/config").json()["online"] is False


def test_starting_a_chat_returns_a_token_and_the_conversation_number(client, cast):
    response = post(
        client,
        "/chat/api/start",
        {"name": "Anna", "email": "anna@example.org", "question": "Hi", "lang": "de"},
        **SHOP,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("rcv_")
    session = ChatSession.objects.get()
    assert body["number"] == session.conversation.number
    assert session.customer == cast.customer and session.language == "de"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_start_with_bad_input_is_refused_with_field_errors_and_nothing_saved(client, cast):
    response = post(client, "/chat/api/start", {"email": "nope", "question": ""})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "email" in error["fields"]
    assert client.post("/chat/api/start", "[1,", content_type="application/json").status_code == 400
    assert not ChatSession.objects.exists()
    assert Customer.objects.count() == 2


def test_a_start_from_a_site_not_allowed_is_refused(client, cast, settings):
    settings.CHAT_ALLOWED_ORIGINS = ["https://shop.example"]
    refused = post(
        client, "/chat/api/start", {"question": "Hi"}, HTTP_ORIGIN="https://evil.example"
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_not_allowed"
    allowed = post(client, "/chat/api/start", {"question": "Hi"}, **SHOP)
    assert allowed.status_code == 201
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example"


def test_the_preflight_request_of_a_customers_site_is_answered(client):
    response = client.options("/chat/api/start", **SHOP)
    assert response.status_code == 204
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "Content-Type"


def test_too_many_starts_from_one_address_are_refused(client, cast, settings):
    settings.CHAT_STARTS_PER_ADDRESS = 2
    codes = [post(client, "/chat/api/start", {"question": f"q{n}"}).status_code for n in range(3)]
    assert codes == [201, 201, 429]
    assert ChatSession.objects.count() == 2


def test_the_offline_form_creates_an_email_conversation(client, cast):
    response = post(
        client,
        "/chat/api/offline",
        {"name": "Greta Lind", "email": "greta@example.org", "message": "Call me back?"},
        **SHOP,
    )
    assert response.status_code == 201
    message = Message.objects.get(body_text="Call me back?")
    conversation = message.conversation
    assert (message.channel, message.direction) == (Channel.EMAIL, Direction.INBOUND)
    assert conversation.channel == Channel.EMAIL
    assert (
        ContactPoint.objects.get(normalized="greta@example.org").customer == conversation.customer
    )
    assert not ChatSession.objects.exists()


def test_the_offline_form_continues_the_customers_open_conversation(client, cast):
    open_one = receive_message(
        customer=cast.customer, channel=Channel.CHAT, body_text="Earlier chat"
    ).message.conversation
    post(client, "/chat/api/offline", {"email": "anna@example.org", "message": "Still waiting"})
    message = Message.objects.get(body_text="Still waiting")
    assert message.conversation == open_one and message.channel == Channel.EMAIL


def test_the_offline_form_needs_an_email_address(client, cast):
    response = post(client, "/chat/api/offline", {"name": "Greta", "message": "Hello"})
    assert response.status_code == 400
    assert "email" in response.json()["error"]["fields"]
    assert not Conversation.objects.exists()


def test_an_offline_form_with_the_honeypot_filled_stores_nothing(client, cast):
    response = post(
        client,
        "/chat/api/offline",
        {"email": "bot@example.org", "message": "Buy now", "website": "http://spam.example"},
    )
    assert response.status_code == 201
    assert not Conversation.objects.exists()


def test_replies_go_by_email_once_the_visitor_has_left_the_chat(cast):
    from rapport.chat.models import SessionStatus
    from rapport.helpdesk.actions import reply_channel

    chat = actions.start_chat(email="anna@example.org", question="Wo ist mein Paket?")
    conversation = chat.session.conversation
    assert reply_channel(conversation) == Channel.CHAT
    chat.session.status = SessionStatus.ENDED
    chat.session.save(update_fields=["status"])
    assert reply_channel(conversation) == Channel.EMAIL


def test_an_anonymous_visitor_who_left_is_still_answered_in_the_chat(cast):
    from rapport.chat.models import SessionStatus
    from rapport.helpdesk.actions import reply_channel

    chat = actions.start_chat(name="Gast", question="Hallo?")
    chat.session.status = SessionStatus.ENDED
    chat.session.save(update_fields=["status"])
    assert reply_channel(chat.session.conversation) == Channel.CHAT
