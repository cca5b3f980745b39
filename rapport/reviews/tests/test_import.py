"""Importing a CSV file of reviews: the command, encodings, separators and the row report."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rapport.imports.csvfile import FileError
from rapport.reviews.actions import Outcome, import_review_file
from rapport.reviews.models import Review

pytestmark = pytest.mark.django_db

GOOD = "id,rating,title,text,author,email,date\n"
ROWS = (
    "t-1,5,Super,Schnelle Lieferung und sehr freundlich.,Anna,anna@example.org,2024-05-01\n"
    "t-2,2,Naja,Die Tasse kam beschädigt an.,Ben,ben@example.org,02.05.2024\n"
)


def outcomes(report):
    return [(row.row, row.outcome) for row in report.rows]


def test_file_is_imported_row_by_row(cast):
    report = import_review_file(data=(GOOD + ROWS).encode(), source="trustpilot", scale=5)
    assert outcomes(report) == [(2, "created"), (3, "created")]
    assert Review.objects.get(external_id="t-1").customer == cast.customer


def test_importing_the_same_file_again_changes_nothing(cast):
    data = (GOOD + ROWS).encode()
    import_review_file(data=data, source="trustpilot", scale=5)
    report = import_review_file(data=data, source="trustpilot", scale=5)
    assert outcomes(report) == [(2, "unchanged"), (3, "unchanged")]
    assert Review.objects.count() == 2


def test_changed_row_is_reported_as_updated(cast):
    import_review_file(data=(GOOD + ROWS).encode(), source="trustpilot", scale=5)
    changed = ROWS.replace("t-2,2,", "t-2,3,")
    report = import_review_file(data=(GOOD + changed).encode(), source="trustpilot", scale=5)
    assert outcomes(report) == [(2, "unchanged"), (3, "updated")]


def test_every_bad_row_is_reported_with_its_reason():
    data = (
        b"id;rating;scale;text;date\n"
        b"a;;;;\n"  # neither text nor rating
        b"b;vier;5;Gut;\n"  # not a number
        b"c;6;5;Gut;\n"  # outside the scale
        b"d;4;7;Gut;\n"  # unknown scale
        b"e;8/10;5;Gut;\n"  # inconsistent scale
        b"f;4;5;Gut;32.01.2024\n"  # bad date
        b"g;4;5;Gut;2024-01-01\n"  # fine
    )
    report = import_review_file(data=data, source="shop")
    assert [row.outcome for row in report.rows] == ["invalid"] * 6 + ["created"]
    reasons = [row.messages for row in report.rows]
    assert reasons[0] == ["text: A review needs a text, a rating or both."]
    assert reasons[1] == ["rating: “vier” is not a number."]
    assert reasons[2] == ["rating: 6 is outside the scale 1 to 5."]
    assert reasons[3] == ["scale: “7” is not a known scale; use 5, 10 or 100."]
    assert reasons[4] == ["scale: The rating is given on a scale of 10 but the import says 5."]
    assert reasons[5][0].startswith("date: “32.01.2024” is not a date")
    assert Review.objects.count() == 1


def test_windows_1252_file_with_semicolons_is_read():
    data = "id;rating;text\nw-1;4;Schöne Tasse, größer als gedacht.\n".encode("cp1252")
    report = import_review_file(data=data, source="shop", scale=5)
    assert report.rows[0].outcome == Outcome.CREATED
    assert report.delimiter == ";"
    assert Review.objects.get().text == "Schöne Tasse, größer als gedacht."


def test_utf8_file_with_bom_is_read():
    data = "\ufeffid,rating,text\nb-1,4,Schöne Tasse\n".encode()
    report = import_review_file(data=data, source="shop", scale=5)
    assert report.rows[0].outcome == Outcome.CREATED
    assert Review.objects.get().external_id == "b-1"


def test_columns_that_are_not_known_are_reported():
    data = b"id,rating,text,internal note\nx,4,Good,secret\n"
    report = import_review_file(data=data, source="shop", scale=5)
    assert report.ignored_columns == ["internal note"]


def test_row_with_more_cells_than_the_header_is_invalid():
    data = b"id,rating,text\nx,4,Good,extra\ny,4,Fine\n"
    report = import_review_file(data=data, source="shop", scale=5)
    assert outcomes(report) == [(2, "invalid"), (3, "created")]


def test_file_without_an_id_column_cannot_be_imported():
    with pytest.raises(FileError) as exc:
        import_review_file(data=b"rating,text\n4,Good\n", source="shop", scale=5)
    assert exc.value.code == "no_id_column"


def test_dry_run_reports_and_stores_nothing():
    report = import_review_file(data=(GOOD + ROWS).encode(), source="shop", scale=5, dry_run=True)
    assert [row.outcome for row in report.rows] == ["created", "created"]
    assert not Review.objects.exists()


# --- The command ------------------------------------------------------------------------------


def test_command_imports_the_file_and_prints_every_row(tmp_path, capsys):
    path = tmp_path / "reviews.csv"
    path.write_text(GOOD + ROWS, encoding="utf-8")
    call_command("reviews", "import", str(path), "--source", "trustpilot", "--scale", "5")
    out = capsys.readouterr()
    assert "row 2: created (t-1)" in out.out
    assert "Created: 2, updated: 0, unchanged: 0, invalid: 0." in out.err
    assert Review.objects.count() == 2


def test_command_exits_with_1_when_rows_are_invalid(tmp_path, capsys):
    path = tmp_path / "reviews.csv"
    path.write_text("id,rating,text\na,9,Good\nb,4,Fine\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        call_command("reviews", "import", str(path), "--source", "shop", "--scale", "5")
    assert exc.value.code == 1
    assert "row 2: invalid (a) – rating: 9 is outside the scale 1 to 5." in capsys.readouterr().out
    assert Review.objects.count() == 1


def test_command_dry_run_saves_nothing(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(GOOD + ROWS, encoding="utf-8")
    call_command("reviews", "import", str(path), "--source", "shop", "--scale", "5", "--dry-run")
    assert not Review.objects.exists()


def test_command_refuses_a_bad_source_name(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(GOOD + ROWS, encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("reviews", "import", str(path), "--source", "Trust Pilot", "--scale", "5")
    assert "lower-case letters" in str(exc.value)
    assert not Review.objects.exists()


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError):
        call_command("reviews", "import", str(tmp_path / "nope.csv"), "--source", "shop")


def test_same_id_twice_in_a_file_is_reported_on_the_later_row():
    data = b"id,rating,text\na,4,Good\na,1,Bad\n"
    report = import_review_file(data=data, source="shop", scale=5)
    assert outcomes(report) == [(2, "created"), (3, "invalid")]
    assert report.rows[1].messages == ["id: This ID appears earlier in the same file or batch."]
    assert Review.objects.get().original_rating == 4


def test_long_file_is_imported_completely(cast):
    lines = ["id,rating,text,email"]
    lines += [f"n-{i},{i % 5 + 1},Review number {i},anna@example.org" for i in range(450)]
    report = import_review_file(data="\n".join(lines).encode(), source="shop", scale=5)
    assert report.counts["created"] == 450
    assert Review.objects.filter(customer=cast.customer).count() == 450
