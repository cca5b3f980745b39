"""Receiving mail over SMTP (aiosmtpd): ``rapport mail smtpd`` runs ``serve``.

The listener accepts mail only for the company's support addresses (the configured ones and
every mailbox's) and only up to ``HELPDESK_MAX_MESSAGE_BYTES``. It stores each message raw
before it answers 250, so a message the sender was told we accepted is never lost; then it
hands the message to processing. The ORM runs in a worker thread (``sync_to_async``), never
in the event loop.
"""

import logging
import signal
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from rapport.mail.actions import support_addresses
from rapport.mail.imap import queue_processing
from rapport.mail.models import InboundSource
from rapport.mail.outbound import mail_domain

logger = logging.getLogger(__name__)

REFUSED_RECIPIENT = "550 5.1.1 Recipient address rejected: not a support address of this system"
TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size"
TRY_LATER = "451 4.3.0 Message not stored, please try again later"
ACCEPTED = "250 2.0.0 OK: message stored"


def _is_support_address(address: str) -> bool:
    close_old_connections()
    try:
        return address.strip().lower() in support_addresses()
    finally:
        close_old_connections()


def _store(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> int:
    from rapport.mail.actions import store_inbound

    close_old_connections()
    try:
        inbound = store_inbound(
            raw, source=InboundSource.SMTP, envelope_from=mail_from or "", envelope_to=rcpt_tos
        )
        return inbound.pk
    finally:
        close_old_connections()


def _process(inbound_id: int) -> None:
    close_old_connections()
    try:
        queue_processing(inbound_id)
    finally:
        close_old_connections()


class SupportMailHandler:
    """aiosmtpd handler: refuse other recipients, store raw, then queue processing."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options
    ) -> str:
        if not await sync_to_async(_is_support_address)(address):
            logger.info("SMTP: refused recipient %s from %s", address, session.peer)
            return REFUSED_RECIPIENT
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content if isinstance(envelope.content, bytes) else b""
        if len(raw) > settings.HELPDESK_MAX_MESSAGE_BYTES:
            return TOO_BIG
        try:
            inbound_id = await sync_to_async(_store)(raw, envelope.mail_from, envelope.rcpt_tos)
        except Exception:  # noqa: BLE001 - not stored: the sender must keep it and retry
            logger.exception("SMTP: storing a message from %s failed", envelope.mail_from)
            return TRY_LATER
        # Stored: from here on the message is ours, whatever processing does with it.
        await sync_to_async(_process)(inbound_id)
        return ACCEPTED


class ListenerController(Controller):
    """An SMTP listener on ``host:port`` in a thread of its own; ``start()`` / ``stop()``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 2525):
        super().__init__(
            SupportMailHandler(),
            hostname=host,
            port=port,
            server_hostname=mail_domain(),
            data_size_limit=settings.HELPDESK_MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            ident="Rapport",
        )


def listener(host: str = "127.0.0.1", port: int = 2525) -> ListenerController:
    """Return a stopped listener for ``host:port``; call ``start()`` and later ``stop()``."""
    return ListenerController(host, port)


def serve(host: str = "127.0.0.1", port: int = 2525, *, stop: threading.Event | None = None):
    """Run the SMTP listener until SIGINT/SIGTERM (or until ``stop`` is set)."""
    stop = stop or threading.Event()
    controller = listener(host, port)
    controller.start()
    logger.info("SMTP listener on %s:%s accepting mail for our support addresses", host, port)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_args: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        controller.stop()
