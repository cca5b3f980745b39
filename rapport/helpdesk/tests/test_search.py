"""Agents find conversations by any word of their subject, messages, notes, tags or customer."""

import pytest
from django.core.management import call_command

from rapport.helpdesk.actions import (
    add_internal_note,
    add_tags,
    merge_conversations,
    open_conversation,
    receive_message,
    send_reply,
    set_subject,
    split_conversation,
)
from rapport.helpdesk.models import Channel
from rapport.helpdesk.search import INDEX
from rapport.search import backends
from rapport.search.queries import search


def found(query: str) -> set[int]:
    return {hit.id for hit in search(INDEX, query, limit=50)}


def write(customer, subject: str, body: str, **kwargs):
    return receive_message(
        customer=customer, channel=Channel.EMAIL, subject=subject, body_text=body, **kwargs
    ).message.conversation


@pytest.fixture
def return_request(cast):
    return write(
        cast.customer,
        "Rückgabe eines Kopfhörers",
        "Hallo, ich möchte meine Bestellung 40817 zurückschicken. Die Lieferung war beschädigt.",
    )


def test_words_of_subject_and_message_in_any_form(return_request, cast):
    assert found("Rueckgabe") == {return_request.pk}
    assert found("Rückgaben") == {return_request.pk}
    assert found("Lieferungen beschädigt") == {return_request.pk}
    assert found("40817") == {return_request.pk}
    assert found("Rückgabe Rechnung") == set()


def test_quoted_history_is_not_indexed_but_the_new_text_is(cast):
    conversation = write(
        cast.customer,
        "Frage",
        "Danke für die schnelle Hilfe.\n\nAm 3. Mai 2026 schrieb Support:\n> Kassenbon",
        display_text="Danke für die schnelle Hilfe.",
    )
    assert found("Hilfe") == {conversation.pk}
    assert found("Kassenbon") == set()


def test_replies_notes_tags_and_subject_changes_are_found(return_request, cast):
    send_reply(conversation=return_request, author=cast.agent, body_text="Das Retourenlabel folgt.")
    add_internal_note(
        conversation=return_request, author=cast.agent, body_text="Lager prüft Seriennummer"
    )
    add_tags(conversation=return_request, actor=cast.agent, names=["Garantiefall"])
    set_subject(conversation=return_request, actor=cast.agent, subject="Defekte Kopfhörer")
    for word in ("Retourenlabel", "Seriennummer", "Garantiefall", "defekt"):
        assert found(word) == {return_request.pk}, word


def test_the_customer_name_and_number_are_found(return_request, cast):
    assert return_request.pk in found("Schmidt Rückgabe")
    assert found(return_request.number) == {return_request.pk}


def test_a_title_match_ranks_above_a_body_match(cast):
    in_body = write(cast.customer, "Frage", "Es geht um eine Rechnung.")
    in_title = write(cast.other_customer, "Rechnung fehlt", "Bitte senden.")
    hits = search(INDEX, "Rechnung", limit=10)
    assert [h.id for h in hits] == [in_title.pk, in_body.pk]
    assert hits[0].score > hits[1].score
    newest_first = search(INDEX, "Rechnung", limit=10, order="id")
    assert [h.id for h in newest_first] == [in_title.pk, in_body.pk]


def test_merge_and_split_move_the_text(cast):
    first = write(cast.customer, "Paket", "Das Paket fehlt.")
    second = write(cast.customer, "Nachtrag", "Sendungsnummer 4711")
    merge_conversations(source=second, target=first, actor=cast.agent)
    assert found("Sendungsnummer") == {first.pk}
    moved = first.messages.get(body_text="Sendungsnummer 4711")
    new = split_conversation(conversation=first, message_ids=[moved.pk], actor=cast.agent)
    assert found("Sendungsnummer") == {new.pk}


def test_a_deleted_conversation_is_no_longer_found(return_request, cast):
    return_request.delete()
    assert found("Rückgabe") == set()
    assert backends.count(INDEX) == 0


@pytest.mark.parametrize(
    "query",
    ['"', "'", "*", "AND", "NEAR(", 'Rück"gabe', "a:b", "-", "\\", "ü" * 300, "x" * 5000, ""],
)
def test_any_query_is_safe(return_request, query):
    search(INDEX, query, limit=5)  # no syntax error from either engine


def test_rebuild_restores_the_index(return_request, cast):
    other = open_conversation(customer=cast.other_customer, subject="Leer", channel=Channel.CHAT)
    backends.clear(INDEX)
    assert found("Rückgabe") == set()
    call_command("search", "rebuild", "conversations")
    assert found("Rückgabe") == {return_request.pk}
    assert found("Leer") == {other.pk}


def test_inbox_search_uses_the_index(return_request, cast, client):
    client.force_login(cast.manager)
    response = client.get("/helpdesk/?view=all&q=Rueckgaben")
    assert [c.pk for c in response.context["page"].conversations] == [return_request.pk]
    response = client.get("/helpdesk/?view=all&q=anna@example.org")
    assert [c.pk for c in response.context["page"].conversations] == [return_request.pk]
