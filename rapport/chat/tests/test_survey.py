"""The survey at the end of a chat: shown in the widget when the visitor or the agent ends the
chat or the conversation is solved, answered through the widget's API with a signed token."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone, translation

from rapport.chat import actions
from rapport.chat.models import ChatSession, SessionStatus
from rapport.chat.tests.conftest import hello, login_cookie, receive_until, run, visitor_socket
from rapport.feedback import letters
from rapport.feedback.actions import chat_survey_token, invitation_token
from rapport.feedback.models import (
    InvitationStatus,
    SurveyChannel,
    SurveyInvitation,
    SurveyResponse,
)
from rapport.feedback.tests.helpers import sent_invitation
from rapport.helpdesk.actions import change_status, set_team
from rapport.helpdesk.models import Status

SHOP = {"HTTP_ORIGIN": "https://shop.example"}


def post(client, data, **headers):
    return client.post(
        "/chat/api/survey", json.dumps(data), content_type="application/json", **headers
    )


@pytest.fixture
def survey(cast, started):
    """The chat survey Anna is shown after ending her chat, and its token."""
    invitation = actions.end_chat(session=started.session)
    return invitation, chat_survey_token(invitation)


# --- Shown at the end of the chat --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_visitor_who_ends_the_chat_is_shown_the_survey_in_the_conversations_words(cast, started):
    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        await visitor.send_json_to({"type": "end"})
        ended = await receive_until(visitor, "ended")
        await visitor.disconnect()
        return ended

    ended = run(scenario)
    invitation = SurveyInvitation.objects.get()
    assert (invitation.channel, invitation.status) == (SurveyChannel.CHAT, InvitationStatus.SENT)
    survey = ended["survey"]
    assert survey["language"] == invitation.language == "de"
    assert survey["question"] == (
        "Wie zufrieden sind Sie damit, wie wir Ihre Anfrage bearbeitet haben?"
    )
    with translation.override("de"):
        assert survey["question"] == letters.question(invitation)
        assert survey["strings"]["why"] == letters.why(invitation)
    assert [c["score"] for c in survey["choices"]] == [1, 2, 3, 4, 5]
    assert all(c["aria"].startswith(f"{c['score']} ") for c in survey["choices"])
    assert survey["token"] == chat_survey_token(invitation)


@pytest.mark.django_db(transaction=True)
def test_an_agent_who_ends_the_chat_has_the_visitor_asked(cast, started):
    conversation = started.session.conversation

    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        await sync_to_async(actions.close_conversation_chat)(conversation=conversation, by="agent")
        ended = await receive_until(visitor, "ended")
        await visitor.disconnect()
        return ended

    ended = run(scenario)
    assert ended["from"] == "agent" and ended["survey"]["choices"]
    assert ChatSession.objects.get().status == SessionStatus.ENDED


@pytest.mark.django_db(transaction=True)
def test_a_solve_in_the_inbox_ends_the_chat_at_once_with_the_survey(cast, started):
    conversation = started.session.conversation

    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        await sync_to_async(change_status)(
            conversation=conversation, actor=cast.agent, status=Status.SOLVED
        )
        # No ping: the helpdesk's solve itself ends the chat.
        ended = await receive_until(visitor, "ended")
        await visitor.disconnect()
        return ended

    ended = run(scenario)
    assert ended["from"] == "solved" and "survey" in ended
    conversation.refresh_from_db()
    invitation = SurveyInvitation.objects.get()
    assert invitation.dedupe_key.endswith(conversation.solved_at.isoformat())


@pytest.mark.django_db(transaction=True)
def test_a_solve_tells_the_agents_console_too_without_a_token(cast, client, started):
    conversation = started.session.conversation
    cookie = login_cookie(client, cast.admin)
    from rapport.chat.tests.conftest import agent_socket

    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        agent = agent_socket(cookie, conversation.pk)
        assert (await agent.connect())[0]
        await agent.send_json_to({"type": "hello", "last_id": 0})
        await sync_to_async(change_status)(
            conversation=conversation, actor=cast.admin, status=Status.SOLVED
        )
        seen_by_visitor = await receive_until(visitor, "ended")
        seen_by_agent = await receive_until(agent, "ended")
        await visitor.disconnect()
        await agent.disconnect()
        return seen_by_visitor, seen_by_agent

    seen_by_visitor, seen_by_agent = run(scenario)
    assert "survey" in seen_by_visitor
    assert seen_by_agent == {"type": "ended", "from": "solved"}  # no token for staff


@pytest.mark.django_db(transaction=True)
def test_the_agents_console_ends_the_chat_of_a_solve_whose_news_was_lost(
    cast, client, started, monkeypatch
):
    conversation = started.session.conversation
    cookie = login_cookie(client, cast.admin)
    close_solved_chat = actions.close_solved_chat
    from rapport.chat.tests.conftest import agent_socket

    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        monkeypatch.setattr(actions, "close_solved_chat", lambda **kwargs: None)
        await sync_to_async(change_status)(
            conversation=conversation, actor=cast.admin, status=Status.SOLVED
        )
        monkeypatch.setattr(actions, "close_solved_chat", close_solved_chat)
        agent = agent_socket(cookie, conversation.pk)
        assert (await agent.connect())[0]
        await agent.send_json_to({"type": "hello", "last_id": 0})
        seen_by_visitor = await receive_until(visitor, "ended")
        seen_by_agent = await receive_until(agent, "ended")
        await visitor.disconnect()
        await agent.disconnect()
        return seen_by_visitor, seen_by_agent

    seen_by_visitor, seen_by_agent = run(scenario)
    assert "survey" in seen_by_visitor
    assert seen_by_agent == {"type": "ended", "from": "solved"}


@pytest.mark.django_db(transaction=True)
def test_a_visitor_asked_recently_sees_no_survey_when_the_chat_ends(cast, started):
    sent_invitation(cast.customer, at=timezone.now() - timedelta(days=3))

    async def scenario():
        visitor = visitor_socket()
        await hello(visitor, started.token)
        await visitor.send_json_to({"type": "end"})
        ended = await receive_until(visitor, "ended")
        await visitor.disconnect()
        return ended

    assert run(scenario) == {"type": "ended", "from": "visitor"}


@pytest.mark.django_db
def test_a_visitor_who_left_is_not_asked_in_the_chat_but_by_email_after_the_solve(cast, started):
    from rapport.feedback.actions import invite_solved_conversations

    conversation = started.session.conversation
    ChatSession.objects.update(last_seen_at=timezone.now() - timedelta(minutes=10))
    assert actions.close_conversation_chat(conversation=conversation, by="agent") is None
    assert not SurveyInvitation.objects.exists()
    change_status(conversation=conversation, actor=cast.agent, status=Status.SOLVED)
    assert invite_solved_conversations() == 1
    assert SurveyInvitation.objects.get().channel == SurveyChannel.EMAIL


@pytest.mark.django_db
def test_a_chat_ended_twice_asks_once(cast, started):
    assert actions.end_chat(session=started.session) is not None
    assert actions.end_chat(session=started.session) is None
    conversation = started.session.conversation
    assert actions.close_conversation_chat(conversation=conversation, by="agent") is None
    assert SurveyInvitation.objects.count() == 1


# --- The agent's "End chat" button ------------------------------------------------------------


@pytest.mark.django_db
def test_the_console_offers_to_end_an_active_chat(client, cast, started):
    set_team(conversation=started.session.conversation, actor=None, team=cast.team_a)
    client.force_login(cast.agent)
    url = f"/chat/console/{started.session.conversation_id}/"
    html = client.get(url).content.decode()
    assert f'action="{url}end/"' in html and "End chat" in html


@pytest.mark.django_db
def test_the_end_button_ends_the_chat_and_asks_the_visitor(client, cast, started):
    set_team(conversation=started.session.conversation, actor=None, team=cast.team_a)
    client.force_login(cast.agent)
    conversation_id = started.session.conversation_id
    response = client.post(f"/chat/console/{conversation_id}/end/")
    assert response.status_code == 302
    assert response["Location"] == f"/chat/console/{conversation_id}/"
    assert ChatSession.objects.get().status == SessionStatus.ENDED
    assert SurveyInvitation.objects.get().channel == SurveyChannel.CHAT


@pytest.mark.django_db
def test_only_staff_who_may_see_the_conversation_can_end_its_chat(client, cast, started):
    set_team(conversation=started.session.conversation, actor=None, team=cast.team_a)
    url = f"/chat/console/{started.session.conversation_id}/end/"
    client.force_login(cast.other_agent)
    assert client.post(url).status_code == 404
    client.force_login(cast.portal_user)
    assert client.post(url).status_code == 403
    assert ChatSession.objects.get().is_active
    assert not SurveyInvitation.objects.exists()


# --- Answered through the widget's API ---------------------------------------------------------


@pytest.mark.django_db
def test_a_score_from_the_widget_is_recorded_once_and_a_second_click_changes_it(client, survey):
    invitation, token = survey
    first = post(client, {"token": token, "score": 2, "lang": "de"}, **SHOP)
    assert first.status_code == 200
    assert first.json() == {"score": 2, "changed": False, "comment": ""}
    assert first["Access-Control-Allow-Origin"] == "*"
    second = post(client, {"token": token, "score": "5"}, **SHOP)
    assert second.json()["changed"] is True
    response = SurveyResponse.objects.get()
    assert (response.score, response.changes, response.channel) == (5, 1, SurveyChannel.CHAT)
    assert response.invitation == invitation


@pytest.mark.django_db
def test_a_comment_from_the_widget_is_added_to_the_answer(client, survey):
    _invitation, token = survey
    post(client, {"token": token, "score": 4})
    response = post(client, {"token": token, "comment": "Fast and friendly"})
    assert response.status_code == 200 and response.json()["comment"] == "Fast and friendly"
    assert SurveyResponse.objects.get().comment == "Fast and friendly"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"score": 9}, 400, "out_of_range"),
        ({"score": 0}, 400, "out_of_range"),
        ({"score": "five"}, 400, "invalid_score"),
        ({"score": None}, 400, "invalid_score"),
        ({}, 400, "invalid_score"),
        ({"comment": 12}, 400, "invalid_comment"),
        ({"comment": "x" * 4001}, 400, "too_long"),
    ],
)
def test_a_bad_answer_gets_a_clear_error_and_nothing_is_saved(client, survey, data, status, code):
    _invitation, token = survey
    if "comment" in data:
        post(client, {"token": token, "score": 4})
    before = list(SurveyResponse.objects.values_list("score", "comment", "changes"))
    response = post(client, {"token": token, **data, "lang": "en"})
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert list(SurveyResponse.objects.values_list("score", "comment", "changes")) == before


@pytest.mark.django_db
def test_a_tampered_or_foreign_token_answers_nothing(client, cast, survey):
    invitation, token = survey
    value, _sep, signature = token.partition(":")
    emailed = sent_invitation(cast.other_customer)
    for bad in (
        f"{int(value) + 1}:{signature}",
        token[:-2],
        invitation_token(invitation),  # the email link's token of the same survey
        invitation_token(emailed),  # another customer's email survey
        "",
        ["not", "a", "token"],
    ):
        response = post(client, {"token": bad, "score": 5})
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] == "invalid_token"
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_a_request_that_is_no_json_object_is_refused(client, survey):
    response = client.post("/chat/api/survey", "[1,", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.django_db
def test_a_site_not_allowed_cannot_answer(client, survey, settings):
    settings.CHAT_ALLOWED_ORIGINS = ["https://shop.example"]
    _invitation, token = survey
    response = post(client, {"token": token, "score": 5}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_an_answer_after_the_customer_was_deleted_is_refused(client, cast, survey):
    invitation, token = survey
    conversation = invitation.conversation
    conversation.messages.all().delete()
    conversation.delete()
    cast.customer.delete()
    response = post(client, {"token": token, "score": 5})
    assert response.status_code == 404 and response.json()["error"]["code"] == "gone"
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_an_answer_after_the_customer_was_merged_counts_once_for_the_survivor(client, cast, survey):
    from rapport.customers.actions import merge_customers
    from rapport.factories import CustomerFactory

    _invitation, token = survey
    assert post(client, {"token": token, "score": 3}).status_code == 200
    survivor = CustomerFactory(given_name="Anna", family_name="Schmidt")
    merge_customers(actor=cast.admin, survivor=survivor, merged=cast.customer)
    assert post(client, {"token": token, "score": 3}).status_code == 200
    response = SurveyResponse.objects.get()
    assert (response.customer, response.changes) == (survivor, 0)
