"""A customer's message carries its sentiment and the words behind it; agents see it."""

import pytest

from rapport.helpdesk import actions
from rapport.helpdesk.models import Direction, Message
from rapport.helpdesk.tests.helpers import conversation_for

pytestmark = pytest.mark.django_db


def test_an_inbound_message_stores_its_sentiment_and_the_words_behind_it(cast):
    conversation = conversation_for(
        cast.customer,
        text="Ich bin total enttäuscht, das Gerät ist nach zwei Tagen kaputt.",
    )
    inbound = Message.objects.get(conversation=conversation, direction=Direction.INBOUND)
    sentiment = inbound.data["sentiment"]
    assert sentiment["label"] == "negative" and sentiment["score"] < 0
    assert any("enttäuscht" in phrase.lower() for phrase, _weight in sentiment["phrases"])


def test_agents_replies_and_notes_are_not_judged(cast):
    conversation = conversation_for(cast.customer, text="Danke, alles super!")
    actions.send_reply(conversation=conversation, author=cast.agent, body_text="Gern geschehen!")
    actions.add_internal_note(
        conversation=conversation, author=cast.agent, body_text="Happy customer."
    )
    judged = [
        m.direction
        for m in Message.objects.filter(conversation=conversation)
        if "sentiment" in m.data
    ]
    assert judged == [Direction.INBOUND]


def test_the_conversation_page_marks_a_negative_message_with_its_reasons(agent_client, cast):
    conversation = conversation_for(
        cast.customer,
        team=cast.team_a,
        text="This is the worst service ever, I am furious.",
    )
    page = agent_client.get(f"/helpdesk/{conversation.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="pill sentiment-negative"' in html
    assert "worst" in html.split('sentiment-negative" title="', 1)[1].split('"', 1)[0]
