"""The loyalty programme: its rules, tiers and rewards, members, and the points ledger.

A member's points are the sum of their ledger entries, which are only ever added
(``LedgerEntry``); ``Member.balance`` is a kept copy for fast reads that ``rapport loyalty
verify`` proves equal to the sum. Vouchers are what a redeemed reward gives the customer.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.commerce.models import CurrencyField, MoneyField


class Programme(models.Model):
    """One loyalty programme: its currency, earn rate, point value and expiry."""

    name = models.CharField(_("name"), max_length=100)
    currency = CurrencyField()
    points_per_unit = models.DecimalField(
        _("points per currency unit"), max_digits=8, decimal_places=2, default=Decimal("1")
    )
    point_value = models.DecimalField(
        _("value of one point"),
        max_digits=10,
        decimal_places=4,
        default=Decimal("0.01"),
        help_text=_("In the programme's currency; used for vouchers and the liability."),
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"), null=True, blank=True, default=24
    )
    allow_debt = models.BooleanField(
        _("allow negative balances"),
        default=False,
        help_text=_(
            "When a return takes back more points than a member has left: record the "
            "shortfall as a negative balance (on) or take back only what is there (off)."
        ),
    )
    account_manager_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account manager team"),
        help_text=_(
            "Members who reach a tier with a dedicated account manager get the member of "
            "this team who manages the fewest customers."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programmes")

    def __str__(self) -> str:
        return self.name


class EarnKind(models.TextChoices):
    CATEGORY = "category", _("category multiplier")
    EVENT = "event", _("bonus event")


class BonusEvent(models.TextChoices):
    SIGN_UP = "sign_up", _("sign-up")
    BIRTHDAY = "birthday", _("birthday")
    REVIEW = "review", _("review written")
    SURVEY = "survey", _("survey answered")
    REFERRAL = "referral", _("referral")


class EarnRule(models.Model):
    """A category multiplier on purchases, or the points a bonus event gives."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("kind"), max_length=12, choices=EarnKind.choices)
    category = models.CharField(_("product category"), max_length=100, blank=True)
    multiplier = models.DecimalField(
        _("multiplier"), max_digits=6, decimal_places=2, default=Decimal("1")
    )
    event = models.CharField(_("event"), max_length=16, choices=BonusEvent.choices, blank=True)
    points = models.PositiveIntegerField(_("points"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("earn rule")
        verbose_name_plural = _("earn rules")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "category"],
                condition=Q(kind="category"),
                name="loyalty_rule_one_per_category",
            ),
            models.UniqueConstraint(
                fields=["programme", "event"],
                condition=Q(kind="event"),
                name="loyalty_rule_one_per_event",
            ),
        ]

    def __str__(self) -> str:
        return self.category or self.event


class Tier(models.Model):
    """A level members reach by their spend or points over the last twelve months."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(_("name"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("0 is the entry tier."))
    min_spend = MoneyField(_("qualifying spend (12 months)"), default=Decimal("0"))
    min_points = models.PositiveIntegerField(_("qualifying points (12 months)"), default=0)
    earn_multiplier = models.DecimalField(
        _("earn multiplier"), max_digits=4, decimal_places=2, default=Decimal("1")
    )
    free_shipping = models.BooleanField(_("free shipping"), default=False)
    early_access = models.BooleanField(_("early access"), default=False)
    account_manager = models.BooleanField(
        _("dedicated account manager"),
        default=False,
        help_text=_(
            "Members reaching this tier without an account manager get one from the "
            "programme's account manager team."
        ),
    )
    # Faster service is configured in the helpdesk, not here: an SLA policy or a routing
    # rule with "loyalty tier at least" applies to this tier's rank (see tier_benefits).

    class Meta:
        ordering = ["programme", "rank"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        constraints = [
            models.UniqueConstraint(fields=["programme", "rank"], name="loyalty_tier_rank")
        ]

    def __str__(self) -> str:
        return self.name


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    CLOSED = "closed", _("closed")


class Member(models.Model):
    """A customer in a programme, with their kept balance and tier."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="members")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="loyalty_memberships"
    )
    tier = models.ForeignKey(
        Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    # The sum of the member's ledger entries, kept by the actions (``rapport loyalty verify``).
    balance = models.BigIntegerField(_("balance"), default=0)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    tier_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        permissions = [("adjust_points", _("Can adjust loyalty points by hand"))]
        constraints = [
            models.UniqueConstraint(fields=["programme", "customer"], name="loyalty_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.programme_id}"


class TierChange(models.Model):
    """A member's move from one tier to another (or into the first one), kept for reports."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(
        Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Ranks are copied so the direction stays known when a tier is deleted later.
    from_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    to_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    spend = MoneyField(_("qualifying spend"), default=Decimal("0"))
    points = models.BigIntegerField(_("qualifying points"), default=0)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        indexes = [models.Index(fields=["changed_at"], name="loyalty_tier_change_at")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_rank} -> {self.to_rank}"

    @property
    def direction(self) -> str:
        """Return "up", "down" or "joined" (no tier before)."""
        if self.from_rank is None:
            return "joined"
        return "up" if (self.to_rank or 0) > self.from_rank else "down"


class EntryKind(models.TextChoices):
    EARN = "earn", _("earned")
    REDEEM = "redeem", _("redeemed")
    EXPIRE = "expire", _("expired")
    REVERSE = "reverse", _("reversed")
    ADJUST = "adjust", _("adjusted")


class EntrySource(models.TextChoices):
    ORDER = "order", _("order")
    EVENT = "event", _("bonus event")
    REWARD = "reward", _("reward")
    STAFF = "staff", _("staff")
    SYSTEM = "system", _("system")


class LedgerEntry(models.Model):
    """One change of a member's points: never updated, never deleted."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=8, choices=EntryKind.choices)
    points = models.BigIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=255)
    source = models.CharField(_("source"), max_length=8, choices=EntrySource.choices)
    order = models.ForeignKey(
        "commerce.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="loyalty_entries",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The caller's reference (an order number, a request id): the same reference of the same
    # kind in the same programme is one entry, so a replayed request earns once.
    external_ref = models.CharField(_("reference"), max_length=120, blank=True)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    amount = MoneyField(_("amount"), null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            models.Index(fields=["member", "created_at"], name="loyalty_entry_member"),
            models.Index(fields=["member", "points"], name="loyalty_entry_sum"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "kind", "external_ref"],
                condition=~Q(external_ref=""),
                name="loyalty_entry_ref_once",
            ),
            models.CheckConstraint(condition=~Q(points=0), name="loyalty_entry_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"

    @property
    def event_name(self) -> str:
        """Return a bonus event's name in the reader's language, else the stored reason.

        The reason was written in the language of whoever caused the entry (a sign-up in an
        English session reads "sign-up" to a German customer); the event's label translates.
        """
        event = (self.data or {}).get("event")
        return str(BonusEvent(event).label) if event in BonusEvent.values else self.reason


class RewardKind(models.TextChoices):
    VOUCHER = "voucher", _("discount voucher")
    FREE_SHIPPING = "free_shipping", _("free shipping")
    PRODUCT = "product", _("product")
    DONATION = "donation", _("donation")


class Reward(models.Model):
    """What members may redeem points for."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rewards")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=RewardKind.choices)
    cost = models.PositiveIntegerField(_("points"))
    value = MoneyField(_("value"), default=Decimal("0"))
    # None: unlimited.
    stock = models.PositiveIntegerField(_("in stock"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("voucher valid for (days)"), default=90)
    min_tier = models.ForeignKey(
        Tier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only from tier"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["programme", "cost", "name"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [models.CheckConstraint(condition=Q(cost__gt=0), name="loyalty_reward_cost")]

    def __str__(self) -> str:
        return self.name


class VoucherStatus(models.TextChoices):
    ISSUED = "issued", _("issued")
    CONSUMED = "consumed", _("used")
    CANCELLED = "cancelled", _("cancelled")


class Voucher(models.Model):
    """The code a redemption gives; valid until ``valid_until``, consumed once."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="vouchers")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="vouchers")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="voucher")
    value = MoneyField(_("value"))
    currency = CurrencyField()
    status = models.CharField(
        _("status"), max_length=10, choices=VoucherStatus.choices, default=VoucherStatus.ISSUED
    )
    valid_until = models.DateTimeField(_("valid until"))
    consumed_at = models.DateTimeField(_("used at"), null=True, blank=True)
    consumed_ref = models.CharField(_("used for"), max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")

    def __str__(self) -> str:
        return self.code

    @property
    def masked_code(self) -> str:
        """Return the code with all but its last four characters hidden, for staff lists."""
        return "•••• " * 3 + self.code[-4:]


class NoticeKind(models.TextChoices):
    TIER_CHANGED = "tier_changed", _("tier changed")
    POINTS_EXPIRING = "points_expiring", _("points about to expire")


class NoticeStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    SENT = "sent", _("sent")
    SKIPPED = "skipped", _("skipped")
    FAILED = "failed", _("failed")


class LoyaltyNotice(models.Model):
    """An email to a member about their tier or expiring points, sent once per occasion."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    # One notice per occasion: "tier:<member>:<tier>:<date>" or "expiry:<member>:<date>".
    key = models.CharField(max_length=120, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.SCHEDULED
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    send_after = models.DateTimeField(_("send after"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    skip_reason = models.CharField(max_length=32, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("loyalty notice")
        verbose_name_plural = _("loyalty notices")
        indexes = [models.Index(fields=["status", "send_after"], name="loyalty_notice_due")]

    def __str__(self) -> str:
        return self.key
