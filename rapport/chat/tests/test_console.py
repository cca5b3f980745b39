"""The agents' side: the list of live chats and the console of one conversation."""

import pytest
from django.template import Context, Template

from rapport.chat import actions
from rapport.helpdesk.actions import add_internal_note, open_conversation, set_team
from rapport.helpdesk.models import Channel, Direction, Message


@pytest.fixture
def ben_chat(cast):
    started = actions.start_chat(email="ben@example.org", question="Billing question")
    set_team(conversation=started.session.conversation, actor=None, team=cast.team_b)
    return started


def test_the_console_lists_only_chats_the_agent_may_see(client, cast, started, ben_chat):
    set_team(conversation=started.session.conversation, actor=None, team=cast.team_a)
    client.force_login(cast.agent)
    response = client.get("/chat/console/")
    assert response.status_code == 200
    html = response.content.decode()
    assert started.session.conversation.number in html
    assert ben_chat.session.conversation.number not in html


def test_the_console_is_for_staff_only(client, cast):
    assert client.get("/chat/console/").status_code == 302  # to the login page
    client.force_login(cast.portal_user)
    assert client.get("/chat/console/").status_code == 403


def test_a_conversation_console_of_another_team_is_not_found(client, cast, ben_chat):
    client.force_login(cast.agent)
    url = f"/chat/console/{ben_chat.session.conversation_id}/"
    assert client.get(url).status_code == 404
    response = client.post(url + "reply/", {"body": "Hi Ben"})
    assert response.status_code == 404
    assert not Message.objects.filter(body_text="Hi Ben").exists()


def test_the_console_shows_the_chat_without_internal_notes(client, cast, started):
    conversation = started.session.conversation
    add_internal_note(conversation=conversation, author=cast.agent, body_text="Internal remark")
    client.force_login(cast.agent)
    html = client.get(f"/chat/console/{conversation.pk}/").content.decode()
    assert "Where is my order?" in html
    assert "Internal remark" not in html
    assert f'data-socket="/ws/chat/agent/{conversation.pk}/"' in html


def test_a_reply_without_javascript_is_sent_through_send_reply(client, cast, started):
    conversation = started.session.conversation
    client.force_login(cast.agent)
    response = client.post(f"/chat/console/{conversation.pk}/reply/", {"body": "Hello Anna"})
    assert response.status_code == 302
    reply = Message.objects.get(body_text="Hello Anna")
    assert (reply.direction, reply.channel, reply.author) == (
        Direction.OUTBOUND,
        Channel.CHAT,
        cast.agent,
    )


def test_an_empty_reply_is_refused_with_a_message(client, cast, started):
    client.force_login(cast.agent)
    url = f"/chat/console/{started.session.conversation_id}/reply/"
    response = client.post(url, {"body": "  "}, follow=True)
    assert "Please write a message." in response.content.decode()
    assert not Message.objects.filter(direction=Direction.OUTBOUND, author=cast.agent).exists()


def test_the_console_include_renders_nothing_for_a_conversation_without_chat(cast):
    conversation = open_conversation(customer=cast.customer, subject="Mail", channel="email")
    template = Template('{% include "chat/_agent_console.html" %}')
    assert template.render(Context({"conversation": conversation})).strip() == ""


def test_the_console_include_renders_the_chat_of_a_chat_conversation(cast, started):
    template = Template('{% include "chat/_agent_console.html" %}')
    html = template.render(Context({"conversation": started.session.conversation}))
    assert "data-chat-console" in html and "Where is my order?" in html
    assert "not verified" in html
