"""Pages for importing files and exporting customers. Thin: parse, authorise, call, render."""

from itertools import islice

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from rapport.accounts.access import require_staff
from rapport.imports import actions, exporting, queries
from rapport.imports.csvfile import FileError, open_csv
from rapport.imports.forms import ExportForm, MappingForm, UploadForm
from rapport.imports.models import ImportJob

JOBS_PER_PAGE = 25
ISSUES_PER_PAGE = 50
SAMPLE_ROWS = 3


def _job(request, job_id) -> ImportJob:
    require_staff(request.user)
    try:
        return queries.get_job(request.user, job_id)
    except ImportJob.DoesNotExist:
        raise Http404 from None


def _require_import(user) -> None:
    if not queries.can_import(user):
        raise PermissionDenied


@login_required
@require_GET
def import_list(request, upload_form=None, status=200):
    require_staff(request.user)
    jobs = Paginator(queries.visible_jobs(request.user), JOBS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "nav": "imports",
        "jobs": jobs,
        "upload_form": upload_form or UploadForm(),
        "export_form": ExportForm(),
        "can_import": queries.can_import(request.user),
        "can_export": queries.can_export(request.user),
    }
    return render(request, "imports/list.html", context, status=status)


@login_required
@require_POST
def upload(request):
    require_staff(request.user)
    _require_import(request.user)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            job = actions.create_import_job(
                actor=request.user,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                encoding=form.cleaned_data["encoding"],
                delimiter=form.cleaned_data["delimiter"],
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("imports:mapping", job_id=job.pk)
    request.method = "GET"
    return import_list(request, upload_form=form, status=400)


def _sample(job: ImportJob) -> list[list[str]]:
    if job.file_format != "csv":
        return []
    try:
        with job.file.open("rb") as handle:
            source = open_csv(handle.read(), encoding=job.encoding, delimiter=job.delimiter)
        return [cells for _row, cells in islice(source.rows(), SAMPLE_ROWS)]
    except (FileError, OSError):
        return []


@login_required
def mapping(request, job_id):
    job = _job(request, job_id)
    _require_import(request.user)
    if not job.can_run():
        return redirect("imports:detail", job_id=job.pk)
    keys = actions.custom_field_keys()
    form = MappingForm(request.POST or None, job=job, custom_keys=keys)
    if request.method == "POST" and form.is_valid():
        try:
            actions.start_import_job(
                actor=request.user,
                job=job,
                dry_run=request.POST.get("action") != "import",
                mapping=form.mapping(),
                options=form.options(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("imports:detail", job_id=job.pk)
    sample = _sample(job)
    columns = [
        (field, [row[i] if i < len(row) else "" for row in sample])
        for i, field in enumerate(form.column_rows())
    ]
    return render(
        request,
        "imports/mapping.html",
        {"nav": "imports", "job": job, "form": form, "columns": columns},
        status=400 if form.errors else 200,
    )


def _detail_context(request, job: ImportJob) -> dict:
    issues = Paginator(job.issues.all(), ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    counts = [(name, label, (job.counts or {}).get(name, 0)) for name, label in count_labels()]
    return {
        "nav": "imports",
        "job": job,
        "issues": issues,
        "counts": counts,
        "can_import": queries.can_import(request.user),
    }


def count_labels() -> list[tuple[str, str]]:
    return [
        ("created", _("created")),
        ("updated", _("updated")),
        ("unchanged", _("unchanged")),
        ("invalid", _("invalid")),
        ("duplicate", _("duplicates")),
        ("empty", _("empty lines")),
    ]


@login_required
@require_GET
def job_detail(request, job_id):
    job = _job(request, job_id)
    return render(request, "imports/detail.html", _detail_context(request, job))


@login_required
@require_GET
def job_progress(request, job_id):
    """Return the progress fragment; once the job has finished, make htmx reload the page."""
    job = _job(request, job_id)
    if not job.is_active and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "imports/_progress.html", {"job": job})


@login_required
@require_POST
def run(request, job_id):
    job = _job(request, job_id)
    _require_import(request.user)
    try:
        actions.start_import_job(actor=request.user, job=job, dry_run=False)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("imports:detail", job_id=job.pk)


@login_required
@require_GET
def issues_csv(request, job_id):
    job = _job(request, job_id)
    response = StreamingHttpResponse(
        actions.issues_csv_lines(job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-issues.csv"'
    return response


@login_required
@require_GET
def export_customers(request):
    require_staff(request.user)
    if not queries.can_export(request.user):
        raise PermissionDenied
    form = ExportForm(request.GET or None)
    if not form.is_valid():
        return import_list(request, status=400)
    qs = queries.exportable_customers(request.user)
    stamp = timezone.localdate().isoformat()
    if form.cleaned_data["format"] == "vcard":
        version = form.cleaned_data["vcard_version"] or "4.0"
        response = StreamingHttpResponse(
            exporting.customer_vcards(qs, version=version), content_type="text/vcard; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.vcf"'
        return response
    lines = exporting.customer_csv_lines(
        qs, delimiter=form.cleaned_data["delimiter"] or ",", bom=form.cleaned_data["bom"]
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
    return response
