"""Building raw test emails and feeding them through the pipeline."""

from rapport.mail.actions import process_inbound, store_inbound
from rapport.mail.models import InboundSource


def eml(
    *,
    sender: str = "Anna Schmidt <anna@example.org>",
    to: str = "support@localhost",
    subject: str = "Frage zu meiner Bestellung",
    body: str = "Hallo, wo bleibt meine Bestellung?",
    message_id: str = "<m1@example.org>",
    headers: dict | None = None,
) -> bytes:
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        "Date: Mon, 4 May 2026 10:12:00 +0200",
    ]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    lines += [
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode("utf-8")


def ingest(raw: bytes, **kwargs):
    inbound = store_inbound(raw, source=kwargs.pop("source", InboundSource.COMMAND), **kwargs)
    return process_inbound(inbound_id=inbound.pk)
