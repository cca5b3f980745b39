"""Reading CSV files as people export them: any common encoding, separator and number format.

``open_csv`` decides the encoding (a BOM means UTF-8; else strict UTF-8 if the whole file
decodes; else Windows-1252 or Latin-1 as charset-normalizer judges) and the separator
(; , tab or |), reads the header and then yields the rows with their line numbers.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

DELIMITERS = (";", ",", "\t", "|")
SAMPLE_BYTES = 64 * 1024
#: Encodings a non-UTF-8 file may be read in.
FALLBACK_ENCODINGS = ("cp1252", "latin-1")
ENCODING_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
    "latin1": "latin-1",
    "latin-1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
    "iso-8859-15": "iso8859-15",
}
DATE_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")


class FileError(Exception):
    """The file as a whole cannot be imported (wrong format, no header, unreadable)."""

    def __init__(self, message: str, code: str = "invalid_file"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class CsvSource:
    """An opened CSV file: its encoding, separator, header and a way to read its rows."""

    data: bytes
    encoding: str
    delimiter: str
    header: list[str] = field(default_factory=list)

    def text(self) -> io.StringIO:
        text = self.data.decode(self.encoding)
        return io.StringIO(text, newline="")

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield (row number, cells) for every row after the header; row 1 is the header."""
        reader = csv.reader(self.text(), delimiter=self.delimiter)
        try:
            next(reader)
            yield from enumerate(reader, start=2)
        except csv.Error as exc:
            raise FileError(
                _("The file is not valid CSV near row %(row)d: %(error)s")
                % {"row": reader.line_num, "error": exc},
                code="invalid_csv",
            ) from None

    def count_rows(self) -> int:
        return sum(1 for _row in self.rows())


def normalize_encoding(name: str) -> str:
    """Return the Python codec name for an encoding a user chose, or raise ``FileError``."""
    key = (name or "").strip().lower().replace("_", "-")
    codec = ENCODING_ALIASES.get(key, key)
    try:
        codecs.lookup(codec)
    except LookupError:
        raise FileError(
            _("“%(value)s” is not a known encoding.") % {"value": name}, code="invalid_encoding"
        ) from None
    return codec


def detect_encoding(data: bytes) -> str:
    """Return the encoding of ``data``: UTF-8 (with or without BOM), else cp1252 or Latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[: SAMPLE_BYTES * 4], cp_isolation=list(FALLBACK_ENCODINGS)).best()
    if best is not None and best.encoding in ("cp1252", "latin_1"):
        return "cp1252" if best.encoding == "cp1252" else "latin-1"
    return "cp1252"


def sniff_delimiter(first_lines: str) -> str:
    """Return the separator among ; , tab | that splits the first lines most consistently."""
    lines = [line for line in first_lines.splitlines() if line.strip()][:20]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = consistent * 1000 + counts[0]
        if score > best_score:
            best, best_score = delimiter, score
    return best


def looks_binary(data: bytes) -> bool:
    sample = data[:SAMPLE_BYTES]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in sample


def open_csv(source: bytes | str | Path, *, encoding: str = "", delimiter: str = "") -> CsvSource:
    """Open a CSV file (bytes or a path); raise ``FileError`` if it cannot be read as CSV."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not data.strip():
        raise FileError(_("The file is empty."), code="empty_file")
    if looks_binary(data):
        raise FileError(
            _("This is not a text file. Save the spreadsheet as CSV and upload that."),
            code="binary_file",
        )
    codec = normalize_encoding(encoding) if encoding else detect_encoding(data)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise FileError(
            _(
                "The file cannot be read as %(encoding)s (byte %(position)d). "
                "Choose another encoding."
            )
            % {"encoding": codec, "position": exc.start},
            code="wrong_encoding",
        ) from None
    if codec == "utf-8" and text.startswith("\ufeff"):
        codec = "utf-8-sig"
    if delimiter:
        delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
        if len(delimiter) != 1:
            raise FileError(_("The separator must be one character."), code="invalid_delimiter")
    else:
        delimiter = sniff_delimiter(text.lstrip("\ufeff")[:SAMPLE_BYTES])
    result = CsvSource(data=data, encoding=codec, delimiter=delimiter)
    reader = csv.reader(
        io.StringIO(text.lstrip("\ufeff")[:SAMPLE_BYTES], newline=""), delimiter=delimiter
    )
    try:
        header = next(reader, [])
    except csv.Error:
        header = []
    header = [cell.strip() for cell in header]
    if not any(header):
        raise FileError(_("The first row must name the columns."), code="no_header")
    result.header = header
    return result


# --- Values ------------------------------------------------------------------------------


def parse_date(text: str) -> date:
    """Return the date written as 31.12.2024, 31.12.24, 2024-12-31 or 2024-12-31T10:00; else raise ValueError."""
    text = text.strip()
    match = DATE_RE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        if len(match.group(3)) == 2:
            # Two-digit years: up to this year's two digits is this century, else the last one.
            this_year = timezone.localdate().year
            century = this_year // 100 * 100
            year += century if year <= this_year % 100 else century - 100
        return date(year, month, day)
    if len(text) >= 10 and text[4] == "-":
        return date.fromisoformat(text[:10])
    raise ValueError(text)


def parse_datetime(text: str) -> datetime | date:
    """Return a datetime for ISO timestamps and "31.12.2024 14:30", or a date for plain dates."""
    text = text.strip()
    if " " in text and DATE_RE.match(text.split(" ", 1)[0]):
        day_part, time_part = text.split(" ", 1)
        day = parse_date(day_part)
        parts = [int(p) for p in time_part.strip().split(":")]
        while len(parts) < 3:
            parts.append(0)
        # Naive on purpose: the caller reads it in the installation's time zone.
        return datetime(day.year, day.month, day.day, *parts[:3])  # noqa: DTZ001
    if len(text) > 10 and text[4] == "-":
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parse_date(text)


def parse_decimal(text: str, *, decimal_comma: bool | None = None) -> Decimal:
    """Return "1.234,5" or "1,234.5" as a Decimal (not rounded); raise ValueError if it is not one."""
    text = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    comma, dot = text.rfind(","), text.rfind(".")
    if decimal_comma is None:
        decimal_comma = comma > dot
    text = text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value
