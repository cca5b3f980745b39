"""IMAP polling against a real Dovecot: store raw, thread, never twice, never lost."""

import threading
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from rapport.helpdesk.actions import receive_message, send_reply
from rapport.helpdesk.models import Channel, Direction, Message
from rapport.mail.imap import PollResult, is_loopback, poll_all, poll_mailbox
from rapport.mail.models import InboundEmail, InboundSource, Mailbox

from .conftest import free_port


def customer_mail(
    subject="Frage zur Rechnung",
    body="Guten Tag, ich habe eine Frage.",
    *,
    sender="anna@example.org",
    message_id=None,
    in_reply_to="",
) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Anna Schmidt <{sender}>"
    mail["To"] = "support@localhost"
    mail["Subject"] = subject
    mail["Message-ID"] = message_id or make_msgid(domain="example.org")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    mail.set_content(body)
    return bytes(mail)


def uids_and_flags(dovecot, folder):
    with dovecot.client() as client:
        client.select_folder(folder, readonly=True)
        return {
            uid: data[b"FLAGS"]
            for uid, data in client.fetch(client.search("ALL"), ["FLAGS"]).items()
        }


def test_new_mail_in_the_mailbox_is_stored_raw_and_becomes_a_conversation(
    cast, dovecot, imap_mailbox
):
    raw = customer_mail()
    dovecot.append(imap_mailbox.folder, raw)

    [result] = poll_all()

    assert (result.stored, result.error) == (1, "")
    inbound = InboundEmail.objects.get()
    assert inbound.source == InboundSource.IMAP
    assert inbound.mailbox == imap_mailbox
    with inbound.raw.open("rb") as handle:
        assert handle.read().replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.conversation.customer == cast.customer
    assert message.subject == "Frage zur Rechnung"
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_uid == 1
    assert imap_mailbox.last_error == ""
    assert imap_mailbox.last_polled_at is not None
    assert imap_mailbox.poll_lease_until is None
    assert b"\\Seen" in uids_and_flags(dovecot, imap_mailbox.folder)[1]


def test_customer_reply_to_our_email_is_threaded_into_the_same_conversation(
    cast, dovecot, imap_mailbox, smtp_relay, django_capture_on_commit_callbacks
):
    first = receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        subject="Lieferung fehlt",
        body_text="Wo ist mein Paket?",
        sender_address="anna@example.org",
        external_id="<order-question@example.org>",
    )
    conversation = first.message.conversation
    with django_capture_on_commit_callbacks(execute=True):
        answer = send_reply(conversation=conversation, author=cast.agent, body_text="Unterwegs.")
    answer.refresh_from_db()
    sent = smtp_relay.message_with_id(answer.external_id)
    dovecot.append(
        imap_mailbox.folder,
        customer_mail(
            subject=f"AW: {sent['Subject']}",
            body="Danke, ist angekommen.",
            in_reply_to=answer.external_id,
        ),
    )

    poll_all(mailbox_name=imap_mailbox.name)

    reply = Message.objects.filter(direction=Direction.INBOUND).latest("id")
    assert reply.conversation_id == conversation.pk
    assert "Danke, ist angekommen." in reply.body_text


def test_polling_twice_ingests_each_message_once(cast, dovecot, imap_mailbox):
    dovecot.append(imap_mailbox.folder, customer_mail("Eins"))
    dovecot.append(imap_mailbox.folder, customer_mail("Zwei"))

    first = poll_mailbox(imap_mailbox)
    second = poll_mailbox(imap_mailbox)
    dovecot.append(imap_mailbox.folder, customer_mail("Drei"))
    third = poll_mailbox(imap_mailbox)

    assert [first.stored, second.stored, third.stored] == [2, 0, 1]
    assert InboundEmail.objects.count() == 3
    assert sorted(
        Message.objects.filter(direction=Direction.INBOUND).values_list("subject", flat=True)
    ) == ["Drei", "Eins", "Zwei"]
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_uid == 3


def test_a_new_mailbox_takes_its_unread_mail_and_leaves_what_people_already_read(
    cast, dovecot, imap_mailbox
):
    dovecot.append(imap_mailbox.folder, customer_mail("Längst erledigt"), flags=[b"\\Seen"])
    dovecot.append(imap_mailbox.folder, customer_mail("Ungelesen"))
    dovecot.append(imap_mailbox.folder, customer_mail("Auch erledigt"), flags=[b"\\Seen"])

    first = poll_mailbox(imap_mailbox)
    # From now on every new message counts, even one somebody read in another client first.
    dovecot.append(imap_mailbox.folder, customer_mail("Neu, schon gelesen"), flags=[b"\\Seen"])
    second = poll_mailbox(imap_mailbox)

    assert (first.stored, second.stored) == (1, 1)
    subjects = Message.objects.filter(direction=Direction.INBOUND).values_list("subject", flat=True)
    assert sorted(subjects) == ["Neu, schon gelesen", "Ungelesen"]
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_uid == 4


def test_the_same_message_id_twice_in_the_mailbox_gives_one_message(cast, dovecot, imap_mailbox):
    raw = customer_mail(message_id="<twice@example.org>")
    dovecot.append(imap_mailbox.folder, raw)
    dovecot.append(imap_mailbox.folder, raw)

    [result] = poll_all()

    assert result.stored == 2  # both kept raw...
    assert Message.objects.filter(external_id="<twice@example.org>").count() == 1  # ...one message


def test_a_new_uidvalidity_reads_the_folder_again_without_duplicating_messages(
    cast, dovecot, imap_mailbox
):
    old = customer_mail("Alt", message_id="<old@example.org>")
    dovecot.append(imap_mailbox.folder, old)
    poll_mailbox(imap_mailbox)
    imap_mailbox.refresh_from_db()
    validity = imap_mailbox.uid_validity
    # The server rebuilt the folder: new UIDVALIDITY, the old message again, and a new one.
    dovecot.recreate(imap_mailbox.folder)
    dovecot.append(imap_mailbox.folder, old)
    dovecot.append(imap_mailbox.folder, customer_mail("Neu", message_id="<new@example.org>"))

    result = poll_mailbox(imap_mailbox)

    assert result.uid_validity_changed is True
    assert result.stored == 2
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.uid_validity != validity
    assert imap_mailbox.last_uid == 2
    assert sorted(
        Message.objects.filter(direction=Direction.INBOUND).values_list("external_id", flat=True)
    ) == [
        "<new@example.org>",
        "<old@example.org>",
    ]


def test_a_mailbox_held_by_another_worker_is_skipped_until_its_lease_ends(
    cast, dovecot, imap_mailbox
):
    dovecot.append(imap_mailbox.folder, customer_mail())
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(
        poll_lease_until=timezone.now() + timedelta(minutes=2)
    )

    skipped = poll_mailbox(imap_mailbox)
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(
        poll_lease_until=timezone.now() - timedelta(seconds=1)
    )
    polled = poll_mailbox(imap_mailbox)

    assert (skipped.claimed, skipped.stored) == (False, 0)
    assert (polled.claimed, polled.stored) == (True, 1)
    assert InboundEmail.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_polling_one_mailbox_at_once_ingest_each_message_once(
    cast, dovecot, imap_mailbox
):
    for n in range(6):
        dovecot.append(imap_mailbox.folder, customer_mail(f"Nachricht {n}"))
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(poll_mailbox(Mailbox.objects.get(pk=imap_mailbox.pk)))
        except OperationalError as exc:
            # The SQLite test database is in memory with a shared cache, where a second
            # writer fails at once ("table is locked") instead of waiting as it does on a
            # file database: that worker claimed nothing, which the assertions allow.
            if "locked" not in str(exc):
                raise
            results.append(PollResult(mailbox=imap_mailbox.name, claimed=False))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sum(r.stored for r in results) == 6
    assert sorted(r.claimed for r in results) in ([False, True], [True, True])
    assert InboundEmail.objects.count() == 6
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 6


def test_a_wrong_password_is_recorded_and_nothing_is_lost(cast, dovecot, imap_mailbox):
    dovecot.append(imap_mailbox.folder, customer_mail())
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(password="wrong")

    [failed] = poll_all()
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(password=dovecot.password)
    [recovered] = poll_all()

    assert "Login as support failed" in failed.error
    assert (recovered.stored, recovered.error) == (1, "")
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.last_error == ""
    assert imap_mailbox.poll_lease_until is None


def test_an_unreachable_server_is_recorded_and_other_mailboxes_are_still_polled(
    cast, dovecot, imap_mailbox
):
    Mailbox.objects.create(
        name="A broken one",
        email_address="broken@localhost",
        host="127.0.0.1",
        port=free_port(),
        use_ssl=False,
        username="x",
        password="y",
    )
    dovecot.append(imap_mailbox.folder, customer_mail())

    results = {r.mailbox: r for r in poll_all()}

    assert "Cannot connect to 127.0.0.1" in results["A broken one"].error
    assert results[imap_mailbox.name].stored == 1
    assert "Cannot connect" in Mailbox.objects.get(name="A broken one").last_error


def test_a_missing_folder_is_recorded_as_the_mailboxs_error(cast, dovecot, imap_mailbox):
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(folder="Does-not-exist")

    [result] = poll_all()

    assert "Cannot open folder Does-not-exist" in result.error
    assert "Does-not-exist" in Mailbox.objects.get(pk=imap_mailbox.pk).last_error


def test_inactive_mailboxes_are_not_polled_unless_named(cast, dovecot, imap_mailbox):
    dovecot.append(imap_mailbox.folder, customer_mail())
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(is_active=False)

    assert poll_all() == []
    [named] = poll_all(mailbox_name=imap_mailbox.name)
    assert named.stored == 1


def test_only_loopback_hosts_may_be_read_without_tls():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("imap.example.com") and not is_loopback("192.0.2.10")


def test_the_poll_command_reports_what_each_mailbox_stored(cast, dovecot, imap_mailbox):
    from io import StringIO

    from django.core.management import call_command

    dovecot.append(imap_mailbox.folder, customer_mail())
    out = StringIO()
    call_command("mail", "poll", stdout=out)
    assert f"{imap_mailbox.name}: 1 new message(s) stored." in out.getvalue()


def test_the_poll_command_refuses_an_unknown_mailbox_name(cast):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No mailbox is named 'nowhere'"):
        call_command("mail", "poll", "--mailbox", "nowhere")
