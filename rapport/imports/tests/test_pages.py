import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rapport.customers.models import Customer
from rapport.imports.actions import run_import_job
from rapport.imports.models import ImportJob, ImportStatus

CSV = "Vorname;Nachname;E-Mail;Lieblingsfarbe\nNina;Neu;nina@example.org;rot\nX;Y;kaputt;blau\n"


@pytest.fixture
def manager_client(client, cast):
    client.force_login(cast.manager)
    return client


def _upload(client, content=None, name="kunden.csv", kind="customers"):
    content = CSV.encode() if content is None else content
    return client.post(
        "/imports/upload/", {"kind": kind, "file": SimpleUploadedFile(name, content)}
    )


def test_upload_leads_to_the_mapping_page_prefilled_with_known_columns(manager_client):
    response = _upload(manager_client)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == f"/imports/{job.pk}/mapping/"
    page = manager_client.get(response.url)
    assert page.status_code == 200
    assert job.mapping == {"0": "given_name", "1": "family_name", "2": "email", "3": ""}
    assert "Lieblingsfarbe" in page.text and "nina@example.org" in page.text


def test_preview_then_run_imports_valid_rows_and_reports_invalid_ones(
    manager_client, django_capture_on_commit_callbacks
):
    _upload(manager_client)
    job = ImportJob.objects.get()
    mapping = {"col_0": "given_name", "col_1": "family_name", "col_2": "email", "col_3": ""}
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(f"/imports/{job.pk}/mapping/", {**mapping, "action": "preview"})
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.counts["created"], job.counts["invalid"]) == (
        "done", True, 1, 1,
    )  # fmt: skip
    assert not Customer.objects.filter(family_name="Neu").exists()
    page = manager_client.get(f"/imports/{job.pk}/")
    assert "Run import" in page.text and "Lieblingsfarbe" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(f"/imports/{job.pk}/run/")
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.processed_rows, job.total_rows) == ("done", False, 2, 2)
    assert Customer.objects.filter(family_name="Neu").count() == 1
    page = manager_client.get(f"/imports/{job.pk}/")
    assert "kaputt" in page.text and "is not a valid email address" in page.text
    issues = manager_client.get(f"/imports/{job.pk}/issues.csv")
    assert "invalid_email" in b"".join(issues.streaming_content).decode("utf-8-sig")


def test_progress_fragment_polls_while_the_job_runs_and_refreshes_when_done(manager_client, cast):
    job = ImportJob.objects.create(
        kind="customers", original_name="a.csv", status=ImportStatus.RUNNING,
        total_rows=200, processed_rows=50, created_by=cast.manager,
    )  # fmt: skip
    fragment = manager_client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in fragment.text
    assert '<progress class="progress" max="100" value="25">' in fragment.text
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE)
    done = manager_client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert done.headers["HX-Refresh"] == "true"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leer.csv", b"", "empty"),
        ("bild.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "not a text file"),
        ("tabelle.xlsx", b"PK\x03\x04", "Upload a CSV file"),
        ("nur-kopf.csv", b"\n\n", "empty"),
    ],
)
def test_bad_uploads_are_refused_with_a_message_not_a_server_error(
    manager_client, name, content, message
):
    response = _upload(manager_client, content=content, name=name)
    assert response.status_code == 400
    assert message in response.text
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused(manager_client, settings):
    settings.RAPPORT_MAX_IMPORT_BYTES = 10
    response = _upload(manager_client)
    assert response.status_code == 400
    assert "larger than" in response.text


def test_agents_may_see_imports_but_not_upload(agent_client):
    assert agent_client.get("/imports/").status_code == 200
    assert _upload(agent_client).status_code == 403


def test_portal_customers_cannot_see_imports(client, cast):
    client.force_login(cast.portal_user)
    assert client.get("/imports/").status_code == 403


def test_a_job_that_already_ran_is_not_imported_again(manager_client, cast):
    _upload(manager_client, content=b"Vorname;Nachname\nNina;Neu\n")
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED, dry_run=False)
    run_import_job(job_id=job.pk)
    assert run_import_job(job_id=job.pk) is None
    assert Customer.objects.filter(family_name="Neu").count() == 1


def test_a_retried_job_after_a_crash_does_not_import_twice(manager_client, cast):
    _upload(manager_client, content=b"Vorname;Nachname;E-Mail\nNina;Neu;nina@example.org\n")
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED, dry_run=False)
    run_import_job(job_id=job.pk)
    # The worker died before it could mark the job done: it is still "running".
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    job = run_import_job(job_id=job.pk)
    assert job.counts["unchanged"] == 1
    assert Customer.objects.filter(family_name="Neu").count() == 1


def test_a_job_whose_file_became_unusable_is_marked_failed_with_the_reason(manager_client):
    _upload(manager_client)
    job = ImportJob.objects.get()
    job.file.save("kaputt.csv", SimpleUploadedFile("kaputt.csv", b"email\nx@example.org\n"))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED, mapping={})
    job = run_import_job(job_id=job.pk)
    assert job.status == ImportStatus.FAILED
    assert "name column" in job.error


def test_vcard_upload_can_be_previewed(manager_client, django_capture_on_commit_callbacks):
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Neu;Nina;;;\r\nFN:Nina Neu\r\nEND:VCARD\r\n"
    _upload(manager_client, content=card, name="kontakte.vcf")
    job = ImportJob.objects.get()
    assert job.file_format == "vcard"
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(f"/imports/{job.pk}/mapping/", {"action": "preview"})
    job.refresh_from_db()
    assert job.counts["created"] == 1


def test_a_mapping_without_a_name_column_is_refused_on_the_mapping_page(manager_client):
    _upload(manager_client)
    job = ImportJob.objects.get()
    response = manager_client.post(
        f"/imports/{job.pk}/mapping/",
        {"col_0": "", "col_1": "", "col_2": "email", "col_3": "", "action": "preview"},
    )
    assert response.status_code == 400
    assert "no name column" in response.text
    job.refresh_from_db()
    assert job.status == ImportStatus.DRAFT
