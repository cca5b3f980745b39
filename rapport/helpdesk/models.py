"""Conversations (tickets), their messages across every channel, and the events they leave."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Live chat")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social media")
    WEB = "web", _("Web form")
    PORTAL = "portal", _("Customer portal")
    API = "api", _("API")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending customer")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


# Statuses in which the conversation waits for somebody on the company's side.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.ON_HOLD)
# Statuses that count as done; a customer's reply reopens a solved conversation.
DONE_STATUSES = (Status.SOLVED, Status.CLOSED)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]

# Statuses the inbox lists as open (everything not yet done), and the condition of its indexes.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
OPEN = Q(status__in=[s.value for s in OPEN_STATUSES])


class Conversation(models.Model):
    """One customer's request, as one thread across every channel it moves through."""

    subject = models.CharField(_("subject"), max_length=255)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="conversations",
        verbose_name=_("customer"),
    )
    channel = models.CharField(
        _("channel of origin"), max_length=16, choices=Channel.choices, default=Channel.EMAIL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
        verbose_name=_("assignee"),
    )
    tags = models.ManyToManyField(
        "customers.Tag", blank=True, related_name="conversations", verbose_name=_("tags")
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_conversations",
        verbose_name=_("merged into"),
    )

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_message_at = models.DateTimeField(_("last message"), default=timezone.now)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True)

    # What the metrics need, kept as facts when they happen (see docs/architecture.md).
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    agent_reply_count = models.PositiveIntegerField(default=0)
    customer_message_count = models.PositiveIntegerField(default=0)
    reopen_count = models.PositiveIntegerField(default=0)
    # Business-time versions (seconds inside the SLA policy's business hours), set by rapport.sla.
    first_response_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    handling_seconds = models.PositiveIntegerField(
        _("handling time (seconds)"),
        default=0,
        help_text=_("Agent time in the conversation, calls included."),
    )

    # The SLA clock (rapport.sla keeps these current).
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        verbose_name=_("SLA policy"),
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # The earliest unmet due time, for "breaching soon" and the sweeps; null while paused.
    sla_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(_("SLA breached"), null=True, blank=True)
    # The resolution time promised to the customer in the acknowledgement.
    estimated_resolution_at = models.DateTimeField(_("estimated resolution"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(fields=["status", "-last_message_at", "-id"], name="conv_status_recent"),
            models.Index(
                fields=["assignee", "status", "-last_message_at"], name="conv_assignee_recent"
            ),
            models.Index(fields=["team", "status", "-last_message_at"], name="conv_team_recent"),
            models.Index(fields=["customer", "-last_message_at"], name="conv_customer_recent"),
            models.Index(
                fields=["sla_due_at"], name="conv_sla_due", condition=Q(sla_due_at__isnull=False)
            ),
            # The inbox views (rapport.helpdesk.inbox): each walks one of these in its order
            # and stops after a page, so a page costs the same at a million conversations.
            models.Index(
                fields=["-last_message_at", "-id"], condition=OPEN, name="conv_open_recent"
            ),
            models.Index(
                fields=["assignee", "-last_message_at", "-id"],
                condition=OPEN,
                name="conv_open_assignee",
            ),
            models.Index(
                fields=["-last_message_at", "-id"],
                condition=OPEN & Q(assignee__isnull=True),
                name="conv_open_unassigned",
            ),
            models.Index(
                fields=["team", "-last_message_at", "-id"], condition=OPEN, name="conv_open_team"
            ),
            models.Index(
                fields=["channel", "-last_message_at", "-id"],
                condition=OPEN,
                name="conv_open_channel",
            ),
            models.Index(
                fields=["sla_due_at", "id"],
                condition=OPEN & Q(sla_due_at__isnull=False),
                name="conv_open_sla_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        """Return the number customers and agents quote, such as ``RAP-10023``."""
        return f"{settings.HELPDESK_NUMBER_PREFIX}-{self.pk}"

    @property
    def subject_token(self) -> str:
        """Return the token carried in email subjects, such as ``[RAP-10023]``."""
        return f"[{self.number}]"

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES

    def can_reopen(self) -> bool:
        return self.status in DONE_STATUSES and self.merged_into_id is None


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    NOTE = "note", _("Internal note")


class MessageKind(models.TextChoices):
    """What kind of traffic a message is; only ``NORMAL`` inbound mail is ever answered."""

    NORMAL = "normal", _("Message")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Bounce")
    BULK = "bulk", _("Bulk mail")
    SYSTEM = "system", _("Automatic message")  # our acknowledgements, delay notices, follow-ups
    CALL = "call", _("Call")


class DeliveryStatus(models.TextChoices):
    NONE = "", _("Not applicable")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class MessageQuerySet(models.QuerySet):
    def with_external_id(self, channel: str, external_id: "str | list[str]") -> "MessageQuerySet":
        """Return messages of ``channel`` with this external id (or any of a list of them).

        The repeated ``external_id <> ''`` lets SQLite use the partial unique index; without
        it the look-up scans every message.
        """
        qs = self.filter(channel=channel).exclude(external_id="")
        if isinstance(external_id, str):
            return qs.filter(external_id=external_id)
        return qs.filter(external_id__in=list(external_id))


class Message(models.Model):
    """One message in a conversation: from the customer, to the customer, or an internal note."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    kind = models.CharField(
        _("kind"), max_length=16, choices=MessageKind.choices, default=MessageKind.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
        help_text=_("The staff member who wrote it; empty for the customer's messages."),
    )
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    sender_address = models.CharField(
        _("sender address"), max_length=254, blank=True, help_text=_("Email, phone or handle.")
    )
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    # Sanitised with nh3 before it is stored; never the raw HTML.
    body_html = models.TextField(_("HTML"), blank=True)
    # The new part of the message: quoted history and signature stripped (display only).
    display_text = models.TextField(blank=True)
    # Message-ID for email, the network's id for social messages, a call id; unique per channel.
    external_id = models.CharField(max_length=255, blank=True)
    delivery_status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.NONE, blank=True
    )
    delivery_error = models.TextField(blank=True)
    # Channel details: email headers, threading decision, call duration and outcome, mentions.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="message_thread"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="message_external_id_unique_per_channel",
            )
        ]

    def __str__(self) -> str:
        return self.subject or self.body_text[:60]

    @property
    def is_note(self) -> bool:
        return self.direction == Direction.NOTE

    @property
    def is_automatic(self) -> bool:
        return self.kind in (
            MessageKind.AUTO_REPLY,
            MessageKind.BOUNCE,
            MessageKind.BULK,
            MessageKind.SYSTEM,
        )

    @property
    def shown_text(self) -> str:
        return self.display_text or self.body_text


def attachment_path(instance: "Attachment", filename: str) -> str:
    today = timezone.now()
    return f"attachments/{today:%Y/%m}/{instance.message_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255, blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=128, default="application/octet-stream")
    size = models.PositiveBigIntegerField(default=0)
    content_id = models.CharField(max_length=255, blank=True)
    is_inline = models.BooleanField(default=False)
    # Set when the file was not stored (too large, unsafe); the message says what was dropped.
    rejected_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", _("created")
    MESSAGE = "message", _("message added")
    STATUS = "status", _("status changed")
    PRIORITY = "priority", _("priority changed")
    ASSIGNEE = "assignee", _("assignee changed")
    TEAM = "team", _("team changed")
    TAGS = "tags", _("tags changed")
    SUBJECT = "subject", _("subject changed")
    CHANNEL = "channel", _("channel switched")
    REOPENED = "reopened", _("reopened")
    MERGED = "merged", _("merged")
    SPLIT = "split", _("split")
    LINKED = "linked", _("linked")
    UNLINKED = "unlinked", _("unlinked")
    THREADED = "threaded", _("threading decision")
    ROUTED = "routed", _("routed")
    SLA = "sla", _("SLA")
    ESCALATED = "escalated", _("escalated")
    NOTIFIED = "notified", _("customer notified")
    SURVEY = "survey", _("survey answered")


class ConversationEvent(models.Model):
    """One change to a conversation: who did what, when. SLA clocks and metrics read these."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # For changes: {"from": ..., "to": ...}; for threading: {"reason": ..., "matched": ...}.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("conversation event")
        verbose_name_plural = _("conversation events")
        indexes = [models.Index(fields=["conversation", "created_at", "id"], name="conv_event_log")]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class ConversationLink(models.Model):
    """Two related conversations (for example the same outage reported twice)."""

    source = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="links_in")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="conversation_link_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="no_self_link"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id}"


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    MISSED = "missed", _("Missed")
    VOICEMAIL = "voicemail", _("Voicemail")
    CALLBACK = "callback", _("Callback agreed")
    RESOLVED = "resolved", _("Resolved on the call")
    NO_ANSWER = "no_answer", _("No answer")


# --- Routing ----------------------------------------------------------------------------------


class AssignmentMode(models.TextChoices):
    LEAST_LOADED = "least_loaded", _("Least loaded")
    ROUND_ROBIN = "round_robin", _("Round robin")
    MANUAL = "manual", _("No automatic assignment")


class TeamQueue(models.Model):
    """How a team's queue hands new conversations to its agents."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="queue", verbose_name=_("team")
    )
    assignment = models.CharField(
        _("automatic assignment"),
        max_length=16,
        choices=AssignmentMode.choices,
        default=AssignmentMode.LEAST_LOADED,
    )
    # Round robin: the agent who got the last conversation; the next one in line follows.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("team queue")
        verbose_name_plural = _("team queues")

    def __str__(self) -> str:
        return str(self.team)


class RoutingRule(models.Model):
    """Send new conversations that match to a team; the first active rule by position wins.

    Empty conditions match anything; all given conditions must hold. Keywords match when any
    of them occurs in the subject or the text (ignoring case).
    """

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    language = models.CharField(
        _("language"), max_length=8, blank=True, help_text=_("ISO 639-1 code, such as de or en.")
    )
    keywords = models.TextField(
        _("keywords"), blank=True, help_text=_("One per line or separated by commas.")
    )
    vip_only = models.BooleanField(_("only VIP customers"), default=False)
    # A rank, not a foreign key, so the helpdesk needs no loyalty tables (see routing.py).
    min_loyalty_rank = models.PositiveSmallIntegerField(
        _("loyalty tier at least (rank)"),
        null=True,
        blank=True,
        help_text=_(
            "Only members of the loyalty programme whose tier has at least this rank "
            "(0 is the entry tier; for example 2 for Gold). Empty: any customer."
        ),
    )
    customer_tag = models.ForeignKey(
        "customers.Tag",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("customer tag"),
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team")
    )
    set_priority = models.CharField(
        _("set priority"), max_length=16, choices=Priority.choices, blank=True
    )
    add_tags = models.CharField(
        _("add tags"), max_length=255, blank=True, help_text=_("Separated by commas.")
    )
    to_account_manager = models.BooleanField(
        _("assign to the customer's account manager"),
        default=False,
        help_text=_(
            "When the customer has an account manager (for example from a loyalty tier "
            "with a dedicated account manager), they get the conversation, as VIPs do."
        ),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.replace("\n", ",").split(",") if k.strip()]

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.add_tags.split(",") if t.strip()]


# --- Reply templates (macros) --------------------------------------------------------------


class Formality(models.TextChoices):
    ANY = "", _("any form of address")
    FORMAL = "formal", _("formal")
    INFORMAL = "informal", _("informal")


class ReplyTemplate(models.Model):
    """A reusable reply: shared (no owner) or personal, with variants per language and formality."""

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reply_templates",
        verbose_name=_("owner"),
        help_text=_("Empty: shared with everyone."),
    )
    set_status = models.CharField(
        _("set status"), max_length=16, choices=Status.choices, blank=True
    )
    set_priority = models.CharField(
        _("set priority"), max_length=16, choices=Priority.choices, blank=True
    )
    add_tags = models.CharField(
        _("add tags"), max_length=255, blank=True, help_text=_("Separated by commas.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.add_tags.split(",") if t.strip()]


class ReplyTemplateVariant(models.Model):
    """The text of a template in one language and form of address."""

    template = models.ForeignKey(ReplyTemplate, on_delete=models.CASCADE, related_name="variants")
    language = models.CharField(
        _("language"), max_length=8, blank=True, help_text=_("Empty: any language.")
    )
    formality = models.CharField(
        _("form of address"), max_length=8, choices=Formality.choices, blank=True
    )
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["language", "formality", "id"]
        verbose_name = _("template variant")
        verbose_name_plural = _("template variants")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "language", "formality"], name="template_variant_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} ({self.language or '*'}/{self.formality or '*'})"
