"""Import jobs (one uploaded file being imported) and the problems found in their rows."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("customers")
    ORDERS = "orders", _("orders")


class ImportStatus(models.TextChoices):
    DRAFT = "draft", _("waiting for column mapping")
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


#: The counters every import reports.
COUNT_NAMES = ("created", "updated", "unchanged", "invalid", "duplicate", "empty")


class ImportJob(models.Model):
    """One file being imported, by a background worker or the command line.

    A job with ``dry_run`` set validates and matches every row but writes nothing; its
    ``preview`` and ``counts`` say what a real run would do.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.DRAFT
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=8, default="csv")
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    delimiter = models.CharField(_("separator"), max_length=2, blank=True)
    header = models.JSONField(_("columns"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    ignored_columns = models.JSONField(_("ignored columns"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.original_name

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    def can_run(self) -> bool:
        """Return whether the job may be (re)started: its mapping is set and it is not running."""
        return self.status in (ImportStatus.DRAFT, ImportStatus.DONE, ImportStatus.FAILED) and not (
            self.status == ImportStatus.DONE and not self.dry_run
        )


class ImportIssue(models.Model):
    """A problem with one row of an import: why it was not imported (or only partly understood)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=200, blank=True)
    field = models.CharField(_("field"), max_length=100, blank=True)
    code = models.CharField(_("code"), max_length=64)
    message = models.TextField(_("message"))
    raw = models.JSONField(_("values"), default=dict, blank=True)

    class Meta:
        ordering = ["row_number", "id"]
        verbose_name = _("import issue")
        verbose_name_plural = _("import issues")

    def __str__(self) -> str:
        return f"{self.row_number}: {self.message}"
