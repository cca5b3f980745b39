"""Receiving email: store raw first, then parse, thread and match (filled in by the mail work)."""

from rapport.mail.models import InboundEmail


def store_inbound(
    raw: bytes, *, source: str, mailbox=None, envelope_from: str = "", envelope_to=()
) -> InboundEmail:
    """Store ``raw`` as received and return the row; processing happens separately."""
    raise NotImplementedError


def process_inbound(*, inbound_id: int) -> InboundEmail:
    """Parse, thread and store one received email as a helpdesk message."""
    raise NotImplementedError
