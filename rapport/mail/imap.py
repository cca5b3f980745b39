"""Polling IMAP mailboxes for customer mail.

Each active ``Mailbox`` is read from ``last_uid + 1`` on, in batches. Every message is
stored raw (``store_inbound``) and ``last_uid`` moves past it in the same transaction, so a
message is never skipped and, unless a worker dies between the commit and the next
message, never fetched twice; a repeat is still harmless because processing deduplicates by
``Message-ID``. Two workers never poll one mailbox at once: each claims the row with a
conditional UPDATE on ``poll_lease_until`` and goes on only if it won.
"""

import ipaddress
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from rapport.mail.models import InboundSource, Mailbox

logger = logging.getLogger(__name__)

SEEN = b"\\Seen"


class PollError(Exception):
    """A mailbox could not be read; the reason is kept in ``Mailbox.last_error``."""


class LeaseLost(PollError):
    """Another worker took the mailbox over (our lease ran out); stop without writing."""


@dataclass
class PollResult:
    """What one poll of one mailbox did."""

    mailbox: str
    stored: int = 0
    claimed: bool = True
    error: str = ""
    uid_validity_changed: bool = False


def poll_all(mailbox_name: str | None = None) -> list[PollResult]:
    """Poll every active mailbox (or only the one named ``mailbox_name``, active or not).

    Raises ``Mailbox.DoesNotExist`` for an unknown name; a mailbox that fails is recorded
    in its ``last_error`` and the others are still polled.
    """
    if mailbox_name:
        mailboxes = [Mailbox.objects.get(name=mailbox_name)]
    else:
        mailboxes = list(Mailbox.objects.filter(is_active=True).order_by("name"))
    return [poll_mailbox(mailbox) for mailbox in mailboxes]


def poll_mailbox(mailbox: Mailbox) -> PollResult:
    """Fetch and store the new messages of ``mailbox``, unless another worker is at it."""
    lease = _claim(mailbox)
    if lease is None:
        return PollResult(mailbox=mailbox.name, claimed=False)
    mailbox.refresh_from_db()  # the worker before us may have moved last_uid on
    result = PollResult(mailbox=mailbox.name)
    poller = _Poller(mailbox, lease, result)
    try:
        poller.run()
    except LeaseLost as exc:
        result.error = str(exc)
        logger.warning("mailbox %s: %s", mailbox.name, exc)
        return result
    except Exception as exc:  # noqa: BLE001 - every failure is kept for the admin, then retried
        result.error = _describe(exc)
        logger.warning("polling mailbox %s failed: %s", mailbox.name, result.error)
    Mailbox.objects.filter(pk=mailbox.pk, poll_lease_until=poller.lease).update(
        poll_lease_until=None, last_polled_at=timezone.now(), last_error=result.error[:2000]
    )
    return result


def _claim(mailbox: Mailbox) -> datetime | None:
    """Take the mailbox for this worker; return the lease's end, or None if it is taken."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.HELPDESK_IMAP_LEASE_SECONDS)
    won = (
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
        .update(poll_lease_until=lease)
    )
    return lease if won else None


def _describe(exc: Exception) -> str:
    if isinstance(exc, PollError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def connect(mailbox: Mailbox) -> IMAPClient:
    """Return a logged-in client: SSL/TLS, else STARTTLS; plain text only on loopback."""
    context = ssl.create_default_context()
    timeout = settings.HELPDESK_IMAP_TIMEOUT
    try:
        client = IMAPClient(
            mailbox.host,
            port=mailbox.port,
            ssl=mailbox.use_ssl,
            ssl_context=context if mailbox.use_ssl else None,
            timeout=timeout,
        )
    except (OSError, IMAPClientError) as exc:
        raise PollError(
            _("Cannot connect to %(host)s:%(port)s: %(error)s")
            % {"host": mailbox.host, "port": mailbox.port, "error": exc}
        ) from exc
    try:
        if not mailbox.use_ssl:
            if client.has_capability("STARTTLS"):
                client.starttls(context)
            elif not is_loopback(mailbox.host):
                raise PollError(
                    _(
                        "%(host)s offers neither SSL/TLS nor STARTTLS; the password is not "
                        "sent unencrypted."
                    )
                    % {"host": mailbox.host}
                )
        try:
            client.login(mailbox.username, mailbox.password)
        except IMAPClientError as exc:
            raise PollError(
                _("Login as %(user)s failed: %(error)s") % {"user": mailbox.username, "error": exc}
            ) from exc
    except BaseException:
        _close(client)
        raise
    return client


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection is going away anyway
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


class _Poller:
    def __init__(self, mailbox: Mailbox, lease: datetime, result: PollResult):
        self.mailbox = mailbox
        self.lease = lease
        self.result = result

    def run(self) -> None:
        client = connect(self.mailbox)
        try:
            self._poll(client)
        finally:
            _close(client)

    def _poll(self, client: IMAPClient) -> None:
        mailbox = self.mailbox
        try:
            info = client.select_folder(mailbox.folder)
        except IMAPClientError as exc:
            raise PollError(
                _("Cannot open folder %(folder)s: %(error)s")
                % {"folder": mailbox.folder, "error": exc}
            ) from exc
        validity = int(info[b"UIDVALIDITY"])
        read_only = bool(info.get(b"READ-ONLY"))
        first_poll = mailbox.uid_validity is None
        if first_poll:
            # A mailbox new to Rapport: its unread mail is new; what people have read there
            # already is history, not requests to open (and acknowledge) again.
            uids = client.search(["UNSEEN"])
        elif mailbox.uid_validity != validity:
            # The server renumbered the folder: old UIDs mean nothing now. Read what is
            # unread or arrived since the last poll; mail stored before is recognised by
            # its Message-ID, so nothing is duplicated and nothing recent is skipped.
            logger.warning(
                "mailbox %s: UIDVALIDITY changed from %s to %s, reading recent mail again",
                mailbox.name,
                mailbox.uid_validity,
                validity,
            )
            self.result.uid_validity_changed = True
            since = (mailbox.last_polled_at or timezone.now()) - timedelta(days=1)
            uids = client.search(["OR", "UNSEEN", "SINCE", since.date()])
            self._advance(uid_validity=validity, last_uid=0)
        else:
            # "n:*" always matches the newest message, even when its UID is below n.
            uids = client.search(["UID", f"{mailbox.last_uid + 1}:*"])
            uids = [u for u in uids if u > mailbox.last_uid]
        uids = sorted(uids)
        uid_next = int(info.get(b"UIDNEXT") or 0)
        batch_size = max(1, settings.HELPDESK_IMAP_BATCH)
        for start in range(0, len(uids), batch_size):
            batch = uids[start : start + batch_size]
            stored = self._fetch_and_store(client, batch)
            if stored and not read_only:
                try:
                    client.add_flags(stored, [SEEN], silent=True)
                except IMAPClientError as exc:
                    logger.warning("mailbox %s: cannot mark as seen: %s", mailbox.name, exc)
        if mailbox.uid_validity != validity or uid_next - 1 > mailbox.last_uid:
            # Everything below UIDNEXT was read or deliberately passed over (first poll).
            end = max(uid_next - 1, mailbox.last_uid) if uid_next else max([0, *uids])
            self._advance(uid_validity=validity, last_uid=end)

    def _fetch_and_store(self, client: IMAPClient, batch: list[int]) -> list[int]:
        from rapport.mail.actions import store_inbound

        fetched = client.fetch(batch, ["BODY.PEEK[]"])
        stored: list[int] = []
        for uid in batch:
            data = fetched.get(uid)
            if data is None:
                continue  # expunged since the search
            raw = data.get(b"BODY[]")
            if raw is None:
                raw = data.get(b"RFC822")
            if raw is None:
                raise PollError(
                    _("The server returned no content for message UID %(uid)s.") % {"uid": uid}
                )
            with transaction.atomic():
                inbound = store_inbound(
                    bytes(raw),
                    source=InboundSource.IMAP,
                    mailbox=self.mailbox,
                    envelope_to=[self.mailbox.email_address],
                )
                self._advance(last_uid=uid)
            stored.append(uid)
            self.result.stored += 1
            queue_processing(inbound.pk)
        return stored

    def _advance(self, **fields) -> None:
        """Record progress and renew the lease, if the lease is still ours."""
        lease = timezone.now() + timedelta(seconds=settings.HELPDESK_IMAP_LEASE_SECONDS)
        updated = Mailbox.objects.filter(pk=self.mailbox.pk, poll_lease_until=self.lease).update(
            poll_lease_until=lease, **fields
        )
        if not updated:
            raise LeaseLost(_("Another worker took over this mailbox; stopped polling."))
        self.lease = lease
        for name, value in fields.items():
            setattr(self.mailbox, name, value)


def queue_processing(inbound_id: int) -> None:
    """Hand a stored email to processing: the mail task queue if there is one, else inline.

    The raw message is already stored, so a failure here loses nothing: it is logged and
    the email waits in the retry queue.
    """
    try:
        task = _processing_task()
        if task is not None:
            task(inbound_id)
        else:
            from rapport.mail.actions import process_inbound

            process_inbound(inbound_id=inbound_id)
    except Exception:  # noqa: BLE001 - stored already; processing is retried from the queue
        logger.exception("queueing inbound email %s for processing failed", inbound_id)


def _processing_task():
    try:
        from rapport.mail import tasks
    except ImportError:
        return None
    return getattr(tasks, "process_inbound_task", None)
