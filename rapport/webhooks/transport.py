"""Sending one signed JSON POST with a short timeout (outgoing webhooks, social reply adapters)."""

import urllib.error
import urllib.request
from dataclasses import dataclass

from rapport.webhooks.signing import signed_headers

USER_AGENT = "Rapport-Webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass
class PostResult:
    """What came back: the HTTP status (None when no answer arrived), the start of the body, an error."""

    status: int | None
    body: bytes = b""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow redirects: a POST would silently turn into a GET somewhere else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_signed(
    url: str, *, secret: str, body: bytes, headers: dict[str, str] | None = None, timeout: float
) -> PostResult:
    """POST ``body`` as JSON to ``url``, signed with ``secret``; never raise for network trouble."""
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signed_headers(secret, body),
        **(headers or {}),
    }
    if not url.lower().startswith(("http://", "https://")):
        return PostResult(None, error="only http and https URLs are supported")
    request = urllib.request.Request(url, data=body, headers=all_headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=timeout) as response:
            return PostResult(response.status, response.read(MAX_RESPONSE_BYTES))
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(MAX_RESPONSE_BYTES)
        except OSError:
            text = b""
        return PostResult(exc.code, text, error=f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return PostResult(None, error=str(reason)[:500] or exc.__class__.__name__)
