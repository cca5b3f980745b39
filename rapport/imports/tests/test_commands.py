import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rapport.customers.models import Customer


def _write(tmp_path, text, encoding="utf-8", name="kunden.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _call(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_cli_import_of_a_clean_file_exits_0_and_prints_the_counts(db, tmp_path):
    path = _write(tmp_path, "Vorname;Nachname\nAnna;Schmidt\nBen;Meyer\n")
    code, out, _err = _call("import", "customers", str(path))
    assert code == 0
    assert "created: 2" in out
    assert Customer.objects.count() == 2


def test_cli_import_with_invalid_rows_exits_1_and_names_the_rows(db, tmp_path):
    path = _write(tmp_path, "Vorname;Nachname;E-Mail\nAnna;Schmidt;anna@example.org\nB;M;kaputt\n")
    code, out, err = _call("import", "customers", str(path))
    assert code == 1
    assert "created: 1" in out and "invalid: 1" in out
    assert "Row 3 [E-Mail]" in err
    assert Customer.objects.count() == 1


def test_cli_import_of_an_unusable_file_exits_2(db, tmp_path):
    path = _write(tmp_path, "email\nanna@example.org\n")
    with pytest.raises(CommandError) as exc:
        call_command("import", "customers", str(path), stdout=io.StringIO())
    assert exc.value.returncode == 2
    assert "name column" in str(exc.value)


def test_cli_dry_run_writes_nothing(db, tmp_path):
    path = _write(tmp_path, "Vorname;Nachname\nAnna;Schmidt\n")
    code, out, _err = _call("import", "customers", str(path), "--dry-run")
    assert code == 0
    assert "Dry run" in out and "created: 1" in out
    assert not Customer.objects.exists()


def test_cli_map_option_and_encoding_option_are_used(db, tmp_path):
    path = _write(tmp_path, "Kdnr;Nachname\nK-1;Müller\n", encoding="cp1252")
    code, _out, _err = _call(
        "import", "customers", str(path), "--map", "Kdnr=external_id", "--encoding", "cp1252"
    )
    assert code == 0
    assert Customer.objects.get().external_id == "K-1"


def test_cli_progress_is_written_to_stderr_when_asked(db, tmp_path):
    path = _write(tmp_path, "Vorname;Nachname\nAnna;Schmidt\n")
    _code, _out, err = _call("import", "customers", str(path), "--progress")
    assert "\r[" in err and "100%" in err


def test_cli_report_option_writes_every_issue(db, tmp_path):
    path = _write(tmp_path, "Vorname;Nachname;Land\nA;B;XX\nC;D;YY\n")
    report = tmp_path / "issues.csv"
    _call("import", "customers", str(path), "--report", str(report))
    rows = list(csv.reader(report.open(encoding="utf-8-sig")))
    assert [r[0] for r in rows[1:]] == ["2", "3"]


def test_cli_export_writes_customers_as_csv(db, tmp_path, cast):
    target = tmp_path / "out.csv"
    call_command("export", "customers", "--output", str(target), stderr=io.StringIO())
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert {r["emails"] for r in rows} == {"anna@example.org", "ben@example.org"}


def test_cli_export_as_vcard(db, tmp_path, cast):
    target = tmp_path / "out.vcf"
    call_command(
        "export", "customers", "--format", "vcard", "--vcard-version", "3.0",
        "--output", str(target), stderr=io.StringIO(),
    )  # fmt: skip
    assert target.read_text().count("BEGIN:VCARD") == 2
