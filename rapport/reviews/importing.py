"""Read a CSV file of reviews into rows for ``ingest_reviews``: which column is which field.

Encoding and separator are decided by ``rapport.imports.csvfile`` (UTF-8 with or without
BOM, Windows-1252; comma, semicolon, tab or |). Columns are recognised by their English or
German names; columns that are not recognised are listed in the report, not guessed at.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from rapport.imports.csvfile import FileError, open_csv

#: Column names (compared lower-case, without spaces, hyphens, underscores; umlauts folded).
ALIASES = {
    "external_id": ["externalid", "id", "reviewid", "bewertungsid", "referenz", "reference"],
    "rating": ["rating", "stars", "score", "bewertung", "sterne", "punkte", "note"],
    "scale": ["scale", "skala", "outof", "maxrating"],
    "title": ["title", "titel", "headline", "ueberschrift", "subject", "betreff"],
    "text": ["text", "review", "reviewtext", "body", "comment", "content", "kommentar"],
    "author_name": ["authorname", "author", "name", "reviewer", "autor", "verfasser"],
    "author_email": ["authoremail", "email", "mail", "emailadresse", "reviewer_email"],
    "reviewed_at": ["reviewedat", "date", "datum", "createdat", "reviewdate", "zeitpunkt"],
    "language": ["language", "lang", "sprache"],
    "product_sku": ["productsku", "sku", "artikelnummer", "artnr", "productid", "produkt"],
}


def _key(name: str) -> str:
    text = name.strip().casefold()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    return re.sub(r"[^a-z0-9]", "", text)


FIELD_BY_KEY = {_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}


@dataclass
class ReviewFile:
    """A CSV file of reviews: how it was read and its rows as field -> text."""

    encoding: str
    delimiter: str
    columns: dict[str, str]  # field -> column name as written in the file
    ignored_columns: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # Rows that cannot even be split into fields: row number -> message.
    broken_rows: dict[int, str] = field(default_factory=dict)


def read_review_file(data: bytes) -> ReviewFile:
    """Return the rows of a CSV file of reviews; raise ``FileError`` if it cannot be imported."""
    csv_source = open_csv(data)
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for position, name in enumerate(csv_source.header):
        field_name = FIELD_BY_KEY.get(_key(name))
        if field_name is None or field_name in columns:
            ignored.append(
                name or _("(column %(number)d without a name)") % {"number": position + 1}
            )
            continue
        columns[field_name] = position
    if "external_id" not in columns:
        raise FileError(
            _("The file needs a column with the review's ID at the source (“id”)."),
            code="no_id_column",
        )
    if "rating" not in columns and "text" not in columns:
        raise FileError(
            _("The file needs a “rating” column, a “text” column or both."),
            code="no_review_columns",
        )
    result = ReviewFile(
        encoding=csv_source.encoding,
        delimiter=csv_source.delimiter,
        columns={name: csv_source.header[position] for name, position in columns.items()},
        ignored_columns=ignored,
    )
    width = len(csv_source.header)
    for number, cells in csv_source.rows():
        if not any(cell.strip() for cell in cells):
            continue  # a blank line holds no review
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            result.broken_rows[number] = _(
                "The row has %(cells)d cells but the header names %(columns)d columns."
            ) % {"cells": len(cells), "columns": width}
            continue
        result.rows.append(
            (
                number,
                {
                    name: cells[position] if position < len(cells) else ""
                    for name, position in columns.items()
                },
            )
        )
    return result
