from datetime import date

import pytest

from rapport.customers.models import (
    ContactPoint,
    Customer,
    CustomFieldDefinition,
    Organization,
    fold,
)
from rapport.imports.csvfile import FileError
from rapport.timeline.models import EventKind, TimelineEvent

GERMAN = (
    "Kundennummer;Anrede;Vorname;Nachname;E-Mail;Telefon;Land;Geburtstag;Firma;Tags\n"
    "K1;Herr;Jürgen;Müller;juergen@example.org;030 1234567;DE;31.12.1980;ACME GmbH;vip, newsletter\n"
    "K2;Frau;Özlem;Yılmaz;oezlem@example.org;;DE;01.02.85;;\n"
)


def test_german_columns_dates_and_salutations_are_imported(run_import):
    report = run_import(GERMAN)
    assert report.counts["created"] == 2
    juergen = Customer.objects.get(external_id="K1")
    assert (juergen.given_name, juergen.family_name, juergen.salutation) == (
        "Jürgen",
        "Müller",
        "mr",
    )
    assert juergen.birthday == date(1980, 12, 31)
    assert juergen.family_key == fold("Müller")
    assert juergen.organization.name == "ACME GmbH"
    assert sorted(juergen.tags.values_list("name", flat=True)) == ["newsletter", "vip"]
    assert set(juergen.contact_points.values_list("kind", "normalized", "is_primary")) == {
        ("email", "juergen@example.org", True),
        ("phone", "+49301234567", True),
    }
    assert Customer.objects.get(external_id="K2").birthday == date(1985, 2, 1)


def test_each_created_customer_gets_one_timeline_event(run_import):
    run_import(GERMAN)
    events = TimelineEvent.objects.filter(kind=EventKind.PROFILE)
    assert events.count() == 2
    assert set(events.values_list("source_id", flat=True)) == {
        str(pk) for pk in Customer.objects.values_list("pk", flat=True)
    }


def test_cp1252_file_with_umlauts_is_imported(run_import):
    report = run_import("Vorname;Nachname\nJürgen;Müßig\n", encoding="cp1252")
    assert report.counts["created"] == 1
    assert Customer.objects.get().family_name == "Müßig"


def test_comma_separated_english_file_is_imported(run_import):
    report = run_import("first_name,last_name,email\nAnna,Smith,anna@example.com\n")
    assert report.delimiter == ","
    assert Customer.objects.get().given_name == "Anna"


def test_missing_name_column_is_a_file_error_and_nothing_is_written(run_import):
    with pytest.raises(FileError) as exc:
        run_import("email;Land\nanna@example.org;DE\n")
    assert exc.value.code == "missing_column"
    assert Customer.objects.count() == 0


def test_unknown_columns_are_reported_as_ignored_not_as_errors(run_import):
    report = run_import("Vorname;Nachname;Lieblingsfarbe\nAnna;Schmidt;blau\n")
    assert report.ignored_columns == ["Lieblingsfarbe"]
    assert report.counts["created"] == 1
    assert report.issues == []


def test_invalid_rows_are_reported_and_valid_rows_imported(run_import):
    report = run_import(
        "Vorname;Nachname;E-Mail;Telefon;Land\n"
        "Anna;Gut;anna@example.org;;DE\n"
        "Bernd;Mail;not-an-email;;DE\n"
        "Clara;Phone;clara@example.org;12;DE\n"
        "Dora;Land;dora@example.org;;XX\n"
    )
    assert report.counts["created"] == 1
    assert report.counts["invalid"] == 3
    assert list(Customer.objects.values_list("given_name", flat=True)) == ["Anna"]
    by_row = {issue.row: issue for issue in report.issues}
    assert (by_row[3].column, by_row[3].code) == ("E-Mail", "invalid_email")
    assert (by_row[4].column, by_row[4].code) == ("Telefon", "invalid_phone")
    assert (by_row[5].column, by_row[5].code) == ("Land", "invalid_country")
    assert by_row[3].raw["Vorname"] == "Bernd"


def test_a_row_without_any_name_is_invalid(run_import):
    report = run_import("Vorname;Nachname;E-Mail\n;;nobody@example.org\n")
    assert report.counts["invalid"] == 1
    assert report.issues[0].code == "name_required"


def test_empty_lines_are_skipped_and_counted(run_import):
    report = run_import("Vorname;Nachname\nAnna;Schmidt\n\n;\nBen;Meyer\n")
    assert report.counts["created"] == 2
    assert report.counts["empty"] == 2


def test_duplicate_rows_in_one_file_are_reported_not_imported_twice(run_import):
    report = run_import(
        "Kundennummer;Vorname;Nachname;E-Mail\n"
        "K1;Anna;Schmidt;anna@example.org\n"
        "K1;Anna;Schmidt;anna@example.org\n"
        "K9;Anna;Schmidt;ANNA@example.org\n"
    )
    assert report.counts["created"] == 1
    assert report.counts["duplicate"] == 2
    assert Customer.objects.count() == 1
    assert [i.message for i in report.issues] == ["Duplicate of row 2: not imported twice."] * 2


def test_importing_the_same_file_twice_creates_nothing_new(run_import):
    run_import(GERMAN)
    counts = (Customer.objects.count(), ContactPoint.objects.count(), TimelineEvent.objects.count())
    report = run_import(GERMAN)
    assert report.counts["created"] == 0
    assert report.counts["unchanged"] == 2
    assert (
        Customer.objects.count(),
        ContactPoint.objects.count(),
        TimelineEvent.objects.count(),
    ) == counts
    assert Organization.objects.count() == 1


def test_existing_customer_matched_by_email_is_updated_with_non_empty_values(run_import, cast):
    report = run_import("Vorname;Nachname;E-Mail;Land;Sprache\n;Schmidt-Neu;anna@example.org;AT;\n")
    assert report.counts["updated"] == 1
    cast.customer.refresh_from_db()
    assert (cast.customer.given_name, cast.customer.family_name) == ("Anna", "Schmidt-Neu")
    assert cast.customer.country == "AT"
    assert cast.customer.language == "de"
    assert cast.customer.family_key == fold("Schmidt-Neu")
    assert TimelineEvent.objects.filter(customer=cast.customer, title="Profile changed").exists()


def test_existing_customer_matched_by_external_id_gets_new_contact_points(run_import, cast):
    Customer.objects.filter(pk=cast.customer.pk).update(external_id="K1")
    run_import("Kundennummer;Nachname;E-Mail\nK1;Schmidt;anna.privat@example.org\n")
    points = cast.customer.contact_points.filter(kind="email")
    assert set(points.values_list("normalized", "is_primary")) == {
        ("anna@example.org", True),
        ("anna.privat@example.org", False),
    }


def test_dry_run_writes_nothing_but_reports_what_would_happen(run_import, cast):
    before = (Customer.objects.count(), TimelineEvent.objects.count(), Organization.objects.count())
    report = run_import(
        "Vorname;Nachname;E-Mail;Firma\nNeu;Kunde;neu@example.org;Neue GmbH\n"
        "Anna;Schmidt;anna@example.org;\nX;Y;bad-mail;\n",
        dry_run=True,
    )
    assert report.counts == {
        "created": 1, "updated": 0, "unchanged": 1, "invalid": 1, "duplicate": 0, "empty": 0
    }  # fmt: skip
    assert [p["action"] for p in report.preview] == ["create", "unchanged", "invalid"]
    after = (Customer.objects.count(), TimelineEvent.objects.count(), Organization.objects.count())
    assert after == before


def test_column_mapping_overrides_the_automatic_one(run_import):
    report = run_import(
        "Kdnr;Name;Notiz\nA-7;Anna Schmidt;egal\n", overrides={"Kdnr": "external_id"}
    )
    customer = Customer.objects.get()
    assert (customer.external_id, customer.given_name, customer.family_name) == (
        "A-7",
        "Anna",
        "Schmidt",
    )
    assert report.ignored_columns == ["Notiz"]


def test_mapping_to_an_unknown_field_is_a_file_error(run_import):
    with pytest.raises(FileError):
        run_import("Vorname;Nachname\nA;B\n", overrides={"Vorname": "shoe_size"})


def test_custom_fields_are_imported_by_key_with_german_numbers(run_import):
    CustomFieldDefinition.objects.create(key="budget", label="Budget", field_type="decimal")
    CustomFieldDefinition.objects.create(key="since", label="Since", field_type="date")
    run_import("Vorname;Nachname;budget;since\nAnna;Schmidt;1.234,50;31.12.2020\n")
    assert Customer.objects.get().custom_fields == {"budget": "1234.50", "since": "2020-12-31"}


def test_form_of_address_and_lifecycle_are_read_in_german(run_import):
    run_import("Vorname;Nachname;Ansprache;lifecycle_stage\nAnna;Schmidt;du;Kunde\n")
    customer = Customer.objects.get()
    assert (customer.form_of_address, customer.lifecycle_stage) == ("informal", "customer")


def test_ids_given_by_the_import_never_reuse_a_deleted_customers_id(run_import):
    from rapport.factories import CustomerFactory

    deleted = CustomerFactory()
    deleted_id = deleted.pk
    deleted.delete()
    run_import("Vorname;Nachname\nAnna;Schmidt\n")
    imported = Customer.objects.get()
    assert imported.pk > deleted_id
    assert CustomerFactory().pk > imported.pk


@pytest.fixture
def in_worker(monkeypatch):
    """Clean even tiny files in the worker process, a few rows per chunk."""
    from rapport.imports import cleaning

    monkeypatch.setattr(cleaning, "WORKER_MIN_ROWS", 1)
    monkeypatch.setattr(cleaning, "CHUNK_ROWS", 2)


def test_rows_cleaned_in_the_worker_process_give_the_same_outcome(run_import, in_worker):
    import multiprocessing

    CustomFieldDefinition.objects.create(key="budget", label="Budget", field_type="decimal")
    text = (
        "Kundennummer;Vorname;Nachname;E-Mail;Telefon;Land;Geburtstag;budget\n"
        "K1;Anna;Gut;anna@example.org;030 1234567;DE;31.12.1980;1.234,50\n"
        "K2;Bernd;Mail;not-an-email;;DE;;\n"
        "\n"
        "K3;Clara;Phone;clara@example.org;12;DE;;\n"
        "K1;Anna;Gut;anna@example.org;;DE;;\n"
        "K4;Dora;Land;dora@example.org;;XX;;zwölf\n"
        "K5;Emil;Gut;emil@example.org;;AT;01.02.85;\n"
    )
    report = run_import(text)
    assert {k: v for k, v in report.counts.items() if v} == {
        "created": 2, "invalid": 3, "duplicate": 1, "empty": 1
    }  # fmt: skip
    assert sorted((i.row, i.column, i.code) for i in report.issues) == [
        (3, "E-Mail", "invalid_email"),
        (5, "Telefon", "invalid_phone"),
        (6, "", "duplicate"),
        (7, "Land", "invalid_country"),
        (7, "budget", "invalid_value"),
    ]
    anna = Customer.objects.get(external_id="K1")
    assert anna.custom_fields == {"budget": "1234.50"}
    assert anna.birthday == date(1980, 12, 31)
    assert set(anna.contact_points.values_list("normalized", flat=True)) == {
        "anna@example.org",
        "+49301234567",
    }
    assert run_import(text).counts["created"] == 0
    assert multiprocessing.active_children() == []


def test_an_error_in_the_worker_fails_the_import_and_saves_nothing(run_import, in_worker):
    import multiprocessing

    from rapport.imports.customer_import import CustomerImporter, RowCleaner

    def broken_config(self):
        # The worker's clean_profile rejects an unknown field with ValueError.
        return {**RowCleaner.cleaner_config(self), "mapping": {"0": "shoe_size"}}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CustomerImporter, "cleaner_config", broken_config)
        with pytest.raises(ValueError, match="shoe_size"):
            run_import("Vorname;Nachname\nAnna;Schmidt\nBen;Meyer\nCarla;Kunz\n")
    assert Customer.objects.count() == 0
    assert multiprocessing.active_children() == []
