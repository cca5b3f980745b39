"""Is an email from a person, or an auto-reply, a bounce or bulk mail? Only people get answers.

Each verdict names the header or rule that decided it, so the agent sees why a message was
not acknowledged.
"""

import re
from dataclasses import dataclass

from rapport.helpdesk.models import MessageKind
from rapport.mail.parsing import ParsedEmail

BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:(?:AW|RE|WG|FW|Fwd):\s*)*(?:Automatische Antwort|Automatic reply|Auto(?:matic)?[- ]?reply"
    r"|Autoreply|Out of (?:the )?Office|Abwesenheitsnotiz|Abwesenheit|Abwesend|Urlaubsabwesenheit"
    r"|I am out of the office|Ich bin (?:derzeit )?nicht im Büro|Vacation reply|On vacation)\b",
    re.IGNORECASE,
)
BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:Undeliver(?:ed|able)|Delivery Status Notification \(Failure\)|Mail delivery failed"
    r"|Returned mail|Unzustellbar|Nicht zustellbar|Delivery failure)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    kind: str
    rule: str = ""

    def as_data(self) -> dict[str, str]:
        return {"kind": str(self.kind), "rule": self.rule}


def classify(parsed: ParsedEmail) -> Verdict:
    """Return the kind of ``parsed`` and the rule that decided it."""
    headers = parsed.headers
    if parsed.content_type == "multipart/report" and parsed.report_type == "delivery-status":
        return Verdict(MessageKind.BOUNCE, "multipart/report; report-type=delivery-status")
    if BOUNCE_SENDERS.match(parsed.from_address):
        return Verdict(MessageKind.BOUNCE, f"From: {parsed.from_address}")
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return Verdict(MessageKind.AUTO_REPLY, f"Auto-Submitted: {auto_submitted[:40]}")
    for name in ("x-autoreply", "x-autorespond"):
        if headers.get(name):
            return Verdict(MessageKind.AUTO_REPLY, f"{name}: {headers[name][:40]}")
    precedence = headers.get("precedence", "").strip().lower()
    if precedence == "auto_reply":
        return Verdict(MessageKind.AUTO_REPLY, "Precedence: auto_reply")
    if parsed.content_type == "multipart/report":  # read receipts (disposition-notification)
        return Verdict(
            MessageKind.AUTO_REPLY, f"multipart/report; report-type={parsed.report_type}"
        )
    if AUTO_REPLY_SUBJECT.match(parsed.subject):
        return Verdict(MessageKind.AUTO_REPLY, "subject")
    if headers.get("return-path", "").strip() == "<>":
        if BOUNCE_SUBJECT.match(parsed.subject) or parsed.returned_message_ids:
            return Verdict(MessageKind.BOUNCE, "Return-Path: <>")
        return Verdict(MessageKind.AUTO_REPLY, "Return-Path: <>")
    if precedence in ("bulk", "list", "junk"):
        return Verdict(MessageKind.BULK, f"Precedence: {precedence}")
    if headers.get("list-id"):
        return Verdict(MessageKind.BULK, "List-Id")
    if headers.get("list-unsubscribe"):
        return Verdict(MessageKind.BULK, "List-Unsubscribe")
    return Verdict(MessageKind.NORMAL)
