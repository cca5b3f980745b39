import datetime
import hashlib
import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from huey.contrib.djhuey import HUEY

from rapport.helpdesk.models import Message, MessageKind
from rapport.mail.actions import MAX_ATTEMPTS, process_inbound, read_raw, store_inbound
from rapport.mail.models import InboundEmail, InboundSource, InboundStatus
from rapport.mail.tasks import process_inbound_task
from rapport.mail.tests.helpers import eml, ingest


def test_store_inbound_keeps_the_raw_bytes_before_any_parsing(cast):
    raw = b"\x00\xffnot even close to an email"
    inbound = store_inbound(
        raw,
        source=InboundSource.SMTP,
        envelope_from="x@example.org",
        envelope_to=["support@localhost"],
    )
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.RECEIVED
    assert read_raw(inbound) == raw
    assert inbound.sha256 == hashlib.sha256(raw).hexdigest()
    assert inbound.size == len(raw)
    assert inbound.envelope_to == ["support@localhost"]


def test_store_inbound_records_the_message_id_header_with_angle_brackets(cast):
    inbound = store_inbound(eml(message_id="<abc@example.org>"), source=InboundSource.IMAP)
    assert inbound.header_message_id == "<abc@example.org>"


def test_message_external_id_is_the_message_id_with_angle_brackets(cast):
    inbound = ingest(eml(message_id="<abc@example.org>"))
    assert inbound.message.external_id == "<abc@example.org>"


def test_oversize_message_is_stored_and_quarantined_with_its_reason(cast, settings):
    settings.HELPDESK_MAX_MESSAGE_BYTES = 100
    inbound = ingest(eml(body="x" * 200))
    assert inbound.status == InboundStatus.QUARANTINED
    assert "Too large" in inbound.reason
    assert read_raw(inbound).endswith(b"x" * 50 + b"\r\n")
    assert not Message.objects.exists()


def test_binary_garbage_is_quarantined_not_a_crash(cast):
    inbound = ingest(bytes(range(256)) * 20)
    assert inbound.status == InboundStatus.QUARANTINED
    assert "no headers" in inbound.reason


def test_message_without_a_sender_is_quarantined(cast):
    inbound = ingest(b"Subject: hello\r\n\r\nbody\r\n")
    assert inbound.status == InboundStatus.QUARANTINED
    assert "No sender" in inbound.reason


def test_message_without_message_id_is_still_received_once(cast):
    raw = eml(message_id="")
    first, second = ingest(raw), ingest(raw)
    assert first.status == InboundStatus.PROCESSED
    assert second.status == InboundStatus.DUPLICATE
    assert first.message.external_id.endswith("@missing-message-id.invalid>")


def test_processing_error_is_kept_as_failed_with_the_reason_and_nothing_half_saved(
    cast, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("rapport.mail.actions.receive_message", broken)
    inbound = store_inbound(eml(sender="new.person@example.net"), source=InboundSource.IMAP)
    inbound = process_inbound(inbound_id=inbound.pk)
    assert inbound.status == InboundStatus.FAILED
    assert "RuntimeError: database went away" in inbound.reason
    assert inbound.attempts == 1
    from rapport.customers.models import Customer

    assert not Customer.objects.filter(contact_points__value="new.person@example.net").exists()


def test_task_retries_a_failing_message_then_quarantines_it(cast, monkeypatch):
    calls = []

    def broken(**kwargs):
        calls.append(1)
        raise RuntimeError("still broken")

    monkeypatch.setattr("rapport.mail.actions.receive_message", broken)
    inbound = store_inbound(eml(), source=InboundSource.IMAP)
    process_inbound_task(inbound.pk)
    for _round in range(10):  # run the retries Huey scheduled, as the consumer would later
        due = HUEY.read_schedule(datetime.datetime(2100, 1, 1))  # noqa: DTZ001 - Huey's naive UTC
        for task in due:
            task.eta = None
            HUEY.execute(task)
    inbound.refresh_from_db()
    assert len(calls) == MAX_ATTEMPTS
    assert inbound.status == InboundStatus.QUARANTINED
    assert inbound.attempts == MAX_ATTEMPTS


def test_replay_processes_a_quarantined_message_after_the_fix(cast, monkeypatch):
    from rapport.mail.actions import replay_inbound

    monkeypatch.setattr("rapport.mail.actions.receive_message", lambda **kw: 1 / 0)
    inbound = ingest(eml())
    assert inbound.status == InboundStatus.FAILED
    monkeypatch.undo()
    inbound = replay_inbound(inbound=inbound)
    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.message.conversation.customer == cast.customer


def test_attachment_over_the_limit_is_recorded_with_reason_and_not_stored(cast, settings):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 1000
    raw = (
        "From: anna@example.org\r\nTo: support@localhost\r\nSubject: Foto\r\n"
        "Message-ID: <att@example.org>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="X"\r\n\r\n'
        "--X\r\nContent-Type: text/plain\r\n\r\nSiehe Anhang.\r\n"
        '--X\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename="big.jpg"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + "QUFB" * 1000 + "\r\n"
        '--X\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename="small.csv"\r\n\r\n'
        "a;b\r\n1;2\r\n--X--\r\n"
    ).encode()
    message = ingest(raw).message
    big = message.attachments.get(filename="big.jpg")
    small = message.attachments.get(filename="small.csv")
    assert (big.rejected_reason, big.size, bool(big.file)) == ("too_large", 3000, False)
    assert small.rejected_reason == "" and small.file.read() == b"a;b\r\n1;2"


def test_subject_with_encoded_line_breaks_is_kept_on_one_line(cast):
    message = ingest(eml(subject="=?utf-8?q?Hallo=0D=0ABcc:_evil@example.com?=")).message
    assert message.subject == "Hallo Bcc: evil@example.com"
    assert "\n" not in message.conversation.subject


def test_ingest_command_prints_the_conversation_and_threading_reason(cast, tmp_path):
    path = tmp_path / "mail.eml"
    path.write_bytes(eml(message_id="<cmd@example.org>"))
    out = io.StringIO()
    call_command("mail", "ingest", str(path), stdout=out)
    message = Message.objects.get(external_id="<cmd@example.org>")
    assert message.conversation.number in out.getvalue()
    assert "new" in out.getvalue()


def test_ingest_command_reads_standard_input(cast, monkeypatch):
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO(eml(message_id="<stdin@example.org>")))
    )
    call_command("mail", "ingest", "-", stdout=io.StringIO())
    assert Message.objects.filter(external_id="<stdin@example.org>").exists()


def test_ingest_command_fails_with_the_quarantine_reason(cast, tmp_path):
    path = tmp_path / "garbage.eml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    with pytest.raises(CommandError, match="no headers") as error:
        call_command("mail", "ingest", str(path), stdout=io.StringIO())
    assert error.value.returncode == 1
    assert InboundEmail.objects.get().status == InboundStatus.QUARANTINED


def test_replay_command_with_all_failed_processes_them_again(cast, monkeypatch):
    monkeypatch.setattr("rapport.mail.actions.receive_message", lambda **kw: 1 / 0)
    inbound = ingest(eml())
    monkeypatch.undo()
    out = io.StringIO()
    call_command("mail", "replay", "--all-failed", stdout=out)
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.PROCESSED
    assert f"#{inbound.pk}" in out.getvalue()


def test_bulk_newsletter_is_stored_as_bulk(cast):
    message = ingest(
        eml(headers={"List-Unsubscribe": "<mailto:unsub@news.example>", "Precedence": "bulk"})
    ).message
    assert message.kind == MessageKind.BULK


def test_sweep_processes_email_left_waiting_and_leaves_fresh_email_alone(cast):
    from datetime import timedelta

    from django.utils import timezone

    from rapport.mail.tasks import process_stuck_inbound_task

    old = store_inbound(eml(message_id="<old@example.org>"), source=InboundSource.IMAP)
    InboundEmail.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(hours=2))
    fresh = store_inbound(eml(message_id="<fresh@example.org>"), source=InboundSource.IMAP)
    process_stuck_inbound_task.call_local()
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == InboundStatus.PROCESSED
    assert fresh.status == InboundStatus.RECEIVED
