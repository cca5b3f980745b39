"""HMAC signatures shared by outgoing webhooks and the social ingest and reply adapters.

The signed text is ``"<timestamp>.<body>"``; the header carries ``sha256=<hex digest>``.
Receivers compare in constant time and refuse timestamps outside a short window, so a
captured request cannot be replayed later.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Rapport-Signature"
TIMESTAMP_HEADER = "X-Rapport-Timestamp"
#: How far a request's timestamp may be from our clock, in seconds (replay protection).
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """Return the signature header value for ``body`` sent at ``timestamp``."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """Return the timestamp and signature headers for sending ``body`` now."""
    timestamp = int(now if now is not None else time.time())
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(
    secret: str, *, timestamp: str, signature: str, body: bytes, now: float | None = None
) -> str:
    """Return "" when the signature is valid and fresh, else the reason it is refused."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return "invalid_timestamp"
    current = now if now is not None else time.time()
    if abs(current - sent_at) > TOLERANCE_SECONDS:
        return "stale_timestamp"
    expected = sign(secret, sent_at, body)
    if not hmac.compare_digest(expected.encode(), (signature or "").strip().encode()):
        return "invalid_signature"
    return ""
