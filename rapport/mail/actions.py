"""Receiving email: store raw first, then parse, classify, match the customer, thread and record.

``store_inbound`` keeps the bytes exactly as received (a file in the default storage and an
``InboundEmail`` row) before anything reads them; ``process_inbound`` turns the row into a
helpdesk message. A failure never loses mail: the row stays ``FAILED`` (retried by
``rapport.mail.tasks``) or ``QUARANTINED`` with its reason, for an administrator to replay.
"""

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import STAFF_ROLES, User
from rapport.customers.models import Customer
from rapport.helpdesk.actions import receive_message, set_team
from rapport.helpdesk.models import Channel, Direction, Message, MessageKind
from rapport.imports.bulk import update_objects
from rapport.mail.classify import classify
from rapport.mail.models import InboundEmail, InboundSource, InboundStatus, Mailbox
from rapport.mail.parsing import NotAnEmail, ParsedEmail, clean_header, parse_message
from rapport.mail.quotes import strip_quotes
from rapport.mail.threads import ThreadLookup, find_thread

logger = logging.getLogger(__name__)

# Processing attempts before a message that keeps failing is quarantined.
MAX_ATTEMPTS = 4
HEADER_END = re.compile(rb"\r?\n\r?\n")
MESSAGE_ID_HEADER = re.compile(rb"^message-id[ \t]*:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.I | re.M)


class Quarantine(Exception):
    """A message that cannot become a helpdesk message as it is; retrying will not help."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Outcome:
    """What processing made of one email, for the command line and the webhook."""

    inbound: InboundEmail
    conversation_number: str = ""
    thread_reason: str = ""


def _header_message_id(raw: bytes) -> str:
    end = HEADER_END.search(raw, 0, 256 * 1024)
    head = raw[: end.start()] if end else raw[: 256 * 1024]
    found = MESSAGE_ID_HEADER.search(head)
    if not found:
        return ""
    value = clean_header(found.group(1).decode("utf-8", "replace"))
    ids = re.findall(r"<[^<>\s]+>", value)
    return (ids[0] if ids else value)[:255]


def store_inbound(
    raw: bytes, *, source: str, mailbox=None, envelope_from: str = "", envelope_to=()
) -> InboundEmail:
    """Store ``raw`` as received and return the row; processing happens separately.

    A message over ``HELPDESK_MAX_MESSAGE_BYTES`` is stored and quarantined at once.
    """
    if source not in InboundSource.values:
        raise ValueError(f"unknown source {source!r}")
    raw = bytes(raw or b"")
    digest = hashlib.sha256(raw).hexdigest()
    inbound = InboundEmail(
        source=source,
        mailbox=mailbox,
        size=len(raw),
        sha256=digest,
        header_message_id=_header_message_id(raw),
        envelope_from=clean_header(envelope_from)[:254],
        envelope_to=[clean_header(str(a))[:254] for a in envelope_to][:100],
    )
    if len(raw) > settings.HELPDESK_MAX_MESSAGE_BYTES:
        inbound.status = InboundStatus.QUARANTINED
        inbound.reason = _("Too large: %(size)d bytes; the limit is %(limit)d bytes.") % {
            "size": len(raw),
            "limit": settings.HELPDESK_MAX_MESSAGE_BYTES,
        }
    inbound.raw.save(f"{digest[:16]}-{uuid.uuid4().hex[:12]}.eml", ContentFile(raw), save=False)
    inbound.save()
    return inbound


def read_raw(inbound: InboundEmail) -> bytes:
    with inbound.raw.open("rb") as handle:
        return handle.read()


def process_inbound(*, inbound_id: int) -> InboundEmail:
    """Parse, thread and store one received email as a helpdesk message.

    Never raises for a bad message: the row ends ``PROCESSED``, ``DUPLICATE``, ``FAILED``
    (to be retried) or ``QUARANTINED``, with the reason.
    """
    return process_email(inbound_id=inbound_id).inbound


def process_email(*, inbound_id: int) -> Outcome:
    """Process one stored email like ``process_inbound`` and say where it went."""
    inbound = InboundEmail.objects.select_related("mailbox").get(pk=inbound_id)
    if inbound.status in (InboundStatus.PROCESSED, InboundStatus.DUPLICATE):
        return _outcome(inbound)
    if inbound.size > settings.HELPDESK_MAX_MESSAGE_BYTES:
        return Outcome(inbound=_finish(inbound, InboundStatus.QUARANTINED, inbound.reason))
    inbound.attempts += 1
    try:
        raw = read_raw(inbound)
        message, created, thread_reason = _record(inbound, raw)
    except Quarantine as exc:
        return Outcome(inbound=_finish(inbound, InboundStatus.QUARANTINED, exc.reason))
    except Exception as exc:  # noqa: BLE001 - nothing received is lost: it is kept with the error
        logger.exception("processing inbound email %s failed", inbound.pk)
        reason = _("Processing failed (attempt %(n)d): %(error)s") % {
            "n": inbound.attempts,
            "error": f"{type(exc).__name__}: {exc}"[:500],
        }
        status = (
            InboundStatus.QUARANTINED if inbound.attempts >= MAX_ATTEMPTS else InboundStatus.FAILED
        )
        return Outcome(inbound=_finish(inbound, status, reason))
    inbound.message = message
    if created:
        _finish(inbound, InboundStatus.PROCESSED, "")
    else:
        _finish(
            inbound,
            InboundStatus.DUPLICATE,
            _("Already received as message %(id)s.") % {"id": message.pk},
        )
    return Outcome(
        inbound=inbound,
        conversation_number=message.conversation.number,
        thread_reason=(thread_reason or {}).get("reason", ""),
    )


def _outcome(inbound: InboundEmail) -> Outcome:
    if inbound.message_id is None:
        return Outcome(inbound=inbound)
    message = Message.objects.select_related("conversation").get(pk=inbound.message_id)
    return Outcome(inbound=inbound, conversation_number=message.conversation.number)


def _finish(inbound: InboundEmail, status: str, reason: str) -> InboundEmail:
    inbound.status = status
    inbound.reason = reason
    inbound.processed_at = timezone.now()
    inbound.save(update_fields=["status", "reason", "attempts", "message", "processed_at"])
    return inbound


def replay_inbound(*, inbound: InboundEmail) -> InboundEmail:
    """Process a failed or quarantined email again (after a fix), from its stored raw bytes."""
    return replay_email(inbound=inbound).inbound


def replay_email(*, inbound: InboundEmail) -> Outcome:
    """Process ``inbound`` again like ``replay_inbound`` and say where it went."""
    if inbound.status not in (InboundStatus.PROCESSED, InboundStatus.DUPLICATE):
        InboundEmail.objects.filter(pk=inbound.pk).update(
            status=InboundStatus.RECEIVED, attempts=0, reason=""
        )
    return process_email(inbound_id=inbound.pk)


def process_batch(inbound_ids: list[int]) -> list[Outcome]:
    """Process many stored emails at once, as ``process_email`` would one by one.

    Customers' ordinary mail (the bulk of a burst) is identified, threaded and stored in
    one transaction with a few queries for the whole batch; its follow-up (routing, SLA,
    acknowledgement) runs as a background job after the commit. Everything else (mail from
    our own addresses, bounces, messages that cannot be read, replies to a message of the
    same batch, repeats) goes through ``process_email`` afterwards, in order. Returns one
    outcome per email still waiting among ``inbound_ids``.
    """
    rows = list(
        InboundEmail.objects.select_related("mailbox")
        .filter(pk__in=inbound_ids, status=InboundStatus.RECEIVED)
        .order_by("pk")
    )
    ours = support_addresses()
    batch: list[tuple[InboundEmail, ParsedEmail, Any, int]] = []
    one_by_one: list[int] = []
    earlier: dict[str, int] = {}
    for inbound in rows:
        prepared = _prepare(inbound, ours, earlier)
        if prepared is None:
            one_by_one.append(inbound.pk)
        else:
            batch.append(prepared)
    outcomes: dict[int, Outcome] = {}
    if batch:
        try:
            outcomes.update(_record_batch(batch))
        except Exception:  # noqa: BLE001 - nothing is lost: each email is then taken alone
            logger.exception("processing a batch of %d emails failed; one by one now", len(batch))
            one_by_one.extend(entry[0].pk for entry in batch)
    for inbound_id in sorted(one_by_one):
        outcomes[inbound_id] = process_email(inbound_id=inbound_id)
    return [outcomes[inbound.pk] for inbound in rows if inbound.pk in outcomes]


def _prepare(inbound: InboundEmail, ours: set[str], earlier: dict[str, int]):
    """Return (inbound, parsed, verdict, round) if ``inbound`` can join a batch, else None.

    ``earlier`` maps the Message-IDs of the batch so far to their rounds.
    """
    if inbound.size > settings.HELPDESK_MAX_MESSAGE_BYTES:
        return None
    try:
        parsed = parse_message(read_raw(inbound))
    except Exception:  # noqa: BLE001 - process_email records why
        return None
    _complete(parsed, inbound)
    parsed.message_id = parsed.message_id[:255]
    # A reply to an email of this batch is stored in a later round, after that email.
    refers = {*parsed.in_reply_to, *parsed.references, *parsed.returned_message_ids}
    wave = max((earlier[i] + 1 for i in refers if i in earlier), default=0)
    if parsed.message_id in earlier:
        wave = max(wave, earlier[parsed.message_id] + 1)  # a repeat: found as a duplicate
    earlier[parsed.message_id] = wave
    if not parsed.from_address or parsed.from_address in ours:
        return None
    verdict = classify(parsed)
    if verdict.kind == MessageKind.BOUNCE:
        return None
    return inbound, parsed, verdict, wave


def _record_batch(batch) -> dict[int, Outcome]:
    from rapport.customers.actions import ContactInput, NewCustomer, create_customers
    from rapport.customers.queries import identify_customers_by_email

    outcomes: dict[int, Outcome] = {}
    now = timezone.now()
    with transaction.atomic():
        known = identify_customers_by_email([entry[1].from_address for entry in batch])
        strangers: dict[str, ParsedEmail] = {}
        for _inbound, parsed, _verdict, _wave in batch:
            if parsed.from_address not in known:
                strangers.setdefault(parsed.from_address, parsed)
        created = create_customers(
            actor=None,
            entries=[
                NewCustomer(
                    profile=dict(
                        zip(
                            ("given_name", "family_name"),
                            split_name(p.from_name, p.from_address),
                            strict=True,
                        )
                    ),
                    contacts=ContactInput(emails=[p.from_address]),
                )
                for p in strangers.values()
            ],
            source="email",
        )
        customers = {**known, **dict(zip(strangers, created, strict=True))}
        waves: dict[int, list] = {}
        for inbound, parsed, verdict, wave in batch:
            inbound.attempts += 1
            inbound.processed_at = now
            customer = customers[parsed.from_address]
            if isinstance(customer, ValidationError):
                inbound.status = InboundStatus.QUARANTINED
                inbound.reason = _("The sender cannot be recorded as a customer: %(error)s") % {
                    "error": "; ".join(customer.messages)
                }
                outcomes[inbound.pk] = Outcome(inbound=inbound)
            else:
                waves.setdefault(wave, []).append((inbound, parsed, verdict, customer))
        for wave in sorted(waves):
            outcomes.update(_record_wave(waves[wave]))
        update_objects(
            [entry[0] for entry in batch],
            ["status", "reason", "attempts", "message", "processed_at"],
        )
    return outcomes


def _record_wave(entries) -> dict[int, Outcome]:
    """Thread and store emails of which none answers another (one round of a batch)."""
    from rapport.helpdesk.actions.intake import Incoming, receive_inbound_batch

    lookup = ThreadLookup.prefetch([parsed for _inbound, parsed, _verdict, _c in entries])
    items, threads = [], []
    for inbound, parsed, verdict, customer in entries:
        thread = find_thread(parsed, customer_id=customer.pk, from_us=False, lookup=lookup)
        fields = _message_fields(inbound, parsed, verdict, thread.reason)
        items.append(
            Incoming(
                customer=customer, conversation=thread.conversation, kind=verdict.kind, **fields
            )
        )
        threads.append(thread)
    outcomes: dict[int, Outcome] = {}
    received = receive_inbound_batch(items, channel=Channel.EMAIL)
    for (inbound, *_rest), thread, result in zip(entries, threads, received, strict=True):
        inbound.message = result.message
        if result.created:
            inbound.status, inbound.reason = InboundStatus.PROCESSED, ""
            _route_by_mailbox(inbound, result)
        else:
            inbound.status = InboundStatus.DUPLICATE
            inbound.reason = _("Already received as message %(id)s.") % {"id": result.message.pk}
        outcomes[inbound.pk] = Outcome(
            inbound=inbound,
            conversation_number=result.message.conversation.number,
            thread_reason=(thread.reason or {}).get("reason", ""),
        )
    return outcomes


def support_addresses() -> set[str]:
    """Return the company's own addresses: configured support addresses and every mailbox."""
    addresses = {a.strip().lower() for a in settings.HELPDESK_SUPPORT_ADDRESSES if a.strip()}
    addresses.update(a.lower() for a in Mailbox.objects.values_list("email_address", flat=True))
    return addresses


def _complete(parsed: ParsedEmail, inbound: InboundEmail) -> None:
    """Fill in what the headers lack: the sender from the envelope, a Message-ID."""
    if not parsed.from_address and inbound.envelope_from and "@" in inbound.envelope_from:
        parsed.from_address = inbound.envelope_from.strip("<>").lower()
    if not parsed.message_id:
        # Without a Message-ID the raw bytes identify the message, so a repeat is still one.
        parsed.message_id = f"<{inbound.sha256[:32]}@missing-message-id.invalid>"


def _record(inbound: InboundEmail, raw: bytes) -> tuple[Message, bool, dict]:
    try:
        parsed = parse_message(raw)
    except NotAnEmail:
        raise Quarantine("not_email", _("Not an email: no headers could be read.")) from None
    _complete(parsed, inbound)
    if not parsed.from_address:
        raise Quarantine("no_sender", _("No sender: the message has no From address."))
    existing = Message.objects.with_external_id(Channel.EMAIL, parsed.message_id[:255])
    existing = existing.select_related("conversation").first()
    if existing:
        return existing, False, {}
    verdict = classify(parsed)
    ours = support_addresses()
    from_us = parsed.from_address in ours
    with transaction.atomic():
        if from_us:
            return _record_from_us(inbound, parsed, verdict, ours)
        bounce = verdict.kind == MessageKind.BOUNCE
        known = None if bounce else _identify(parsed.from_address)
        thread = find_thread(
            parsed, customer_id=known.pk if known else None, from_us=False, bounce=bounce
        )
        if thread.conversation is not None:
            customer = (
                thread.conversation.customer if bounce else (known or _create_customer(parsed))
            )
        elif bounce:
            raise Quarantine(
                "bounce_unmatched",
                _("Bounce of a message that is not in any conversation."),
            )
        else:
            customer = known or _create_customer(parsed)
        received = receive_message(
            customer=customer,
            channel=Channel.EMAIL,
            conversation=thread.conversation,
            direction=Direction.INBOUND,
            kind=verdict.kind,
            **_message_fields(inbound, parsed, verdict, thread.reason),
        )
        _route_by_mailbox(inbound, received)
    return received.message, received.created, thread.reason


def _record_from_us(inbound, parsed: ParsedEmail, verdict, ours: set[str]):
    """Record mail an agent sent from another client as our outbound message; never answered."""
    recipients = [a for a in parsed.recipients if a not in ours]
    thread = find_thread(parsed, customer_id=None, from_us=True)
    if thread.conversation is not None:
        customer = thread.conversation.customer
    elif recipients:
        customer = _identify(recipients[0]) or _create_customer(
            ParsedEmail(from_address=recipients[0])
        )
    else:
        raise Quarantine(
            "from_us",
            _("Mail from our own address to no customer (possibly a mail loop)."),
        )
    author = (
        User.objects.filter(email__iexact=parsed.from_address, role__in=STAFF_ROLES, is_active=True)
        .order_by("pk")
        .first()
    )
    received = receive_message(
        customer=customer,
        channel=Channel.EMAIL,
        conversation=thread.conversation,
        direction=Direction.OUTBOUND,
        kind=verdict.kind,
        author=author,
        **_message_fields(inbound, parsed, verdict, {**thread.reason, "from_us": True}),
    )
    return received.message, received.created, thread.reason


def _message_fields(inbound, parsed: ParsedEmail, verdict, reason: dict) -> dict:
    email_data = {
        "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to[:20],
        "references": parsed.references[-20:],
        "from": parsed.from_address,
        "to": parsed.to[:50],
        "cc": parsed.cc[:50],
        "reply_to": parsed.reply_to,
        "date": parsed.date.isoformat() if parsed.date else "",
        "headers": parsed.headers,
        "classification": verdict.as_data(),
        "inbound_id": inbound.pk,
        "mailbox": inbound.mailbox.name if inbound.mailbox_id else "",
        "defects": parsed.defects[:20],
        "thread": reason,
    }
    if parsed.returned_message_ids:
        email_data["returned_message_ids"] = parsed.returned_message_ids[:5]
    return {
        "subject": parsed.subject,
        "body_text": parsed.text,
        "body_html": parsed.html,
        "display_text": strip_quotes(parsed.text),
        "sender_name": parsed.from_name[:200],
        "sender_address": parsed.from_address[:254],
        "recipients": parsed.recipients[:50],
        "external_id": parsed.message_id[:255],
        "attachments": parsed.attachments,
        # When it reached us, not the sender's Date header (which may be wrong or forged).
        "received_at": inbound.received_at,
        "data": {"email": email_data},
        "thread_reason": reason,
    }


def _identify(address: str) -> Customer | None:
    from rapport.customers.queries import identify_customer

    return identify_customer(email=address)


def _create_customer(parsed: ParsedEmail) -> Customer:
    from rapport.customers.actions import ContactInput, create_customer

    given, family = split_name(parsed.from_name, parsed.from_address)
    try:
        return create_customer(
            actor=None,
            profile={"given_name": given, "family_name": family},
            contacts=ContactInput(emails=[parsed.from_address]),
            source="email",
        )
    except ValidationError as exc:
        raise Quarantine(
            "bad_sender",
            _("The sender cannot be recorded as a customer: %(error)s")
            % {"error": "; ".join(exc.messages)},
        ) from None


def split_name(display: str, address: str) -> tuple[str, str]:
    """Return (given, family) from a display name ("Schmidt, Anna" or "Anna Schmidt")."""
    display = " ".join((display or "").replace('"', " ").split())
    if "@" in display:
        display = ""
    if not display:
        local = address.split("@", 1)[0]
        parts = [p for p in re.split(r"[._-]+", local) if p.isalpha()]
        if len(parts) == 1:
            return parts[0].capitalize()[:100], ""
        display = " ".join(p.capitalize() for p in parts[:3])
    if not display:
        return address.split("@", 1)[0][:100] or address[:100], ""
    if "," in display:
        family, _sep, given = display.partition(",")
        return given.strip()[:100], family.strip()[:100]
    given, _sep, family = display.rpartition(" ")
    if not given:
        return family[:100], ""
    return given[:100], family[:100]


def _route_by_mailbox(inbound: InboundEmail, received) -> None:
    """Give a new conversation the team of the mailbox it arrived in, if routing set none."""
    if not (received.conversation_created and inbound.mailbox_id and inbound.mailbox.team_id):
        return
    conversation = received.message.conversation
    conversation.refresh_from_db(fields=["team"])
    if conversation.team_id is None:
        set_team(conversation=conversation, actor=None, team=inbound.mailbox.team)


def failed_or_quarantined():
    return InboundEmail.objects.filter(
        Q(status=InboundStatus.FAILED) | Q(status=InboundStatus.QUARANTINED)
    )
