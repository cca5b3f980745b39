"""Every email of the corpus (tests/data) is received without loss and as expected.

``expectations.json`` beside the files says, per file: kind, threading reason (and what
matched), direction, sender, subject, words the display text must (not) show, HTML that must
(not) survive sanitising, attachments, or the quarantine reason.
"""

import email
import json
import re
from email import policy
from pathlib import Path

import pytest

from rapport.helpdesk.actions import open_conversation, receive_message
from rapport.helpdesk.models import Channel, Direction
from rapport.mail.actions import process_batch, read_raw, store_inbound
from rapport.mail.models import InboundEmail, InboundSource, InboundStatus
from rapport.mail.parsing import decode_bytes, html_to_text
from rapport.mail.tests.helpers import ingest

DATA = Path(__file__).parent / "data"
EXPECTATIONS = json.loads((DATA / "expectations.json").read_text(encoding="utf-8"))
WORD = re.compile(r"\w{3,}")


def test_corpus_has_at_least_thirty_emails_each_with_expectations():
    files = sorted(p.name for p in DATA.glob("*.eml"))
    assert len(files) >= 30
    assert set(files) == set(EXPECTATIONS)


@pytest.fixture
def our_reply(cast):
    """The reply we sent to Anna that corpus mails answer or bounce."""
    conversation = open_conversation(
        customer=cast.customer, subject="Where is my order?", channel=Channel.EMAIL
    )
    return receive_message(
        customer=cast.customer,
        channel=Channel.EMAIL,
        conversation=conversation,
        direction=Direction.OUTBOUND,
        author=cast.agent,
        body_text="Dear Ms Schmidt, your parcel is on its way.",
        external_id="<reply-0001@rapport.example>",
    ).message


def body_parts(msg):
    """Yield (kind, part) for each leaf the way a reader sees it: "text", "html" or "attachment"."""
    ctype = msg.get_content_type()
    if ctype.startswith("message/") and msg.is_multipart() or ctype == "message/rfc822":
        yield "attachment", msg
        return
    if msg.is_multipart():
        for child in msg.get_payload():
            yield from body_parts(child)
        return
    attached = msg.get_content_disposition() == "attachment"
    if ctype == "text/plain" and not attached:
        yield "text", msg
    elif ctype == "text/html" and not attached:
        yield "html", msg
    else:
        yield "attachment", msg


def words(text: str) -> set[str]:
    return set(WORD.findall(text))


def _one_by_one(raws: list[bytes]):
    return [ingest(raw) for raw in raws]


def _in_one_batch(raws: list[bytes]):
    ids = [store_inbound(raw, source=InboundSource.COMMAND).pk for raw in raws]
    process_batch(ids)
    return [InboundEmail.objects.get(pk=pk) for pk in ids]


@pytest.mark.parametrize("receive", [_one_by_one, _in_one_batch], ids=["alone", "batch"])
@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_corpus_email_is_received_without_loss(name, receive, cast, our_reply, settings):
    """Each email, after the emails it answers, alone and as one batch with them."""
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 64 * 1024
    expected = EXPECTATIONS[name]
    raw = (DATA / name).read_bytes()
    *earlier, inbound = receive(
        [(DATA / e).read_bytes() for e in expected.get("after", [])] + [raw]
    )
    for before in earlier:
        assert before.status == InboundStatus.PROCESSED

    if expected.get("status") == "quarantined":
        assert inbound.status == InboundStatus.QUARANTINED
        assert expected["reason"] in inbound.reason
        assert read_raw(inbound) == raw
        return
    assert inbound.status == InboundStatus.PROCESSED, inbound.reason
    message = inbound.message

    # Nothing lost: every word of every text part, every part attached or rejected with a reason.
    parsed = email.message_from_bytes(raw, policy=policy.compat32)
    shown_html = html_to_text(message.body_html)
    attachment_parts = 0
    for kind, part in body_parts(parsed):
        if kind == "attachment":
            attachment_parts += 1
            continue
        text = decode_bytes(part.get_payload(decode=True) or b"", part.get_content_charset())
        if kind == "text":
            missing = words(text) - words(message.body_text)
        else:
            missing = words(html_to_text(text)) - words(shown_html)
        assert not missing, f"{kind} words lost: {sorted(missing)[:10]}"
    attachments = list(message.attachments.all())
    assert len(attachments) == attachment_parts
    for attachment in attachments:
        assert bool(attachment.file) != bool(attachment.rejected_reason), attachment.filename

    assert message.kind == expected["kind"]
    assert message.data["email"]["thread"]["reason"] == expected["thread"]
    if "matched" in expected:
        assert message.data["email"]["thread"]["matched"] == expected["matched"]
    if expected["thread"] in ("in_reply_to", "references", "bounce"):
        assert message.conversation == our_reply.conversation
    assert message.direction == expected.get("direction", Direction.INBOUND)
    if "sender" in expected:
        assert message.sender_address == expected["sender"]
    if "sender_name" in expected:
        assert message.sender_name == expected["sender_name"]
    if "subject" in expected:
        assert message.subject == expected["subject"]
    if "external_id" in expected:
        assert message.external_id == expected["external_id"]
    for text in expected.get("display_contains", []):
        assert text in message.display_text
    for text in expected.get("display_excludes", []):
        assert text not in message.display_text
    for text in expected.get("html_contains", []):
        assert text in message.body_html
    for text in expected.get("html_excludes", []):
        assert text not in message.body_html
    if "customer_name" in expected:
        customer = message.conversation.customer
        assert [customer.given_name, customer.family_name] == expected["customer_name"]
    by_name = {a.filename: a for a in attachments}
    for item in expected.get("attachments", []):
        attachment = by_name[item["filename"]]
        assert bool(attachment.file) == item["stored"]
        if "rejected_reason" in item:
            assert attachment.rejected_reason == item["rejected_reason"]
        if "inline" in item:
            assert attachment.is_inline == item["inline"]
