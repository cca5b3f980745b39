"""Reading a raw RFC 822 message: headers, text, HTML and attachments, whatever the sender did.

Built on the standard library's ``email`` package (``policy.default``) with a fallback at each
step that real mail breaks: undecodable or mislabelled charsets, 8-bit headers, broken
encoded words, missing headers, malformed MIME. A forwarded message (``message/rfc822``) is
kept whole as an ``.eml`` attachment and never lends its headers to the outer mail.
"""

import email
import functools
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message as EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from django.conf import settings

from rapport.helpdesk.actions import IncomingAttachment

logger = logging.getLogger(__name__)

MSGID = re.compile(r"<[^<>\s]{1,250}>")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
HEADER_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# Charsets that senders use when they mean Windows-1252 (its superset for printable text).
LATIN1_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii"}
# Headers kept on the stored message (classification, threading, diagnosis).
KEPT_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "return-path",
    "x-mailer",
    "user-agent",
)


class _ReadPolicy(policy.EmailPolicy):
    """``policy.default`` that parses each distinct header value once.

    The standard library parses a structured header (Content-Type, From) again on every
    access; one message asks for its Content-Type a dozen times, and a batch of mail
    repeats the same few Content-Type and MIME-Version values. Header objects are
    immutable strings, so sharing them is safe.
    """

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name") or not isinstance(value, str):
            return super().header_fetch_parse(name, value)
        return _parsed_header(self, name, value)


@functools.lru_cache(maxsize=4096)
def _parsed_header(read_policy: policy.EmailPolicy, name: str, value: str):
    return policy.EmailPolicy.header_fetch_parse(read_policy, name, value)


READ_POLICY = _ReadPolicy()


class NotAnEmail(ValueError):
    """The bytes are not a message at all (no headers): they are quarantined, not guessed at."""


@dataclass
class ParsedEmail:
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: str = ""
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    html: str = ""
    html_only: bool = False
    attachments: list[IncomingAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/plain"
    report_type: str = ""
    # Message-IDs of the message a bounce returns (from its message/rfc822 or headers part).
    returned_message_ids: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        return self.to + [a for a in self.cc if a not in self.to]


def clean_text(value: str) -> str:
    """Return ``value`` safe for any database: no NUL or stray control characters, no surrogates."""
    if not value:
        return ""
    value = CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.encode("utf-8", "replace").decode("utf-8")


def clean_header(value: str) -> str:
    """Return a header value on one line: CR, LF and other controls (header injection) become spaces."""
    value = HEADER_CONTROL.sub(" ", value or "")
    return " ".join(clean_text(value).split())


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode ``data`` by its declared charset, falling back to UTF-8, Windows-1252 and detection.

    Text labelled ISO-8859-1 (or ASCII) is very often really Windows-1252 (curly quotes, the
    euro sign) or even UTF-8, so those labels try UTF-8 first and then Windows-1252.
    """
    if not data:
        return ""
    label = (charset or "").strip().strip("\"'").lower()
    if label in LATIN1_LABELS:
        candidates = ["utf-8", "cp1252"]
    elif label:
        candidates = [label, "utf-8", "cp1252"]
    else:
        candidates = ["utf-8", "cp1252"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:65536]).best()
        if best is not None:
            return data.decode(best.encoding, errors="replace")
    except Exception:  # noqa: BLE001, S110 - detection is a best effort; Latin-1 never fails
        pass
    return data.decode("latin-1")


def _raw_header(msg: EmailMessage, name: str) -> str | None:
    lowered = name.lower()
    for key, value in msg.raw_items() if hasattr(msg, "raw_items") else msg.items():
        if key.lower() == lowered:
            return str(value)
    return None


def _fallback_decode(raw: str) -> str:
    """Decode an RFC 2047 header by hand, reading 8-bit bytes as UTF-8 or Windows-1252."""
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        raw = decode_bytes(raw.encode("utf-8", "surrogateescape"))
    try:
        return str(make_header(decode_header(raw)))
    except Exception:  # noqa: BLE001 - a broken encoded word stays as written
        return raw


def header(msg: EmailMessage, name: str) -> str:
    """Return header ``name`` decoded (RFC 2047) on one line, or "" when it is missing."""
    raw = _raw_header(msg, name)
    if raw is None:
        return ""
    if raw.isascii() and "=?" not in raw:
        return clean_header(raw)  # nothing to decode
    if raw.isascii() and msg.policy is not policy.compat32:
        try:
            value = msg.get(name)
            return clean_header(str(value)) if value is not None else ""
        except Exception:  # noqa: BLE001, S110 - the fallback below reads it by hand
            pass
    return clean_header(_fallback_decode(raw))


def _addresses(msg: EmailMessage, name: str) -> list[tuple[str, str]]:
    raw = _raw_header(msg, name)
    if raw is None:
        return []
    text = header(msg, name)
    try:
        pairs = getaddresses([text])
    except Exception:  # noqa: BLE001
        pairs = [parseaddr(text)]
    result = []
    for display, address in pairs:
        address = clean_header(address).strip("<>").lower()
        if "@" in address and " " not in address:
            result.append((clean_header(display).strip("\"' "), address))
    if not result:  # "Anna Schmidt anna@example.org" and other free forms
        text = clean_header(_fallback_decode(raw))
        found = re.search(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", text)
        if found:
            display = text.replace(found.group(0), "").strip(" <>\"'()")
            result.append((display, found.group(0).lower()))
    return result


def message_ids(value: str) -> list[str]:
    """Return the ``<id>`` tokens in a Message-ID, In-Reply-To or References value, in order."""
    return MSGID.findall(value or "")


def _message_id(raw_value: str | None) -> str:
    if not raw_value:
        return ""
    ids = message_ids(raw_value)
    if ids:
        return ids[0]
    token = clean_header(raw_value).strip()
    if token and " " not in token and len(token) < 250:
        return f"<{token}>"  # a bare id without its angle brackets
    return ""


def parse_message(raw: bytes) -> ParsedEmail:
    """Return what ``raw`` says; raise ``NotAnEmail`` when it has no headers at all.

    Read with ``policy.default``; should its stricter header parsing fail on some malformed
    input, the message is read again with the lenient ``compat32`` policy.
    """
    try:
        return _parse(raw, READ_POLICY)
    except NotAnEmail:
        raise
    except Exception:  # noqa: BLE001
        logger.warning(
            "email parsing with policy.default failed; reading it leniently", exc_info=True
        )
        parsed = _parse(raw, policy.compat32)
        parsed.defects.append("LenientParse")
        return parsed


def _parse(raw: bytes, read_policy) -> ParsedEmail:
    msg = email.message_from_bytes(raw, policy=read_policy)
    keys = [key.lower() for key in msg.keys()]
    if not keys or not ({"from", "sender", "subject", "date", "message-id", "to"} & set(keys)):
        raise NotAnEmail("no email headers")
    parsed = ParsedEmail()
    parsed.defects = sorted({type(d).__name__ for d in msg.defects})
    parsed.subject = header(msg, "Subject")[:255]
    senders = _addresses(msg, "From") or _addresses(msg, "Sender")
    if senders:
        parsed.from_name, parsed.from_address = senders[0]
    parsed.to = [a for _n, a in _addresses(msg, "To")]
    parsed.cc = [a for _n, a in _addresses(msg, "Cc")]
    reply_to = _addresses(msg, "Reply-To")
    parsed.reply_to = reply_to[0][1] if reply_to else ""
    parsed.message_id = _message_id(_raw_header(msg, "Message-ID"))
    parsed.in_reply_to = message_ids(_raw_header(msg, "In-Reply-To") or "")
    parsed.references = message_ids(_raw_header(msg, "References") or "")
    parsed.date = _date(_raw_header(msg, "Date"))
    for name in KEPT_HEADERS:
        value = header(msg, name)
        if value:
            parsed.headers[name] = value[:500]
    parsed.content_type = msg.get_content_type()
    parsed.report_type = (
        (msg.get_param("report-type", "") or "").lower() if msg.is_multipart() else ""
    )
    _Walker(parsed).walk(msg)
    return parsed


def _date(raw_value: str | None) -> datetime | None:
    if not raw_value:
        return None
    try:
        value = parsedate_to_datetime(clean_header(raw_value))
    except (TypeError, ValueError, IndexError):
        return None
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


class _Walker:
    """Collect the text, HTML and attachments of a message without entering attached messages."""

    def __init__(self, parsed: ParsedEmail):
        self.parsed = parsed
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.limit = settings.HELPDESK_MAX_ATTACHMENT_BYTES

    def walk(self, msg: EmailMessage) -> None:
        self._part(msg, depth=0)
        self.parsed.text = clean_text("\n\n".join(t.strip("\n") for t in self.texts if t.strip()))
        self.parsed.html = clean_text("\n".join(h for h in self.htmls if h.strip()))
        if not self.parsed.text and self.parsed.html:
            self.parsed.text = html_to_text(self.parsed.html)
            self.parsed.html_only = True

    def _part(self, part: EmailMessage, *, depth: int) -> None:
        if depth > 30:
            self.parsed.defects.append("TooDeeplyNested")
            return
        ctype = part.get_content_type()
        if ctype == "message/rfc822" or (ctype.startswith("message/") and part.is_multipart()):
            if ctype == "message/delivery-status":
                self._attach_bytes(part, _payload_bytes(part), "delivery-status.txt", "text/plain")
                return
            self._attach_message(part)
            return
        if part.is_multipart():
            children = part.get_payload()
            if not isinstance(children, list):
                return
            for child in children:
                if isinstance(child, EmailMessage):
                    self._part(child, depth=depth + 1)
            return
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if ctype == "text/rfc822-headers":
            data = _payload_bytes(part)
            self._remember_returned(decode_bytes(data, part.get_content_charset()))
            self._attach_bytes(part, data, filename or "returned-headers.txt", "text/plain")
        elif (
            ctype in ("text/plain", "text/html")
            and disposition != "attachment"
            and not (filename and disposition == "inline" and ctype == "text/html")
        ):
            text = decode_bytes(_payload_bytes(part), part.get_content_charset())
            (self.texts if ctype == "text/plain" else self.htmls).append(text)
        else:
            self._attach_bytes(part, _payload_bytes(part), filename, ctype)

    def _attach_message(self, part: EmailMessage) -> None:
        inner = part.get_payload(0) if part.is_multipart() else None
        data = b""
        subject = ""
        if isinstance(inner, EmailMessage):
            subject = header(inner, "Subject")
            returned = _raw_header(inner, "Message-ID")
            if returned:
                self.parsed.returned_message_ids.extend(message_ids(returned))
            try:
                data = inner.as_bytes(policy=policy.compat32)
            except Exception:  # noqa: BLE001
                data = str(inner).encode("utf-8", "replace")
        filename = _filename(part) or f"{_slug(subject) or 'message'}.eml"
        if not filename.lower().endswith(".eml"):
            filename += ".eml"
        self._attach_bytes(part, data, filename, "message/rfc822")

    def _remember_returned(self, text: str) -> None:
        for line in text.splitlines():
            if line.lower().startswith("message-id:"):
                self.parsed.returned_message_ids.extend(message_ids(line))

    def _attach_bytes(self, part: EmailMessage, data: bytes, filename: str, ctype: str) -> None:
        if not filename:
            extension = mimetypes.guess_extension(ctype) or ".bin"
            filename = f"attachment{extension}"
        content_id = clean_header(str(part.get("Content-ID", "") or "")).strip("<>")
        disposition = (part.get_content_disposition() or "").lower()
        size = len(data)
        rejected = "too_large" if size > self.limit else ""
        self.parsed.attachments.append(
            IncomingAttachment(
                filename=clean_header(filename)[:200],
                content=b"" if rejected else data,
                content_type=ctype[:128],
                content_id=content_id[:255],
                is_inline=bool(content_id) and disposition != "attachment",
                rejected_reason=rejected,
                size=size,
            )
        )


def _payload_bytes(part: EmailMessage) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if data is None:
        payload = part.get_payload()
        if isinstance(payload, str):
            return payload.encode("utf-8", "surrogateescape")
        if isinstance(payload, list):  # message/* sub-parts
            return b"\n".join(str(p).encode("utf-8", "replace") for p in payload)
        return b""
    return data


def _filename(part: EmailMessage) -> str:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if not name:
        try:
            name = part.get_param("name", header="content-type")
        except Exception:  # noqa: BLE001
            name = None
        if isinstance(name, tuple):  # RFC 2231 (charset, language, value)
            name = email.utils.collapse_rfc2231_value(name)
    return _fallback_decode(str(name)) if name else ""


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-.")[:60]


class _TextFromHTML(HTMLParser):
    BLOCKS = {
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "section", "article", "header", "footer",
    }  # fmt: skip
    SKIPPED = {"script", "style", "head", "title", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.skip_depth = 0

    def _flush(self):
        line = " ".join("".join(self.current).split())
        prefix = "> " * self.quote_depth
        if line:
            self.lines.append(prefix + line)
        elif self.lines and self.lines[-1]:
            self.lines.append("")
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skip_depth += 1
        elif tag in self.BLOCKS:
            self._flush()
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "li":
                self.current.append("- ")

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in self.BLOCKS:
            self._flush()
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)

    def handle_data(self, data):
        if not self.skip_depth:
            self.current.append(data)


def html_to_text(html: str) -> str:
    """Return readable plain text of ``html`` (quoted blocks marked with "> ")."""
    parser = _TextFromHTML()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - a broken document still gives the text read so far
        pass
    parser._flush()
    return clean_text("\n".join(parser.lines).strip())
