"""Starting a chat: who the visitor is, which conversation it feeds, what is stored."""

import pytest
from django.core.exceptions import ValidationError

from rapport.chat import actions
from rapport.chat.models import ChatSession, hash_token
from rapport.chat.queries import session_for_token, visitor_messages
from rapport.customers.models import ContactPoint, Customer
from rapport.helpdesk.actions import add_internal_note, open_conversation, receive_message
from rapport.helpdesk.models import Channel, Conversation, Direction, Status


def test_a_visitor_who_gives_a_known_email_is_identified_as_that_customer(cast):
    started = actions.start_chat(name="A. S.", email="ANNA@example.org", question="Hello")
    assert started.session.customer == cast.customer
    assert Customer.objects.count() == 2  # nobody new


def test_a_chat_continues_the_customers_open_conversation(cast):
    earlier = receive_message(
        customer=cast.customer, channel=Channel.EMAIL, subject="Order 17", body_text="Late?"
    ).message.conversation
    started = actions.start_chat(email="anna@example.org", question="Any news on order 17?")
    assert started.continued
    assert started.session.conversation == earlier
    inbound = earlier.messages.filter(direction=Direction.INBOUND).order_by("pk")
    channels = list(inbound.values_list("channel", flat=True))
    assert channels == [Channel.EMAIL, Channel.CHAT]


def test_a_chat_opens_a_new_chat_conversation_when_the_customer_has_none_open(cast):
    done = open_conversation(customer=cast.customer, subject="Old", channel=Channel.EMAIL)
    Conversation.objects.filter(pk=done.pk).update(status=Status.SOLVED)
    started = actions.start_chat(email="anna@example.org", question="New question\nsecond line")
    conversation = started.session.conversation
    assert conversation != done
    assert conversation.channel == Channel.CHAT
    assert conversation.subject == "New question"
    assert not started.continued


def test_an_anonymous_visitor_becomes_a_new_customer_with_a_placeholder_name(cast):
    started = actions.start_chat(question="Do you ship to Austria?", language="de-AT")
    customer = started.session.customer
    assert customer not in (cast.customer, cast.other_customer)
    assert str(customer).startswith("Chat visitor ")
    assert customer.language == "de"
    assert not ContactPoint.objects.filter(customer=customer).exists()
    message = started.message
    assert message.direction == Direction.INBOUND and message.channel == Channel.CHAT
    assert message.data["chat_session"] == started.session.pk


def test_a_named_visitor_with_a_new_email_becomes_a_customer_with_that_email(cast):
    started = actions.start_chat(name="Greta Lind", email="greta@example.org", question="Hi")
    customer = started.session.customer
    assert (customer.given_name, customer.family_name) == ("Greta", "Lind")
    assert ContactPoint.objects.filter(customer=customer, normalized="greta@example.org").exists()


def test_the_visitor_token_is_stored_only_as_its_hash(cast):
    started = actions.start_chat(question="Hi")
    session = ChatSession.objects.get()
    assert session.token_hash == hash_token(started.token)
    assert started.token not in str(ChatSession.objects.values().get())
    assert session_for_token(started.token) == session
    assert session_for_token(started.token + "x") is None


def test_a_chat_without_a_question_is_refused_and_nothing_is_saved(cast):
    with pytest.raises(ValidationError) as error:
        actions.start_chat(name="Greta", email="not-an-address", question="  ")
    assert set(error.value.message_dict) == {"email"} or "question" in error.value.message_dict
    assert not ChatSession.objects.exists()
    assert Customer.objects.count() == 2


def test_the_visitor_sees_only_their_own_chat_never_notes_or_earlier_email(cast, started):
    conversation = started.session.conversation
    earlier_mail = receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        conversation=conversation,
        body_text="My address is Secret Street 1",
    ).message
    note = add_internal_note(conversation=conversation, author=cast.agent, body_text="VIP, careful")
    reply = actions.post_agent_reply(
        conversation=conversation, author=cast.agent, body="On its way"
    )
    seen = {message.pk for message in visitor_messages(started.session)}
    assert {started.message.pk, reply.pk} <= seen
    assert note.pk not in seen and earlier_mail.pk not in seen
