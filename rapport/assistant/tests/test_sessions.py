"""Sessions with the assistant: tokens, greetings, questions, answers and "Did this help?"."""

import hashlib

import pytest
from django.core.exceptions import ValidationError

from rapport.assistant import actions, queries
from rapport.assistant.models import AssistantSession, AssistantTurn, SessionChannel, TurnRole
from rapport.customers.greetings import greeting
from rapport.customers.models import FormOfAddress, Salutation
from rapport.kb import actions as kb_actions
from rapport.kb.models import EventKind, SelfServiceEvent

pytestmark = pytest.mark.django_db

REFUND_QUESTION = "How long does a refund take?"
NONSENSE = "Qwxzv plorbt snazzleflux"


@pytest.fixture
def articles(db):
    """A small help centre: refunds (German and English) and delivery times (English)."""
    kb_actions.save_translation(
        actor=None,
        slug="refund-timing",
        language="en",
        title="How long does a refund take?",
        body="Refunds take 3 to 5 working days after your return has arrived.",
        keywords=["refund", "money back"],
        publish=True,
    )
    kb_actions.save_translation(
        actor=None,
        slug="refund-timing",
        language="de",
        title="Wie lange dauert eine Rückerstattung?",
        body="Die Rückerstattung dauert 3 bis 5 Werktage, nachdem Ihre Rücksendung angekommen ist.",
        keywords=["Rückerstattung", "Geld zurück"],
        publish=True,
    )
    kb_actions.save_translation(
        actor=None,
        slug="delivery-times",
        language="en",
        title="Delivery times",
        body="Parcels usually arrive within 2 working days in Germany.",
        keywords=["delivery", "shipping"],
        publish=True,
    )


def chat_session(**kwargs) -> AssistantSession:
    kwargs.setdefault("language", "en")
    return actions.start_session(channel=SessionChannel.CHAT, **kwargs).session


def test_a_session_token_is_stored_only_as_its_hash():
    started = actions.start_session(channel=SessionChannel.CHAT, language="en")
    stored = AssistantSession.objects.get()
    assert stored.token_hash == hashlib.sha256(started.token.encode()).hexdigest()
    assert started.token not in str(AssistantSession.objects.values().get())
    assert queries.session_for_token(started.token) == stored
    assert queries.session_for_token("ras_" + "x" * 40) is None
    assert queries.session_for_token(None) is None


def test_a_returning_customer_known_by_email_is_greeted_by_name_and_form_of_address(cast):
    anna = cast.customer
    anna.language, anna.salutation, anna.form_of_address = "de", Salutation.MS, FormOfAddress.FORMAL
    anna.save()
    session = chat_session(name="Anna Schmidt", email="ANNA@example.org", language="")
    assert session.customer == anna and session.language == "de"
    assert queries.welcome(session).startswith("Sehr geehrte Frau Schmidt")

    anna.form_of_address = FormOfAddress.INFORMAL
    anna.save()
    informal = chat_session(name="anna", email="anna@example.org", language="de")
    assert queries.welcome(informal).startswith("Hallo Anna")
    assert greeting(anna, "de") == "Hallo Anna"


def test_an_email_alone_never_reveals_the_stored_name(cast):
    cast.customer.language = "de"
    cast.customer.save()
    stranger = chat_session(name="Mallory", email="anna@example.org", language="")
    nameless = chat_session(email="anna@example.org", language="")
    for session in (stranger, nameless):
        assert "Schmidt" not in queries.welcome(session)
        assert "Anna" not in queries.welcome(session)
        assert not queries.greets_by_name(session)


def test_a_signed_in_portal_customer_is_greeted_in_their_language(cast):
    cast.customer.language = "en"
    cast.customer.save()
    session = actions.start_session(
        channel=SessionChannel.PORTAL, customer=cast.customer, language="en"
    ).session
    assert queries.welcome(session).startswith(greeting(cast.customer, "en"))


def test_an_unknown_visitor_gets_a_greeting_without_a_name(cast):
    session = chat_session(email="nobody@example.org")
    assert session.customer is None
    text = queries.welcome(session)
    assert text.startswith("Hello") and "Schmidt" not in text


def test_a_bad_email_or_channel_is_refused():
    with pytest.raises(ValidationError):
        chat_session(email="not an address")
    with pytest.raises(actions.AssistantError):
        actions.start_session(channel="fax")


def test_a_question_is_answered_with_the_best_passage_and_counted(articles):
    session = chat_session()
    asked = actions.ask_question(session=session, question=REFUND_QUESTION)
    reply = asked.reply
    assert asked.question.role == TurnRole.CUSTOMER and reply.role == TurnRole.ASSISTANT
    assert reply.translation.article.slug == "refund-timing"
    assert reply.translation.language == "en"
    assert "3 to 5 working days" in reply.text
    explanation = reply.explanation
    assert explanation["article"]["url"] == "/help/en/refund-timing/"
    assert explanation["articles"][0]["slug"] == "refund-timing"
    assert explanation["question"] == REFUND_QUESTION
    event = SelfServiceEvent.objects.get(kind=EventKind.ANSWER)
    assert event.translation == reply.translation and event.source == "chat"


def test_a_question_without_an_answer_offers_a_person_instead(articles):
    session = chat_session()
    reply = actions.ask_question(session=session, question=NONSENSE).reply
    assert reply.translation is None
    assert reply.explanation["handoff"] is True
    assert "person" in reply.text
    assert not SelfServiceEvent.objects.filter(kind=EventKind.ANSWER).exists()


def test_the_offer_of_a_person_is_in_the_customers_language(articles):
    session = chat_session(language="de")
    reply = actions.ask_question(session=session, question=NONSENSE).reply
    # The German catalogue may not be compiled yet: the text is at least the same message.
    assert reply.text == actions.handoff_text(reply.explanation["reason"]) or "Person" in reply.text


@pytest.mark.parametrize(
    "question",
    ["", "   \n ", "\x00\x01\x02", "\ufffd\ufffd", "x" * 10_000, None, 42, ["a list"]],
)
def test_empty_binary_overlong_or_non_text_questions_are_refused(articles, question):
    session = chat_session()
    with pytest.raises(ValidationError) as info:
        actions.ask_question(session=session, question=question)
    assert "question" in info.value.message_dict
    assert not AssistantTurn.objects.exists()


@pytest.mark.parametrize("question", ["🙂🙂🙂", "?", '"*NEAR(-:)"', "a"])
def test_emoji_only_one_character_or_search_syntax_questions_get_a_sensible_reply(
    articles, question
):
    session = chat_session()
    reply = actions.ask_question(session=session, question=question).reply
    assert reply.text


def test_control_characters_inside_a_question_are_dropped(articles):
    session = chat_session()
    asked = actions.ask_question(session=session, question="How long\x00 does a refund\x07 take?")
    assert asked.question.text == "How long does a refund take?"


def test_a_helpful_answer_counts_as_accepted_once(articles):
    session = chat_session()
    reply = actions.ask_question(session=session, question=REFUND_QUESTION).reply
    actions.rate_answer(session=session, turn_id=reply.pk, helpful=True)
    actions.rate_answer(session=session, turn_id=reply.pk, helpful=True)
    actions.rate_answer(session=session, turn_id=reply.pk, helpful=False)
    reply.refresh_from_db()
    assert reply.helpful is True
    assert SelfServiceEvent.objects.filter(kind=EventKind.ANSWER_ACCEPTED).count() == 1


def test_an_unhelpful_answer_is_recorded_without_counting_as_accepted(articles):
    session = chat_session()
    reply = actions.ask_question(session=session, question=REFUND_QUESTION).reply
    turn = actions.rate_answer(session=session, turn_id=str(reply.pk), helpful=False)
    assert turn.helpful is False
    assert not SelfServiceEvent.objects.filter(kind=EventKind.ANSWER_ACCEPTED).exists()


@pytest.mark.parametrize("turn_id", [None, "abc", 10**12])
def test_rating_an_unknown_answer_is_refused(articles, turn_id):
    session = chat_session()
    actions.ask_question(session=session, question=REFUND_QUESTION)
    with pytest.raises(actions.AssistantError):
        actions.rate_answer(session=session, turn_id=turn_id, helpful=True)


def test_nobody_can_rate_the_answers_of_another_session_or_a_question(articles):
    mine = chat_session()
    theirs = chat_session()
    asked = actions.ask_question(session=theirs, question=REFUND_QUESTION)
    for turn in (asked.reply, asked.question):
        with pytest.raises(actions.AssistantError):
            actions.rate_answer(session=mine, turn_id=turn.pk, helpful=True)
    with pytest.raises(actions.AssistantError):
        actions.rate_answer(session=theirs, turn_id=asked.question.pk, helpful=True)


def test_a_closed_session_answers_no_more_and_its_token_stops_working(articles):
    started = actions.start_session(channel=SessionChannel.CHAT, language="en")
    actions.close_session(session=started.session)
    started.session.refresh_from_db()
    with pytest.raises(actions.AssistantError):
        actions.ask_question(session=started.session, question=REFUND_QUESTION)
    assert queries.session_for_token(started.token) is None
