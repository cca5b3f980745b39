"""Email channel: the mailboxes Rapport reads and every raw message it received."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """An IMAP mailbox polled for customer mail."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    email_address = models.EmailField(_("address"), help_text=_("The support address it receives."))
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    use_ssl = models.BooleanField(_("SSL/TLS"), default=True)
    username = models.CharField(_("user name"), max_length=255)
    password = models.CharField(_("password"), max_length=255, blank=True)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    is_active = models.BooleanField(_("active"), default=True)
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailboxes",
        verbose_name=_("team"),
        help_text=_("New conversations from this mailbox go to this team."),
    )
    # IMAP bookkeeping: messages with a UID above last_uid (in this UIDVALIDITY) are new.
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    # A worker polling the mailbox holds it until then; another worker skips it meanwhile.
    poll_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    DUPLICATE = "duplicate", _("Duplicate")
    QUARANTINED = "quarantined", _("Quarantined")
    FAILED = "failed", _("Failed, will retry")


class InboundSource(models.TextChoices):
    IMAP = "imap", _("IMAP")
    SMTP = "smtp", _("SMTP listener")
    COMMAND = "command", _("Command line")
    WEBHOOK = "webhook", _("HTTP webhook")


def raw_path(instance: "InboundEmail", filename: str) -> str:
    now = timezone.now()
    return f"mail/raw/{now:%Y/%m/%d}/{filename}"


class InboundEmail(models.Model):
    """One received email, stored raw before anything else happens to it.

    Processing turns it into a helpdesk message; a failure leaves it here, with its reason,
    for an administrator to inspect and replay. Nothing received is ever dropped.
    """

    source = models.CharField(_("source"), max_length=16, choices=InboundSource.choices)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound"
    )
    raw = models.FileField(upload_to=raw_path, max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    header_message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    envelope_from = models.CharField(max_length=254, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveIntegerField(default=0)
    message = models.ForeignKey(
        "helpdesk.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("received email")
        verbose_name_plural = _("received emails")
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_status")]

    def __str__(self) -> str:
        return self.header_message_id or f"#{self.pk}"
