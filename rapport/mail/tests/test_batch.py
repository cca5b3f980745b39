"""A burst of email is processed in batches: the same result as one by one, with fewer queries.

(The corpus runs through both paths in ``test_corpus``.)
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rapport.customers.models import ContactPoint, Customer
from rapport.helpdesk.actions import change_status, open_conversation, receive_message
from rapport.helpdesk.models import (
    Channel,
    Conversation,
    ConversationEvent,
    Direction,
    EventKind,
    Message,
    MessageKind,
    Status,
)
from rapport.mail.actions import process_batch, store_inbound
from rapport.mail.models import InboundEmail, InboundSource, InboundStatus
from rapport.mail.tasks import process_inbound_task
from rapport.mail.tests.helpers import eml
from rapport.timeline.models import TimelineEvent


def store(*raws: bytes) -> list[int]:
    return [store_inbound(raw, source=InboundSource.COMMAND).pk for raw in raws]


def run(*raws: bytes) -> list[InboundEmail]:
    ids = store(*raws)
    process_batch(ids)
    return [InboundEmail.objects.select_related("message").get(pk=pk) for pk in ids]


def test_new_requests_from_known_and_new_senders(cast):
    anna, stranger = run(
        eml(message_id="<a1@example.org>", subject="Wo bleibt meine Bestellung?"),
        eml(
            sender="Clara Weber <Clara.Weber@Example.net>",
            message_id="<c1@example.net>",
            subject="Rechnung fehlt",
        ),
    )
    assert {anna.status, stranger.status} == {InboundStatus.PROCESSED}
    assert anna.message.conversation.customer == cast.customer
    clara = stranger.message.conversation.customer
    assert (clara.given_name, clara.family_name) == ("Clara", "Weber")
    assert ContactPoint.objects.get(customer=clara).normalized == "clara.weber@example.net"
    for inbound in (anna, stranger):
        conversation = inbound.message.conversation
        assert conversation.status == Status.NEW
        assert conversation.customer_message_count == 1
        assert conversation.last_inbound_at == inbound.message.created_at
        assert list(conversation.events.values_list("kind", flat=True).order_by("pk")) == [
            EventKind.CREATED,
            EventKind.THREADED,
        ]
        assert TimelineEvent.objects.filter(
            customer=conversation.customer, dedupe_key=f"helpdesk.message:{inbound.message.pk}"
        ).exists()
    assert TimelineEvent.objects.filter(customer=clara, kind="profile").count() == 1


def test_two_mails_of_one_new_sender_make_one_customer(cast):
    first, second = run(
        eml(sender="neu@example.com", message_id="<n1@example.com>", subject="Eins"),
        eml(sender="NEU@example.com", message_id="<n2@example.com>", subject="Zwei"),
    )
    assert first.message.conversation.customer == second.message.conversation.customer
    assert Customer.objects.filter(contact_points__normalized="neu@example.com").count() == 1


def test_a_reply_chain_inside_one_batch_threads_in_order(cast):
    first, reply, reply_to_reply = run(
        eml(message_id="<r1@example.org>", subject="Lieferung beschädigt"),
        eml(
            message_id="<r2@example.org>",
            subject="AW: Lieferung beschädigt",
            headers={"In-Reply-To": "<r1@example.org>"},
        ),
        eml(
            message_id="<r3@example.org>",
            subject="AW: AW: Lieferung beschädigt",
            headers={"References": "<r1@example.org> <r2@example.org>"},
        ),
    )
    conversation = first.message.conversation
    assert reply.message.conversation == conversation
    assert reply_to_reply.message.conversation == conversation
    assert reply.message.data["email"]["thread"] == {
        "reason": "in_reply_to",
        "matched": "<r1@example.org>",
    }
    assert reply_to_reply.message.data["email"]["thread"]["matched"] == "<r2@example.org>"
    conversation.refresh_from_db()
    assert conversation.customer_message_count == 3


def test_the_same_message_twice_in_a_batch_is_one_message(cast):
    raw = eml(message_id="<twice@example.org>")
    first, again = run(raw, raw + b"\r\n")  # a resend: other bytes, same Message-ID
    assert first.status == InboundStatus.PROCESSED
    assert again.status == InboundStatus.DUPLICATE
    assert again.message == first.message
    assert Message.objects.filter(external_id="<twice@example.org>").count() == 1


def test_a_message_already_stored_is_a_duplicate(cast):
    (first,) = run(eml(message_id="<known@example.org>"))
    (again,) = run(eml(message_id="<known@example.org>", body="anders"))
    assert again.status == InboundStatus.DUPLICATE
    assert again.message == first.message


def test_a_reply_reopens_a_solved_conversation_and_a_pending_one_opens(cast):
    solved = open_conversation(customer=cast.customer, subject="Alt", channel=Channel.EMAIL)
    ours = receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        conversation=solved,
        direction=Direction.OUTBOUND,
        author=cast.agent,
        body_text="Erledigt.",
        external_id="<ours-1@rapport.example>",
    ).message
    change_status(conversation=solved, actor=cast.agent, status=Status.SOLVED)
    pending = open_conversation(customer=cast.customer, subject="Warte", channel=Channel.EMAIL)
    receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        conversation=pending,
        direction=Direction.OUTBOUND,
        author=cast.agent,
        body_text="Welche Bestellnummer?",
        external_id="<ours-2@rapport.example>",
    )
    change_status(conversation=pending, actor=cast.agent, status=Status.PENDING)

    run(
        eml(message_id="<x1@example.org>", headers={"In-Reply-To": ours.external_id}),
        eml(message_id="<x2@example.org>", headers={"In-Reply-To": "<ours-2@rapport.example>"}),
    )
    solved.refresh_from_db()
    pending.refresh_from_db()
    assert (solved.status, solved.reopen_count) == (Status.OPEN, 1)
    assert solved.events.filter(kind=EventKind.REOPENED).count() == 1
    assert pending.status == Status.OPEN
    assert pending.events.filter(kind=EventKind.STATUS, data__reason="customer_replied").exists()


def test_switching_from_chat_to_email_leaves_a_channel_event(cast):
    chat = open_conversation(customer=cast.customer, subject="Chat", channel=Channel.CHAT)
    receive_message(customer=cast.customer, channel=Channel.CHAT, conversation=chat, body_text="Hi")
    run(
        eml(message_id="<e1@example.org>", subject=f"Noch eine Frage [{chat.number}]"),
        eml(sender="ben@example.org", message_id="<b1@example.org>"),
    )
    event = chat.events.get(kind=EventKind.CHANNEL)
    assert event.data == {"from": Channel.CHAT, "to": Channel.EMAIL}


def test_unreadable_own_and_bounce_mail_go_one_by_one_and_nothing_is_lost(cast):
    results = run(
        b"\x00\x01\x02 not an email at all",
        eml(message_id="<ok@example.org>"),
        eml(sender="support@localhost", to="ben@example.org", message_id="<own@rapport.example>"),
        eml(
            sender="MAILER-DAEMON@mx.example.org",
            message_id="<bounce@mx.example.org>",
            subject="Undelivered Mail Returned to Sender",
        ),
    )
    garbage, ok, own, bounce = results
    assert garbage.status == InboundStatus.QUARANTINED
    assert ok.status == InboundStatus.PROCESSED
    assert own.status == InboundStatus.PROCESSED
    assert own.message.direction == Direction.OUTBOUND
    assert bounce.status == InboundStatus.QUARANTINED  # a bounce of nothing we sent
    assert "Bounce" in bounce.reason


def test_a_failing_batch_is_retried_one_by_one(cast, monkeypatch):
    from rapport.mail import actions

    def broken(entries):
        raise RuntimeError("batch writer broke")

    monkeypatch.setattr(actions, "_record_wave", broken)
    first, second = run(eml(message_id="<f1@example.org>"), eml(message_id="<f2@example.org>"))
    assert {first.status, second.status} == {InboundStatus.PROCESSED}
    assert first.message.conversation != second.message.conversation


def test_an_invalid_sender_is_quarantined_and_the_rest_is_stored(cast):
    bad, good = run(
        eml(sender="Someone <bad@@example..org>", message_id="<bad@example.org>"),
        eml(message_id="<good@example.org>"),
    )
    assert good.status == InboundStatus.PROCESSED
    assert bad.status == InboundStatus.QUARANTINED
    assert bad.reason


def test_follow_up_routes_acknowledges_and_starts_the_sla_clock_after_commit(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (inbound,) = run(eml(message_id="<fu@example.org>", body="Hallo, wo ist mein Paket?"))
    conversation = Conversation.objects.get(pk=inbound.message.conversation_id)
    assert conversation.language == "de"
    assert conversation.first_response_due_at is not None
    ack = conversation.messages.get(kind=MessageKind.SYSTEM)
    assert conversation.number in ack.body_text
    assert conversation.events.filter(kind=EventKind.NOTIFIED).count() == 1


def test_follow_up_of_one_message_failing_does_not_stop_the_others(cast, monkeypatch):
    from rapport.helpdesk.actions import intake

    (first,) = run(eml(message_id="<g1@example.org>"))
    (second,) = run(eml(sender="ben@example.org", message_id="<g2@example.org>"))
    real = intake._after_change

    def flaky(conversation, msg, **kwargs):
        if msg.pk == first.message_id:
            raise RuntimeError("SLA calendar unreadable")
        return real(conversation, msg, **kwargs)

    monkeypatch.setattr(intake, "_after_change", flaky)
    args = [
        [first.message.conversation_id, first.message_id, True, False],
        [second.message.conversation_id, second.message_id, True, False],
    ]
    assert intake.follow_up_received(args) == [args[0]]
    assert Message.objects.filter(
        conversation_id=second.message.conversation_id, kind=MessageKind.SYSTEM
    ).exists()


def test_a_batch_costs_a_fixed_number_of_queries(cast):
    def queries(count: int, start: int) -> int:
        raws = [
            eml(
                sender=f"kunde{start + n}@example.com",
                message_id=f"<q{start + n}@example.com>",
                subject=f"Frage {n}",
            )
            for n in range(count)
        ]
        ids = store(*raws)
        with CaptureQueriesContext(connection) as captured:
            process_batch(ids)
        return len(captured.captured_queries)

    assert queries(20, 0) == queries(5, 100)


def test_the_worker_processes_what_waits_in_one_batch(cast, django_capture_on_commit_callbacks):
    ids = store(
        eml(message_id="<w1@example.org>"),
        eml(sender="ben@example.org", message_id="<w2@example.org>"),
        eml(sender="neu@example.com", message_id="<w3@example.com>"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        process_inbound_task.call_local(ids[0])
    assert set(InboundEmail.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        InboundStatus.PROCESSED
    }
    # Each was acknowledged by the follow-up job.
    assert Message.objects.filter(kind=MessageKind.SYSTEM, data__sla="acknowledgement").count() == 3
    # The tasks queued for the other two find them done.
    process_inbound_task.call_local(ids[1])
    assert ConversationEvent.objects.filter(kind=EventKind.CREATED).count() == 3


@pytest.mark.parametrize("size", [1, 2])
def test_small_batches_work(cast, size):
    results = run(*[eml(message_id=f"<s{n}@example.org>") for n in range(size)])
    assert all(r.status == InboundStatus.PROCESSED for r in results)


def test_a_lost_follow_up_is_run_by_the_sweep(cast):
    from datetime import timedelta

    from django.utils import timezone

    from rapport.helpdesk.actions.intake import missed_follow_ups
    from rapport.helpdesk.tasks import follow_up_missed_task

    (inbound,) = run(eml(message_id="<lost@example.org>"))  # its job never runs here
    conversation = inbound.message.conversation
    # A conversation opened by hand (no mail intake) is not the sweep's business.
    open_conversation(customer=cast.customer, subject="Telefonat", channel=Channel.EMAIL)
    assert missed_follow_ups() == []  # still within the grace period
    later = timezone.now() + timedelta(minutes=11)
    assert missed_follow_ups(now=later) == [[conversation.pk, inbound.message_id, True, False]]

    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=timezone.now() - timedelta(minutes=11)
    )
    follow_up_missed_task.call_local()
    assert conversation.messages.filter(kind=MessageKind.SYSTEM).count() == 1
    assert missed_follow_ups(now=later) == []
