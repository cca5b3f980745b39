"""Customers, organisations and everything that makes up one customer's profile."""

import unicodedata
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def fold(text: str) -> str:
    """Return ``text`` lower-cased and without accents ("Müller" -> "muller", "Straße" -> "strasse").

    Used for sort and search keys; the search also tries the German spelling with "ue", so
    "Müller", "Mueller" and "muller" meet (see ``customers.queries.search_variants``).
    """
    text = (text or "").casefold().strip().replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(ascii_text.split())


class KeyField(models.CharField):
    """A search/sort key compared byte-wise (C collation on PostgreSQL) so prefix ranges use the index."""

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class Salutation(models.TextChoices):
    NONE = "", _("none")
    MR = "mr", pgettext_lazy("salutation", "Mr")
    MS = "ms", pgettext_lazy("salutation", "Ms")
    MX = "mx", _("neutral")


class FormOfAddress(models.TextChoices):
    FORMAL = "formal", _("formal (Sie, vous, usted)")
    INFORMAL = "informal", _("informal (du, tu, tú)")


class Channel(models.TextChoices):
    EMAIL = "email", _("email")
    PHONE = "phone", _("phone")
    SMS = "sms", _("SMS")
    CHAT = "chat", _("chat")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SOCIAL = "social", _("social media")
    POST = "post", _("post")


class LifecycleStage(models.TextChoices):
    LEAD = "lead", _("lead")
    CUSTOMER = "customer", _("customer")
    CHURNED = "churned", _("churned")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Organization(models.Model):
    """A business account; customers may belong to one."""

    name = models.CharField(_("name"), max_length=200)
    name_key = KeyField(max_length=200, db_index=True, editable=False)
    external_id = models.CharField(
        _("external ID"), max_length=100, unique=True, null=True, blank=True
    )
    domain = models.CharField(_("web domain"), max_length=200, blank=True)
    vat_id = models.CharField(_("VAT ID"), max_length=32, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_organizations",
        verbose_name=_("account manager"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = fold(self.name)[:200]
        super().save(*args, **kwargs)


class Customer(models.Model):
    """A person the company has a relationship with."""

    external_id = models.CharField(
        _("external ID"), max_length=100, unique=True, null=True, blank=True
    )
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    title = models.CharField(
        _("title"), max_length=40, blank=True, help_text=_('For example "Dr." or "Prof."')
    )
    salutation = models.CharField(
        _("salutation"), max_length=4, choices=Salutation.choices, blank=True
    )
    form_of_address = models.CharField(
        _("form of address"),
        max_length=8,
        choices=FormOfAddress.choices,
        default=FormOfAddress.FORMAL,
    )
    language = models.CharField(_("preferred language"), max_length=8, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, blank=True
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=16,
        choices=LifecycleStage.choices,
        default=LifecycleStage.LEAD,
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        verbose_name=_("organization"),
    )
    is_vip = models.BooleanField(_("VIP"), default=False)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
        verbose_name=_("account manager"),
        db_index=False,  # indexed through the partial customer_manager_* indexes
    )
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer_profile",
        verbose_name=_("portal login"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Denormalised copies for search and sorting; kept up to date by save().
    family_key = KeyField(max_length=100, editable=False, default="")
    given_key = KeyField(max_length=100, editable=False, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["family_key", "given_key", "id"], name="customer_name_sort"),
            models.Index(fields=["given_key", "family_key"], name="customer_given_name"),
            models.Index(
                fields=["country", "family_key", "given_key", "id"], name="customer_country_name"
            ),
            models.Index(
                fields=["language", "family_key", "given_key", "id"], name="customer_language_name"
            ),
            models.Index(
                fields=["lifecycle_stage", "family_key", "given_key", "id"],
                name="customer_stage_name",
            ),
            # Each list filter has an index per sort order (name, created), so that a page
            # is read in order and never sorted; see docs/decisions.md. VIPs and managed
            # customers are few: partial indexes keep those small.
            models.Index(fields=["country", "created_at", "id"], name="customer_country_created"),
            models.Index(fields=["language", "created_at", "id"], name="customer_language_created"),
            models.Index(
                fields=["lifecycle_stage", "created_at", "id"], name="customer_stage_created"
            ),
            models.Index(
                fields=["family_key", "given_key", "id"],
                condition=Q(is_vip=True),
                name="customer_vip_name",
            ),
            models.Index(
                fields=["created_at", "id"], condition=Q(is_vip=True), name="customer_vip_created"
            ),
            models.Index(
                fields=["account_manager", "family_key", "given_key", "id"],
                condition=Q(account_manager__isnull=False),
                name="customer_manager_name",
            ),
            models.Index(
                fields=["account_manager", "created_at", "id"],
                condition=Q(account_manager__isnull=False),
                name="customer_manager_created",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        self.refresh_keys()
        super().save(*args, **kwargs)

    def refresh_keys(self) -> None:
        self.family_key = fold(self.family_name)[:100]
        self.given_key = fold(self.given_name)[:100]

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.title, self.given_name, self.family_name) if p)

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.given_name, self.family_name) if p)
        return name or str(_("Customer #%(id)s") % {"id": self.pk})

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo | None:
        if not self.time_zone:
            return None
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None

    def local_time(self, at: datetime | None = None) -> datetime | None:
        """Return ``at`` (default: now) in the customer's time zone, or None if it is unknown."""
        tz = self.tzinfo
        if tz is None:
            return None
        return (at or timezone.now()).astimezone(tz)


class ContactKind(models.TextChoices):
    EMAIL = "email", _("email")
    PHONE = "phone", _("phone")
    SOCIAL = "social", _("social handle")


class SocialPlatform(models.TextChoices):
    X = "x", "X (Twitter)"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    LINKEDIN = "linkedin", "LinkedIn"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    MASTODON = "mastodon", "Mastodon"
    TIKTOK = "tiktok", "TikTok"


class ContactPoint(models.Model):
    """An email address, phone number or social handle through which a customer reaches us.

    ``normalized`` is the identity used to recognise the customer later: a lower-cased
    email, an E.164 phone number, or ``platform:handle``.
    """

    # Indexed through the unique (customer, kind, normalized) constraint.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contact_points", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=8, choices=ContactKind.choices)
    platform = models.CharField(
        _("platform"), max_length=16, choices=SocialPlatform.choices, blank=True
    )
    value = models.CharField(_("value"), max_length=254)
    normalized = KeyField(max_length=254, editable=False)
    label = models.CharField(_("label"), max_length=32, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-is_primary", "id"]
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        indexes = [models.Index(fields=["kind", "normalized"], name="contact_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=Q(is_primary=True),
                name="one_primary_contact_per_kind",
            ),
            models.UniqueConstraint(
                fields=["customer", "kind", "normalized"], name="contact_unique_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return self.value


class ConsentPurpose(models.TextChoices):
    MARKETING_EMAIL = "marketing_email", _("marketing email")
    MARKETING_SMS = "marketing_sms", _("marketing SMS")
    MARKETING_PHONE = "marketing_phone", _("marketing calls")
    NEWSLETTER = "newsletter", _("newsletter")
    PROFILING = "profiling", _("personalisation and profiling")
    SURVEYS = "surveys", _("surveys")


class ConsentSource(models.TextChoices):
    WEB_FORM = "web_form", _("web form")
    PORTAL = "portal", _("customer portal")
    AGENT = "agent", _("recorded by staff")
    IMPORT = "import", _("import")
    API = "api", _("API")
    EMAIL = "email", _("email link")


class ConsentRecord(models.Model):
    """One grant or withdrawal of consent. Never updated: the latest record per purpose is in force."""

    # Indexed through consent_current (customer, purpose, -recorded_at).
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consents", db_index=False
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=ConsentPurpose.choices)
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    source = models.CharField(_("source"), max_length=16, choices=ConsentSource.choices)
    wording_version = models.CharField(_("wording version"), max_length=64)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        indexes = [
            models.Index(fields=["customer", "purpose", "-recorded_at"], name="consent_current")
        ]

    def __str__(self) -> str:
        return f"{self.purpose}: {'granted' if self.granted else 'withdrawn'}"


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", _("number")
    DECIMAL = "decimal", _("decimal number")
    DATE = "date", _("date")
    BOOLEAN = "boolean", _("yes/no")
    CHOICE = "choice", _("choice")


class CustomFieldDefinition(models.Model):
    """An admin-defined, typed extra field on customers; values live in ``Customer.custom_fields``."""

    key = models.SlugField(_("key"), max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=100)
    label_de = models.CharField(_("label (German)"), max_length=100, blank=True)
    field_type = models.CharField(_("type"), max_length=8, choices=CustomFieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label


class CustomerMerge(models.Model):
    """The record of one customer merged into another, with a snapshot of the merged profile."""

    survivor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges")
    merged_customer_id = models.BigIntegerField(db_index=True)
    snapshot = models.JSONField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"#{self.merged_customer_id} → #{self.survivor_id}"
