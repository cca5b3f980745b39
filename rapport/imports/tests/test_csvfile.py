import codecs
from datetime import date, datetime
from decimal import Decimal

import pytest

from rapport.imports.csvfile import FileError, open_csv, parse_date, parse_datetime, parse_decimal


def test_utf8_with_bom_is_read_without_the_bom_in_the_first_column():
    source = open_csv(codecs.BOM_UTF8 + "Vorname;Nachname\nJürgen;Müller\n".encode())
    assert source.encoding == "utf-8-sig"
    assert source.header == ["Vorname", "Nachname"]
    assert list(source.rows()) == [(2, ["Jürgen", "Müller"])]


def test_windows_1252_file_with_umlauts_is_detected():
    source = open_csv("Vorname;Nachname\nJürgen;Müßig\nÖzlem;Öztürk\n".encode("cp1252"))
    assert source.encoding in ("cp1252", "latin-1")
    assert [cells for _row, cells in source.rows()] == [["Jürgen", "Müßig"], ["Özlem", "Öztürk"]]


def test_a_chosen_encoding_that_does_not_fit_is_a_clear_file_error():
    with pytest.raises(FileError) as exc:
        open_csv("Vorname\nJürgen\n".encode("cp1252"), encoding="utf-8")
    assert exc.value.code == "wrong_encoding"


@pytest.mark.parametrize(("text", "delimiter"), [
    ("a;b;c\n1;2,5;3\n", ";"),
    ("a,b,c\n1,2,3\n", ","),
    ("a\tb\tc\n1\t2\t3\n", "\t"),
    ("a|b|c\n1|2|3\n", "|"),
])  # fmt: skip
def test_the_separator_is_sniffed(text, delimiter):
    assert open_csv(text.encode()).delimiter == delimiter


def test_an_empty_file_is_a_file_error():
    with pytest.raises(FileError) as exc:
        open_csv(b"  \n")
    assert exc.value.code == "empty_file"


def test_a_binary_file_is_a_file_error():
    with pytest.raises(FileError) as exc:
        open_csv(b"PK\x03\x04\x00\x00binary")
    assert exc.value.code == "binary_file"


def test_german_and_iso_dates_are_read():
    assert parse_date("31.12.2024") == date(2024, 12, 31)
    assert parse_date("1.2.1980") == date(1980, 2, 1)
    assert parse_date("31.12.85") == date(1985, 12, 31)
    assert parse_date("2024-12-31") == date(2024, 12, 31)
    assert parse_datetime("31.12.2024 14:30") == datetime(2024, 12, 31, 14, 30)  # noqa: DTZ001
    with pytest.raises(ValueError):
        parse_date("31/12/2024x")


def test_german_and_english_decimals_are_read():
    assert parse_decimal("1.234,50") == Decimal("1234.50")
    assert parse_decimal("1,234.50") == Decimal("1234.50")
    assert parse_decimal("2,5") == Decimal("2.5")
    assert parse_decimal("1.000", decimal_comma=True) == Decimal("1000")
