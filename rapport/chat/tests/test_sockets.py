"""The chat's WebSockets end to end in-process: both ways, typing, catch-up, refusals."""

import json

import pytest
from django.test import Client

from rapport.chat import actions
from rapport.chat.models import ChatSession
from rapport.chat.tests.conftest import (
    agent_socket,
    hello,
    login_cookie,
    receive,
    receive_until,
    run,
    visitor_socket,
)
from rapport.helpdesk.actions import add_internal_note, set_team
from rapport.helpdesk.models import Channel, DeliveryStatus, Direction, Message
from rapport.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_visitor_message_reaches_the_agent_console_and_is_stored(cast, client, started):
    cookie = login_cookie(client, cast.agent)
    conversation = started.session.conversation

    async def scenario():
        agent = agent_socket(cookie, conversation.pk)
        assert (await agent.connect())[0]
        visitor = visitor_socket()
        await hello(visitor, started.token)
        await visitor.send_json_to({"type": "message", "body": "Order 4711", "client_id": "c1"})
        echo = await receive_until(visitor, "message")
        frame = await receive_until(agent, "message")
        await visitor.disconnect()
        await agent.disconnect()
        return echo, frame

    echo, frame = run(scenario)
    assert (frame["from"], frame["body"], frame["name"]) == (
        "visitor",
        "Order 4711",
        "Anna Schmidt",
    )
    assert echo["id"] == frame["id"] and echo["client_id"] == "c1"
    message = Message.objects.get(pk=frame["id"])
    assert (message.conversation, message.channel, message.direction) == (
        conversation,
        Channel.CHAT,
        Direction.INBOUND,
    )
    assert TimelineEvent.objects.filter(
        customer=cast.customer, dedupe_key=f"helpdesk.message:{message.pk}"
    ).exists()


def test_an_agent_reply_reaches_the_visitor_through_send_reply(cast, client, started):
    cookie = login_cookie(client, cast.agent)
    conversation = started.session.conversation

    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        agent = agent_socket(cookie, conversation.pk)
        assert (await agent.connect())[0]
        await agent.send_json_to({"type": "message", "body": "It ships today."})
        frame = await receive_until(visitor, "message")
        await visitor.disconnect()
        await agent.disconnect()
        return frame

    frame = run(scenario)
    assert (frame["from"], frame["body"]) == ("agent", "It ships today.")
    assert frame["name"] == cast.agent.first_name  # the visitor sees a first name only
    reply = Message.objects.get(pk=frame["id"])
    assert (reply.direction, reply.channel, reply.author) == (
        Direction.OUTBOUND,
        Channel.CHAT,
        cast.agent,
    )
    assert reply.delivery_status == DeliveryStatus.SENT
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None


def test_the_typing_indicator_travels_both_ways(cast, client, started):
    cookie = login_cookie(client, cast.agent)
    cast.agent.first_name = "Alex"
    cast.agent.save()

    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        agent = agent_socket(cookie, started.session.conversation_id)
        assert (await agent.connect())[0]
        await visitor.send_json_to({"type": "typing", "typing": True})
        seen_by_agent = await receive_until(agent, "typing")
        await agent.send_json_to({"type": "typing", "typing": True})
        seen_by_visitor = await receive_until(visitor, "typing")
        await visitor.disconnect()
        await agent.disconnect()
        return seen_by_agent, seen_by_visitor

    seen_by_agent, seen_by_visitor = run(scenario)
    assert seen_by_agent == {
        "type": "typing",
        "from": "visitor",
        "typing": True,
        "name": "Anna Schmidt",
    }
    assert seen_by_visitor == {"type": "typing", "from": "agent", "typing": True, "name": "Alex"}


def test_a_reconnecting_visitor_is_sent_every_message_after_the_last_one_seen(cast, started):
    conversation = started.session.conversation
    first = actions.post_agent_reply(conversation=conversation, author=cast.agent, body="One")
    # The visitor is away while these two arrive.
    second = actions.post_agent_reply(conversation=conversation, author=cast.agent, body="Two")
    third = actions.post_agent_reply(conversation=conversation, author=cast.agent, body="Three")
    add_internal_note(conversation=conversation, author=cast.agent, body_text="not for them")

    async def scenario():
        visitor = visitor_socket()
        frames = await hello(visitor, started.token, last_id=first.pk)
        await visitor.disconnect()
        return frames

    frames = run(scenario)
    assert [(f["id"], f["body"]) for f in frames] == [(second.pk, "Two"), (third.pk, "Three")]


def test_a_resent_message_with_the_same_client_id_is_stored_once(cast, started):
    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        for _attempt in range(2):
            await visitor.send_json_to({"type": "message", "body": "Hello?", "client_id": "abc"})
        first = await receive_until(visitor, "message")
        second = await receive_until(visitor, "message")
        await visitor.disconnect()
        return first, second

    first, second = run(scenario)
    assert first["id"] == second["id"]
    assert Message.objects.filter(body_text="Hello?").count() == 1


def test_a_bad_token_is_refused_with_an_error_frame_and_a_close(cast):
    async def scenario():
        visitor = visitor_socket()
        assert (await visitor.connect())[0]
        await visitor.send_json_to({"type": "hello", "token": "rcv_guessed-token-123"})
        frame = await receive(visitor)
        code = await visitor.receive_close()
        return frame, code

    frame, code = run(scenario)
    assert frame["type"] == "error" and frame["code"] == "invalid_token"
    assert code == 4401


def test_messages_before_hello_are_refused(cast):
    async def scenario():
        visitor = visitor_socket()
        assert (await visitor.connect())[0]
        await visitor.send_json_to({"type": "message", "body": "sneaky"})
        frame = await receive(visitor)
        return frame, await visitor.receive_close()

    frame, code = run(scenario)
    assert frame["code"] == "not_authenticated" and code == 4401
    assert not Message.objects.filter(body_text="sneaky").exists()


def test_a_visitor_from_a_site_not_allowed_is_refused(cast, started, settings):
    settings.CHAT_ALLOWED_ORIGINS = ["https://shop.example"]

    async def scenario():
        visitor = visitor_socket(origin="https://evil.example")
        assert (await visitor.connect())[0]
        frame = await receive(visitor)
        code = await visitor.receive_close()
        allowed = visitor_socket(origin="https://shop.example")
        await hello(allowed, started.token)
        await allowed.disconnect()
        return frame, code

    frame, code = run(scenario)
    assert frame["code"] == "origin_not_allowed" and code == 4403


def test_an_oversize_or_garbled_frame_gets_an_error_and_nothing_is_stored(cast, started, settings):
    settings.CHAT_MAX_MESSAGE_CHARS = 100

    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        await visitor.send_json_to({"type": "message", "body": "x" * 101, "client_id": "big"})
        too_long = await receive(visitor)
        await visitor.send_text("y" * 10_000)
        too_large = await receive(visitor)
        await visitor.send_text("{not json")
        garbled = await receive(visitor)
        await visitor.send_json_to({"type": "message", "body": "still here"})
        still = await receive_until(visitor, "message")
        await visitor.disconnect()
        return too_long, too_large, garbled, still

    too_long, too_large, garbled, still = run(scenario)
    assert (too_long["code"], too_long["client_id"]) == ("too_long", "big")
    assert "100" in too_long["message"]
    assert too_large["code"] == "too_long"
    assert garbled["code"] == "bad_frame"
    assert still["body"] == "still here"
    assert not Message.objects.filter(body_text__startswith="x" * 50).exists()


def test_a_visitor_sending_too_fast_is_rate_limited(cast, started, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 3

    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        frames = []
        for number in range(4):
            await visitor.send_json_to({"type": "message", "body": f"m{number}"})
            frames.append(await receive(visitor))
        await visitor.disconnect()
        return frames

    frames = run(scenario)
    assert [f["type"] for f in frames] == ["message", "message", "message", "error"]
    assert frames[-1]["code"] == "rate_limited" and frames[-1]["retry_after"] > 0
    assert not Message.objects.filter(body_text="m3").exists()


def test_a_visitor_never_receives_another_conversations_messages_or_notes(cast, client, started):
    cookie = login_cookie(client, cast.agent)
    other = actions.start_chat(email="ben@example.org", question="Ben's question")

    async def scenario():
        anna = visitor_socket()
        await hello(anna, started.token)
        ben = visitor_socket()
        ben_history = await hello(ben, other.token)
        # Anna's frame names Ben's conversation: the socket only ever writes to her own.
        await anna.send_json_to(
            {"type": "message", "body": "Anna here", "conversation": other.session.conversation_id}
        )
        await receive_until(anna, "message")
        agent = agent_socket(cookie, other.session.conversation_id)
        assert (await agent.connect())[0]
        await agent.send_json_to({"type": "message", "body": "For Ben only"})
        for_ben = await receive_until(ben, "message")
        nothing_for_anna = await anna.receive_nothing(timeout=0.5)
        for sock in (anna, ben, agent):
            await sock.disconnect()
        return ben_history, for_ben, nothing_for_anna

    ben_history, for_ben, nothing_for_anna = run(scenario)
    assert for_ben["body"] == "For Ben only"
    assert nothing_for_anna
    assert all(frame["body"] != "Where is my order?" for frame in ben_history)
    anna_message = Message.objects.get(body_text="Anna here")
    assert anna_message.conversation_id == started.session.conversation_id


def test_internal_notes_are_never_sent_to_the_visitor(cast, started):
    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        from channels.db import database_sync_to_async

        await database_sync_to_async(add_internal_note)(
            conversation=started.session.conversation, author=cast.agent, body_text="Secret"
        )
        nothing = await visitor.receive_nothing(timeout=0.5)
        await visitor.disconnect()
        return nothing

    assert run(scenario)


def test_the_agent_socket_refuses_people_who_may_not_see_the_conversation(cast, client, started):
    conversation = started.session.conversation
    set_team(conversation=conversation, actor=None, team=cast.team_a)

    users = (cast.agent, cast.other_agent, cast.portal_user, cast.marketer)
    cookies = {user: login_cookie(Client(), user) for user in users}

    async def attempt(user, origin="http://testserver"):
        socket = agent_socket(cookies[user], conversation.pk, origin=origin)
        connected, code = await socket.connect()
        if connected:
            await socket.disconnect()
        return connected, code

    async def anonymous():
        from rapport.asgi import application
        from rapport.chat.tests.conftest import WebsocketCommunicator

        socket = WebsocketCommunicator(
            application,
            f"/ws/chat/agent/{conversation.pk}/",
            headers=[(b"origin", b"http://testserver")],
        )
        return await socket.connect()

    assert run(attempt, cast.agent)[0] is True
    assert run(attempt, cast.other_agent) == (False, 4403)
    assert run(attempt, cast.portal_user) == (False, 4403)
    assert run(attempt, cast.marketer) == (False, 4403)
    assert run(anonymous) == (False, 4403)
    # A page on another site cannot use an agent's cookie (cross-site WebSocket hijacking).
    assert run(attempt, cast.agent, "https://evil.example")[0] is False


def test_a_reply_after_the_visitor_ended_the_chat_is_kept_but_marked_not_delivered(
    cast, client, started
):
    cookie = login_cookie(client, cast.agent)

    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        await visitor.send_json_to({"type": "end"})
        ended = await receive_until(visitor, "ended")
        agent = agent_socket(cookie, started.session.conversation_id)
        assert (await agent.connect())[0]
        await agent.send_json_to({"type": "message", "body": "Are you still there?"})
        error = await receive_until(agent, "error")
        await agent.disconnect()
        return ended, error

    ended, error = run(scenario)
    assert error["code"] == "not_delivered"
    reply = Message.objects.get(body_text="Are you still there?")
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert not ChatSession.objects.get(pk=started.session.pk).is_active
    assert json.dumps(ended)


def test_a_second_hello_with_another_token_keeps_the_socket_on_its_own_chat(cast, started):
    other = actions.start_chat(email="ben@example.org", question="Ben's secret question")

    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        await visitor.send_json_to({"type": "hello", "token": other.token, "last_id": 0})
        frames = []
        while not await visitor.receive_nothing(timeout=0.3):
            frames.append(await receive(visitor))
        await visitor.disconnect()
        return frames

    bodies = [frame.get("body") for frame in run(scenario)]
    assert "Where is my order?" in bodies
    assert "Ben's secret question" not in bodies
