"""Imports: reading a file, running it (dry or for real) and the life of an import job.

``import_file`` is the one way to import: the command line calls it directly, a background
job calls it through ``run_import_job``. Both validate every row with the shared cleaning
functions, write valid rows in batches and report each invalid row with its reason.
"""

import csv
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.customers.models import CustomFieldDefinition
from rapport.imports import columns, vcards
from rapport.imports.csvfile import FileError, open_csv
from rapport.imports.customer_import import CustomerImporter
from rapport.imports.exporting import safe_cell
from rapport.imports.models import ImportIssue, ImportJob, ImportKind, ImportStatus
from rapport.imports.order_import import OrderImporter
from rapport.imports.queries import can_import
from rapport.imports.report import ImportReport, ProgressCallback
from rapport.ops.actions import optimize_database

logger = logging.getLogger(__name__)

CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
VCARD_EXTENSIONS = (".vcf", ".vcard")


def detect_format(name: str, data: bytes) -> str:
    """Return "vcard" for .vcf files (or content starting with BEGIN:VCARD), else "csv"."""
    if Path(name).suffix.lower() in VCARD_EXTENSIONS:
        return "vcard"
    if data.lstrip(b"\xef\xbb\xbf \r\n\t")[:11].upper() == b"BEGIN:VCARD":
        return "vcard"
    return "csv"


def custom_field_keys() -> list[str]:
    return list(CustomFieldDefinition.objects.values_list("key", flat=True))


def import_file(
    *,
    data: bytes,
    kind: str,
    actor=None,
    file_format: str = "csv",
    dry_run: bool = False,
    overrides: dict[str, str] | None = None,
    index_overrides: dict[str, str] | None = None,
    encoding: str = "",
    delimiter: str = "",
    decimal_comma: bool | None = None,
    create_customers: bool = False,
    job_id: int | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import customers or orders from CSV (or customers from vCards); return the report.

    Raise ``FileError`` when the file as a whole is unusable (unreadable, no header, a required
    column missing); then nothing is written. Invalid rows are reported and skipped, valid rows
    imported; with ``dry_run`` nothing is written and the report says what would happen.
    """
    report = ImportReport(kind=kind, dry_run=dry_run)
    if file_format == "vcard":
        if kind != ImportKind.CUSTOMERS:
            raise FileError(_("vCards can only be imported as customers."), code="invalid_kind")
        rows = list(vcards.card_rows(data))
        header, mapping = list(vcards.CARD_COLUMNS), vcards.card_mapping()
        report.encoding = "utf-8"
        report.total_rows = len(rows)
        row_iter: Any = rows
    else:
        source = open_csv(data, encoding=encoding, delimiter=delimiter)
        header = source.header
        mapping, report.ignored_columns = columns.resolve_mapping(
            header,
            kind,
            custom_keys=custom_field_keys() if kind == ImportKind.CUSTOMERS else [],
            overrides=overrides,
            index_overrides=index_overrides,
        )
        report.encoding, report.delimiter = source.encoding, source.delimiter
        report.total_rows = source.count_rows()
        row_iter = source.rows()
    if progress:
        progress(report)
    options = {
        "header": header,
        "mapping": mapping,
        "report": report,
        "actor": actor,
        "job_id": job_id,
        "decimal_comma": decimal_comma,
        "progress": progress,
    }
    if kind == ImportKind.CUSTOMERS:
        report = CustomerImporter(**options).run(row_iter)
    else:
        report = OrderImporter(**options, create_customers=create_customers).run(row_iter)
    if not dry_run:
        # A large import leaves the planner's statistics stale; list pages depend on them.
        optimize_database()
    return report


# --- Jobs: upload, mapping, run --------------------------------------------------------------


def read_upload(upload: UploadedFile) -> bytes:
    """Return the uploaded file's bytes, or raise ``ValidationError`` for files we cannot take."""
    name = upload.name or ""
    if Path(name).suffix.lower() not in CSV_EXTENSIONS + VCARD_EXTENSIONS:
        raise ValidationError(
            _("Upload a CSV file (.csv, .txt, .tsv) or vCards (.vcf)."), code="invalid_extension"
        )
    if upload.size is not None and upload.size > settings.RAPPORT_MAX_IMPORT_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)d MB.")
            % {"limit": settings.RAPPORT_MAX_IMPORT_BYTES // (1024 * 1024)},
            code="too_large",
        )
    return b"".join(upload.chunks())


@transaction.atomic
def create_import_job(
    *, actor, upload: UploadedFile, kind: str, encoding: str = "", delimiter: str = ""
) -> ImportJob:
    """Store an uploaded file as a new import job waiting for its column mapping.

    Raise ``ValidationError`` if the file cannot be imported at all (wrong type, too large,
    empty, binary, unreadable, no header).
    """
    if not can_import(actor):
        raise PermissionDenied
    if kind not in ImportKind.values:
        raise ValidationError(_("Choose what the file contains."), code="invalid_kind")
    data = read_upload(upload)
    file_format = detect_format(upload.name or "", data)
    header: list[str] = []
    try:
        if file_format == "vcard":
            if kind != ImportKind.CUSTOMERS:
                raise FileError(_("vCards can only be imported as customers."), "invalid_kind")
            vcards.card_rows(data).__next__()
            header = list(vcards.CARD_COLUMNS)
        else:
            source = open_csv(data, encoding=encoding, delimiter=delimiter)
            header = source.header
            encoding, delimiter = source.encoding, source.delimiter
    except StopIteration:
        raise ValidationError(_("The file holds no vCards."), code="empty_file") from None
    except FileError as exc:
        raise ValidationError(exc.message, code=exc.code) from None
    keys = custom_field_keys() if kind == ImportKind.CUSTOMERS else []
    mapping = columns.auto_mapping(header, kind, keys)
    job = ImportJob(
        kind=kind,
        original_name=Path(upload.name or "import.csv").name[:255],
        file_format=file_format,
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        mapping={str(i): mapping.get(column, "") for i, column in enumerate(header)},
        created_by=actor,
    )
    upload.seek(0)
    job.file.save(job.original_name, upload, save=False)
    job.save()
    return job


@transaction.atomic
def start_import_job(
    *,
    actor,
    job: ImportJob,
    dry_run: bool,
    mapping: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
) -> ImportJob:
    """Queue ``job`` for a dry run or the real import, with the chosen mapping and options.

    Raise ``ValidationError`` if the mapping lacks a required column or the job already ran.
    """
    if not can_import(actor):
        raise PermissionDenied
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job.can_run():
        raise ValidationError(_("This import has already run."), code="already_done")
    if mapping is not None and job.file_format == "csv":
        try:
            columns.resolve_mapping(
                job.header,
                job.kind,
                custom_keys=custom_field_keys() if job.kind == ImportKind.CUSTOMERS else [],
                index_overrides=mapping,
            )
        except FileError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        job.mapping = mapping
    if options is not None:
        job.options = options
    job.issues.all().delete()
    job.dry_run = dry_run
    job.status = ImportStatus.QUEUED
    job.processed_rows = 0
    job.counts = {}
    job.preview = []
    job.error = ""
    job.started_at = job.finished_at = None
    job.save()
    from rapport.imports.tasks import run_import

    transaction.on_commit(lambda: run_import(job.pk))
    return job


def _claim(job_id: int) -> ImportJob | None:
    """Mark the job running if it is waiting (or was interrupted); return it, or None."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.FAILED)
    ).update(status=ImportStatus.RUNNING, started_at=timezone.now(), error="")
    return ImportJob.objects.get(pk=job_id) if claimed else None


def run_import_job(*, job_id: int) -> ImportJob | None:
    """Run a queued import job, recording progress, issues and counts on the job as it goes.

    A job that already finished is left alone, and rows already imported by an interrupted
    run are matched, not created again, so a retried job never imports twice.
    """
    job = _claim(job_id)
    if job is None:
        return None
    ImportIssue.objects.filter(job=job).delete()
    flushed = 0

    def progress(report: ImportReport) -> None:
        nonlocal flushed
        new = report.issues[flushed:]
        if new:
            ImportIssue.objects.bulk_create(
                [
                    ImportIssue(
                        job_id=job.pk,
                        row_number=i.row,
                        column=i.column[:200],
                        field=i.field[:100],
                        code=i.code[:64],
                        message=i.message,
                        raw=i.raw,
                    )
                    for i in new
                ],
                batch_size=1000,
            )
            flushed = len(report.issues)
        ImportJob.objects.filter(pk=job.pk).update(
            total_rows=report.total_rows,
            processed_rows=report.processed_rows,
            counts=report.counts,
        )

    options = job.options or {}
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        report = import_file(
            data=data,
            kind=job.kind,
            actor=job.created_by,
            file_format=job.file_format,
            dry_run=job.dry_run,
            index_overrides=job.mapping if job.file_format == "csv" else None,
            encoding=job.encoding,
            delimiter=job.delimiter,
            decimal_comma=options.get("decimal_comma"),
            create_customers=bool(options.get("create_customers")),
            job_id=job.pk,
            progress=progress,
        )
    except FileError as exc:
        _finish(job, status=ImportStatus.FAILED, error=exc.message)
        return job
    except Exception as exc:
        logger.exception("import job %s failed", job.pk)
        _finish(
            job,
            status=ImportStatus.FAILED,
            error=_("The import stopped: %(error)s") % {"error": exc},
        )
        raise
    progress(report)
    _finish(
        job,
        status=ImportStatus.DONE,
        ignored_columns=report.ignored_columns,
        preview=report.preview,
        processed_rows=report.total_rows,
    )
    return job


def _finish(job: ImportJob, *, status: str, **fields: Any) -> None:
    ImportJob.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now(), **fields)
    job.refresh_from_db()


ISSUE_COLUMNS = ("row", "column", "field", "code", "message", "values")


def issues_csv_lines(job: ImportJob) -> Iterator[str]:
    """Yield the job's issues as CSV lines (for the download)."""

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow(ISSUE_COLUMNS)
    for issue in job.issues.order_by("row_number", "id").iterator(chunk_size=2000):
        values = " | ".join(f"{k}={v}" for k, v in issue.raw.items() if v)
        yield writer.writerow(
            [
                issue.row_number,
                safe_cell(issue.column),
                issue.field,
                issue.code,
                safe_cell(issue.message),
                safe_cell(values),
            ]
        )
