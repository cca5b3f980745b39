import json

import pytest

from rapport.accounts.actions import create_api_token
from rapport.customers.models import ContactKind, ContactPoint, Customer
from rapport.helpdesk.actions import add_internal_note, merge_conversations, receive_message
from rapport.helpdesk.models import Conversation, Direction, Message, MessageKind

URL = "/api/v1/conversations"
CALLS = "/api/v1/telephony/calls"


@pytest.fixture
def api(client, api_token):
    """Call the API as the agent (team "First level")."""

    def call(method, url, body=None, token=None, **headers):
        headers = {"Authorization": f"Bearer {token or api_token}", **headers}
        kwargs = {"headers": headers}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(client, method)(url, **kwargs)

    return call


def token_for(user):
    return create_api_token(user=user, name="t")[1]


def conversation_for(customer, *, team=None, subject="Rechnung falsch", text="Hallo"):
    conversation = receive_message(
        customer=customer, channel="email", subject=subject, body_text=text
    ).message.conversation
    if team is not None:
        Conversation.objects.filter(pk=conversation.pk).update(team=team)
    conversation.refresh_from_db()
    return conversation


def test_list_shows_only_conversations_the_agent_may_see(api, cast):
    mine = conversation_for(cast.customer, team=cast.team_a)
    conversation_for(cast.other_customer, team=cast.team_b)
    response = api("get", URL)
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["items"]] == [mine.pk]


def test_list_filters_by_status_channel_and_customer(api, cast):
    first = conversation_for(cast.customer)
    second = conversation_for(cast.other_customer)
    Conversation.objects.filter(pk=second.pk).update(status="solved")
    assert [c["id"] for c in api("get", URL + "?status=solved").json()["items"]] == [second.pk]
    assert [c["id"] for c in api("get", f"{URL}?customer={cast.customer.pk}").json()["items"]] == [
        first.pk
    ]
    assert api("get", URL + "?channel=chat").json()["items"] == []
    assert api("get", URL + "?assignee=none").json()["total"] == 2


def test_list_pages_through_all_conversations_with_cursors(api, cast):
    ids = {conversation_for(cast.customer, subject=f"S{i}").pk for i in range(5)}
    seen, cursor = [], None
    while True:
        url = URL + "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api("get", url).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == 5


def test_unknown_status_filter_is_a_field_error(api, cast):
    response = api("get", URL + "?status=bogus")
    assert response.status_code == 422
    assert "status" in response.json()["error"]["fields"]


def test_create_opens_a_conversation_with_the_first_inbound_message(api, cast):
    response = api(
        "post",
        URL,
        {"customer_id": cast.customer.pk, "subject": "Lieferung", "text": "Wo bleibt sie?"},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].endswith(str(data["id"]))
    assert data["channel"] == "api"
    message = Message.objects.get(conversation_id=data["id"], direction=Direction.INBOUND)
    assert message.direction == Direction.INBOUND
    assert message.body_text == "Wo bleibt sie?"


def test_create_with_the_same_idempotency_key_creates_one_conversation(api, cast):
    body = {"customer_id": cast.customer.pk, "subject": "Einmal", "text": "Nur einmal bitte"}
    first = api("post", URL, body, **{"Idempotency-Key": "k-1"})
    second = api("post", URL, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Conversation.objects.filter(subject="Einmal").count() == 1


def test_list_query_count_does_not_grow_with_page_size(api, cast, django_assert_max_num_queries):
    for i in range(12):
        conversation = conversation_for(cast.customer, subject=f"S{i}")
        Conversation.objects.get(pk=conversation.pk).tags.create(name=f"t{i}")
    with django_assert_max_num_queries(8):
        response = api("get", URL + "?limit=12")
    assert len(response.json()["items"]) == 12


def test_create_with_a_known_external_id_returns_the_existing_conversation(api, cast):
    body = {"customer_id": cast.customer.pk, "subject": "Shop", "text": "Hi", "external_id": "o-1"}
    first = api("post", URL, body)
    second = api("post", URL, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]


def test_create_for_an_unknown_customer_names_the_field(api, cast):
    response = api("post", URL, {"customer_id": 999999, "subject": "x", "text": "y"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["customer_id"][0]["code"] == "does_not_exist"
    assert not Conversation.objects.exists()


def test_create_without_body_is_refused_with_field_names(api, cast):
    response = api("post", URL, {"customer_id": cast.customer.pk})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"subject", "text"}


def test_marketer_cannot_create_conversations(api, cast):
    response = api(
        "post",
        URL,
        {"customer_id": cast.customer.pk, "subject": "x", "text": "y"},
        token=token_for(cast.marketer),
    )
    assert response.status_code == 403
    assert not Conversation.objects.exists()


def test_retrieve_another_teams_conversation_is_404(api, cast):
    hidden = conversation_for(cast.other_customer, team=cast.team_b)
    response = api("get", f"{URL}/{hidden.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_patch_changes_status_priority_assignee_and_tags_with_events(api, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    response = api(
        "patch",
        f"{URL}/{conversation.pk}",
        {"status": "pending", "priority": "high", "assignee_id": cast.agent.pk, "tags": ["b", "a"]},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["priority"], data["assignee_id"], data["tags"]) == (
        "pending",
        "high",
        cast.agent.pk,
        ["a", "b"],
    )
    kinds = set(conversation.events.values_list("kind", flat=True))
    assert {"status", "priority", "assignee", "tags"} <= kinds


def test_patch_with_unknown_assignee_changes_nothing(api, cast):
    conversation = conversation_for(cast.customer)
    response = api(
        "patch", f"{URL}/{conversation.pk}", {"priority": "urgent", "assignee_id": 999999}
    )
    assert response.status_code == 422
    assert "assignee_id" in response.json()["error"]["fields"]
    conversation.refresh_from_db()
    assert conversation.priority == "normal"


def test_patch_of_a_merged_conversation_reports_the_helpdesk_code_as_conflict(api, cast):
    source = conversation_for(cast.customer)
    target = conversation_for(cast.customer)
    merge_conversations(source=source, target=target, actor=cast.agent)
    response = api("patch", f"{URL}/{source.pk}", {"status": "open"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "merged"


def test_patch_with_unknown_priority_is_a_field_error(api, cast):
    conversation = conversation_for(cast.customer)
    response = api("patch", f"{URL}/{conversation.pk}", {"priority": "asap"})
    assert response.status_code == 422
    assert "priority" in response.json()["error"]["fields"]


def test_messages_list_the_whole_thread_in_order(api, cast):
    conversation = conversation_for(cast.customer, text="Erste Nachricht")
    add_internal_note(conversation=conversation, author=cast.agent, body_text="intern")
    response = api("get", f"{URL}/{conversation.pk}/messages")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [m["direction"] for m in items if m["kind"] != "system"] == ["inbound", "note"]
    assert items[0]["body_text"] == "Erste Nachricht"


def test_reply_is_stored_as_outbound_and_queued_for_sending(api, cast):
    conversation = conversation_for(cast.customer)
    response = api(
        "post",
        f"{URL}/{conversation.pk}/messages",
        {"text": "Wir kümmern uns.", "channel": "portal", "status": "pending"},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["direction"], data["channel"]) == ("outbound", "portal")
    conversation.refresh_from_db()
    assert conversation.status == "pending"
    assert conversation.agent_reply_count == 1


def test_note_is_internal(api, cast):
    conversation = conversation_for(cast.customer)
    response = api("post", f"{URL}/{conversation.pk}/messages", {"type": "note", "text": "@agent"})
    assert response.status_code == 201
    assert response.json()["direction"] == "note"


def test_reply_on_the_phone_channel_is_refused_with_its_code(api, cast):
    conversation = conversation_for(cast.customer)
    before = conversation.messages.count()
    response = api("post", f"{URL}/{conversation.pk}/messages", {"text": "x", "channel": "phone"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_channel"
    assert conversation.messages.count() == before


def test_empty_reply_is_a_field_error(api, cast):
    conversation = conversation_for(cast.customer)
    response = api("post", f"{URL}/{conversation.pk}/messages", {"text": "   "})
    assert response.status_code == 422
    assert "text" in response.json()["error"]["fields"]


def test_reply_with_an_idempotency_key_is_sent_once(api, cast):
    conversation = conversation_for(cast.customer)
    for _ in range(2):
        response = api(
            "post",
            f"{URL}/{conversation.pk}/messages",
            {"text": "Einmal"},
            **{"Idempotency-Key": "reply-1"},
        )
        assert response.status_code == 201
    assert conversation.messages.filter(body_text="Einmal").count() == 1


def test_reply_to_another_teams_conversation_is_404(api, cast):
    hidden = conversation_for(cast.other_customer, team=cast.team_b)
    before = hidden.messages.count()
    response = api("post", f"{URL}/{hidden.pk}/messages", {"text": "x"})
    assert response.status_code == 404
    assert hidden.messages.count() == before


def test_openapi_schema_documents_the_conversation_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/conversations" in paths
    assert "/api/v1/conversations/{conversation_id}/messages" in paths
    assert "/api/v1/telephony/calls" in paths


# --- Telephony ------------------------------------------------------------------------------


def call(**fields):
    return {
        "call_id": "c-1",
        "direction": "inbound",
        "from": "+49 30 1234567",
        "to": "+49 30 999999",
        "started_at": "2026-05-04T09:00:00Z",
        "duration_seconds": 240,
        "outcome": "answered",
        **fields,
    }


def test_call_from_an_unknown_number_creates_customer_and_phone_conversation(api, cast):
    response = api(
        "post", CALLS, call(agent_email=cast.agent.email, notes="Passwort zurückgesetzt")
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["customer_created"] and data["conversation_created"]
    conversation = Conversation.objects.get(pk=data["conversation_id"])
    assert conversation.channel == "phone"
    assert conversation.handling_seconds == 240
    assert conversation.first_response_at is not None
    message = conversation.messages.get(kind=MessageKind.CALL)
    assert message.author == cast.agent
    customer = Customer.objects.get(pk=data["customer_id"])
    assert customer.contact_points.get().normalized == "+49301234567"


def test_call_from_a_known_number_continues_the_open_conversation(api, cast):
    ContactPoint.objects.create(
        customer=cast.customer,
        kind=ContactKind.PHONE,
        value="+49301234567",
        normalized="+49301234567",
    )
    open_one = conversation_for(cast.customer)
    response = api("post", CALLS, call(**{"from": "030 1234567"}))
    assert response.status_code == 201
    data = response.json()
    assert data["conversation_id"] == open_one.pk
    assert not data["customer_created"] and not data["conversation_created"]


def test_repeated_call_id_is_recorded_once(api, cast):
    first = api("post", CALLS, call())
    second = api("post", CALLS, call())
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["message_id"] == first.json()["message_id"]
    assert Message.objects.filter(kind=MessageKind.CALL).count() == 1
    assert Customer.objects.filter(contact_points__normalized="+49301234567").count() == 1


def test_call_naming_a_conversation_continues_it(api, cast):
    conversation = conversation_for(cast.customer)
    Conversation.objects.filter(pk=conversation.pk).update(status="solved")
    response = api("post", CALLS, call(conversation_number=conversation.number))
    assert response.status_code == 201
    assert response.json()["conversation_id"] == conversation.pk
    assert response.json()["customer_id"] == cast.customer.pk


def test_call_with_an_invalid_number_names_the_field_and_stores_nothing(api, cast):
    before = Customer.objects.count()
    response = api("post", CALLS, call(**{"from": "not a number"}))
    assert response.status_code == 422
    assert "from" in response.json()["error"]["fields"]
    assert Customer.objects.count() == before
    assert not Conversation.objects.exists()


def test_call_with_an_unknown_agent_email_is_refused(api, cast):
    response = api("post", CALLS, call(agent_email="nobody@example.com"))
    assert response.status_code == 422
    assert "agent_email" in response.json()["error"]["fields"]


def test_call_with_a_negative_duration_is_refused(api, cast):
    response = api("post", CALLS, call(duration_seconds=-5))
    assert response.status_code == 422
    assert "duration_seconds" in response.json()["error"]["fields"]


def test_call_without_a_token_is_refused(client, cast):
    response = client.post(CALLS, json.dumps(call()), content_type="application/json")
    assert response.status_code == 401


def test_call_time_without_a_time_zone_is_refused(api, cast):
    response = api("post", CALLS, call(started_at="2026-05-04T09:00:00"))
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["started_at"][0]["code"] == "naive_datetime"
