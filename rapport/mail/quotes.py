"""The new part of an email reply: quoted history and signature stripped, for display only.

Recognises the quote headers that German and English mail clients write (Outlook, Gmail,
Apple Mail, Thunderbird), ``>`` quoting, and the usual signatures and closings. The full
original always stays in the message's ``body_text``/``body_html``; if stripping would leave
nothing, the whole text is shown instead.
"""

import re

# "On Mon, 4 May 2026 at 10:12, Anna <a@b> wrote:", "Am 3. Mai 2026 um 10:12 schrieb Anna <a@b>:",
# "Anna <a@b> schrieb am 03.05.2026 um 10:12:", "Le ... a écrit :" is left to other languages.
ATTRIBUTION = re.compile(
    r"^\s*(?:On|Am)\s.{2,300}?(?:wrote|schrieb|geschrieben)(?:\s.{0,200})?:\s*$", re.IGNORECASE
)
# "Anna Schmidt <a@b> schrieb am 03.05.2026 um 10:12:", "Anna Schmidt wrote:" (before quotes).
LOOSE_ATTRIBUTION = re.compile(
    r"^\s*.{1,200}\s(?:wrote|schrieb(?:\sam\s.{1,120})?)\s?:\s*$", re.IGNORECASE
)
DIVIDER = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Originalnachricht|Reply message|"
    r"Antwortnachricht)\s*-{2,}\s*$",
    re.IGNORECASE,
)
FORWARD = re.compile(
    r"^\s*-*\s*(?:Weitergeleitete Nachricht|Forwarded message|Begin forwarded message"
    r"|Anfang der weitergeleiteten Nachricht)\s*:?\s*-*\s*$",
    re.IGNORECASE,
)
UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
HEADER_LINE = re.compile(
    r"^\s*\*?(From|Von|Sent|Gesendet|Date|Datum|To|An|Cc|Subject|Betreff)\s*:\*?\s", re.IGNORECASE
)
FROM_LINE = re.compile(r"^\s*\*?(From|Von)\s*:\*?\s", re.IGNORECASE)
SIGNATURE_DASHES = re.compile(r"^-- ?$")
DEVICE_LINES = re.compile(
    r"^\s*(?:Sent from my \w[\w ]{0,40}|Sent from (?:Outlook|Mail|Yahoo Mail|Gmail)\b.{0,60}"
    r"|Get Outlook for \w+.{0,30}|Von meinem \w[\w ]{0,40} gesendet\.?"
    r"|Gesendet von (?:meinem|Outlook|Mail für|iPhone|iPad)\b.{0,60})\s*$",
    re.IGNORECASE,
)
CLOSINGS = re.compile(
    r"^\s*(?:Mit freundlichen Grüßen|Mit freundlichem Gruß|Mit besten Grüßen|Freundliche Grüße"
    r"|Viele Grüße|Beste Grüße|Liebe Grüße|Herzliche Grüße|Schöne Grüße|Gruß|Grüße|MfG|LG|VG"
    r"|Best regards|Kind regards|Warm regards|Regards|Best wishes|Many thanks|Thanks and regards"
    r"|Cheers|Best|Sincerely|Yours sincerely|Yours faithfully)\s*[,.!]?\s*$",
    re.IGNORECASE,
)
# Quote headers are looked for in this many first lines (bounds the work on huge bodies).
MAX_SCAN_LINES = 3000
# A closing counts only this near the end (its name and a short signature follow it).
CLOSING_TAIL_LINES = 8


def strip_quotes(text: str) -> str:
    """Return the new part of ``text``: without quoted history and signature."""
    if not text:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _quote_start(lines)
    kept = lines[:cut]
    kept = _strip_signature(kept)
    result = "\n".join(kept).strip()
    return result or text.strip()


def _quote_start(lines: list[str]) -> int:
    """Return the index of the first line of quoted history (``len(lines)`` if there is none)."""
    # Quoting counts as history only where nothing unquoted follows (else it is an answer
    # written between quotes, which stays).
    tail = _strip_signature(lines)
    last_unquoted = max(
        (i for i, line in enumerate(tail) if line.strip() and not line.lstrip().startswith(">")),
        default=-1,
    )
    for index, line in enumerate(lines[:MAX_SCAN_LINES]):
        stripped = line.strip()
        if not stripped:
            continue
        if DIVIDER.match(line):
            return index
        if UNDERSCORES.match(line) and _header_block_at(lines, index + 1):
            return index
        if FROM_LINE.match(line) and _header_block_at(lines, index):
            return index
        if stripped.startswith(">"):
            if index > last_unquoted:
                return _with_attribution(lines, index)
            continue
        if FORWARD.match(line):
            return len(lines)  # a forwarded message is what the sender wants us to read
        # Attributions, possibly wrapped over two or three lines by the sender's client.
        if re.match(r"\s*(On|Am)\s", line, re.IGNORECASE):
            for span in (1, 2, 3):
                joined = " ".join(part.strip() for part in lines[index : index + span])
                if len(joined) < 400 and ATTRIBUTION.match(joined):
                    return index
        for span in (1, 2):
            joined = " ".join(part.strip() for part in lines[index : index + span])
            if (
                len(joined) < 400
                and LOOSE_ATTRIBUTION.match(joined)
                and (re.search(r"[<@]", lines[index]) or span == 1)
                and (re.search(r"[@\d]", joined) or _quote_follows(lines, index + span))
            ):
                return index
    return len(lines)


def _header_block_at(lines: list[str], index: int) -> bool:
    """Tell whether an Outlook-style header block (From/Sent/To/Subject) starts at ``index``."""
    while index < len(lines) and not lines[index].strip():
        index += 1
    block = lines[index : index + 6]
    if not block or not FROM_LINE.match(block[0]):
        return False
    names = {m.group(1).lower() for line in block if (m := HEADER_LINE.match(line))}
    return len(names) >= 3


def _quote_follows(lines: list[str], index: int) -> bool:
    """Tell whether the next non-blank line from ``index`` on is quoted with ">"."""
    rest = [line for line in lines[index:] if line.strip()]
    return bool(rest) and rest[0].lstrip().startswith(">")


def _with_attribution(lines: list[str], index: int) -> int:
    """Move a cut up to include an attribution line just above the quote."""
    previous = index - 1
    while previous >= 0 and not lines[previous].strip():
        previous -= 1
    if previous >= 0 and lines[previous].rstrip().endswith(":") and len(lines[previous]) < 300:
        joined = lines[previous]
        if ATTRIBUTION.match(joined) or re.search(r"(wrote|schrieb)", joined, re.IGNORECASE):
            return previous
    return index


def _strip_signature(lines: list[str]) -> list[str]:
    """Drop the signature: after "-- ", a device line, or a closing near the end."""
    for index, line in enumerate(lines):
        if SIGNATURE_DASHES.match(line):
            lines = lines[:index]
            break
    lines = [line for line in lines if not DEVICE_LINES.match(line)]
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    for position in nonblank[-CLOSING_TAIL_LINES:]:
        if CLOSINGS.match(lines[position]) and position != nonblank[0]:
            return lines[:position]
    return lines
