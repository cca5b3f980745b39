"""Service levels: business hours, holidays and the SLA policies conversations are held to."""

import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.sla.businesstime import Schedule


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessCalendar(models.Model):
    """The working hours of a team or region, in its own time zone; 24/7 possible."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Berlin")
    always_open = models.BooleanField(
        _("open around the clock"), default=False, help_text=_("24/7: no hours, no holidays.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Touched whenever its hours or holidays change, so cached schedules notice.
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.updated_at = timezone.now()
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                {"time_zone": _("Enter an IANA time zone such as Europe/Berlin.")}
            ) from None

    def touch(self) -> None:
        BusinessCalendar.objects.filter(pk=self.pk).update(updated_at=timezone.now())

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def to_schedule(self) -> Schedule:
        """Return the pure schedule the business-time arithmetic works on."""
        if self.always_open:
            return Schedule(tz=self.tzinfo, always_open=True)
        weekly: list[list[tuple[int, int]]] = [[] for _day in range(7)]
        for hours in self.hours.all():
            weekly[hours.weekday].append(hours.minutes)
        holidays, yearly = set(), set()
        for holiday in self.holidays.all():
            if holiday.recurs_yearly:
                yearly.add((holiday.date.month, holiday.date.day))
            else:
                holidays.add(holiday.date)
        return Schedule(
            tz=self.tzinfo,
            weekly=tuple(tuple(sorted(day)) for day in weekly),
            holidays=frozenset(holidays),
            yearly=frozenset(yearly),
        )


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


class BusinessHours(models.Model):
    """One open interval on a weekday; several per day are allowed (08:00-12:00, 13:00-17:00).

    A closing time at or before the opening time means the interval runs past midnight
    (22:00-06:00); 00:00-00:00 is the whole day.
    """

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens"))
    closes_at = models.TimeField(
        _("closes"),
        help_text=_("At or before the opening time: open past midnight; 00:00-00:00 is all day."),
    )

    class Meta:
        ordering = ["weekday", "opens_at"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.calendar.touch()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self.calendar.touch()
        return result

    @property
    def minutes(self) -> tuple[int, int]:
        opens, closes = _minutes(self.opens_at), _minutes(self.closes_at)
        if closes <= opens:
            closes += 1440
        return opens, closes


class Holiday(models.Model):
    """A closed day of a calendar; ``recurs_yearly`` repeats it on the same date every year."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)
    recurs_yearly = models.BooleanField(_("every year"), default=False)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.calendar.touch()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self.calendar.touch()
        return result


class TeamCalendar(models.Model):
    """The business hours a team works to (per team or region); policies may follow it."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="sla_calendar", primary_key=True
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        related_name="teams",
        verbose_name=_("business calendar"),
    )

    class Meta:
        verbose_name = _("team calendar")
        verbose_name_plural = _("team calendars")

    def __str__(self) -> str:
        return f"{self.team} → {self.calendar}"


class CustomerCondition(models.TextChoices):
    ANY = "", _("Any customer")
    VIP = "vip", _("VIP customers only")
    REGULAR = "regular", _("Customers who are not VIP")


class SlaPolicy(models.Model):
    """First-response and resolution targets, in business minutes of ``calendar``.

    The first active policy (by ``position``) whose conditions match a conversation applies;
    an empty condition matches everything. New conditions (loyalty tiers, segments) are one
    more field and one more line in ``matches``.
    """

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("business calendar"),
    )
    use_team_calendar = models.BooleanField(
        _("follow the team's calendar"),
        default=True,
        help_text=_(
            "Use the business hours of the conversation's team when it has its own calendar."
        ),
    )
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))

    # Conditions: empty means any.
    channels = models.JSONField(_("channels"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    customer_condition = models.CharField(
        _("customers"), max_length=8, choices=CustomerCondition.choices, default="", blank=True
    )
    customer_tags = models.ManyToManyField(
        "customers.Tag",
        blank=True,
        related_name="+",
        verbose_name=_("customer tags"),
        help_text=_("Applies when the customer has any of these tags; empty: any customer."),
    )
    teams = models.ManyToManyField(
        "accounts.Team",
        blank=True,
        related_name="+",
        verbose_name=_("teams"),
        help_text=_("Applies to conversations of these teams; empty: any team."),
    )
    # A rank, not a foreign key, so SLA policies need no loyalty tables (see choose_policy).
    min_loyalty_rank = models.PositiveSmallIntegerField(
        _("loyalty tier at least (rank)"),
        null=True,
        blank=True,
        help_text=_(
            "Applies to members of the loyalty programme whose tier has at least this rank "
            "(0 is the entry tier; for example 2 for Gold). Empty: any customer."
        ),
    )

    # Warnings and escalation.
    warning_minutes = models.PositiveIntegerField(
        _("warn minutes before due"),
        default=30,
        help_text=_("Agents are warned this many minutes before a due time; 0: no warning."),
    )
    escalate_notify_lead = models.BooleanField(_("on breach: notify the team lead"), default=True)
    escalate_raise_priority = models.BooleanField(_("on breach: raise the priority"), default=False)
    escalate_to_team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("on breach: move to team"),
    )
    escalate_to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("on breach: assign to"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    def matches(
        self, *, channel: str, priority: str, team_id, is_vip: bool, tag_ids, tier_rank=None
    ) -> bool:
        """Return True if every condition of this policy holds for the conversation's facts.

        ``tier_rank`` is the customer's loyalty tier rank (None: not a member).
        """
        if self.min_loyalty_rank is not None and (
            tier_rank is None or tier_rank < self.min_loyalty_rank
        ):
            return False
        if self.channels and channel not in self.channels:
            return False
        if self.priorities and priority not in self.priorities:
            return False
        if self.customer_condition == CustomerCondition.VIP and not is_vip:
            return False
        if self.customer_condition == CustomerCondition.REGULAR and is_vip:
            return False
        wanted_tags = {tag.pk for tag in self.customer_tags.all()}
        if wanted_tags and not wanted_tags & set(tag_ids):
            return False
        wanted_teams = {team.pk for team in self.teams.all()}
        return not (wanted_teams and team_id not in wanted_teams)


class SlaClock(models.Model):
    """What the SLA sweeps did for one conversation: warnings, breaches, the follow-up.

    Each ``*_at`` column is claimed with a conditional UPDATE so that two workers never
    send the same warning twice. The warnings are cleared when their due time moves.
    """

    conversation = models.OneToOneField(
        "helpdesk.Conversation",
        on_delete=models.CASCADE,
        related_name="sla_clock",
        primary_key=True,
    )
    # The facts the policy was chosen on; a change of any chooses again.
    matched_on = models.JSONField(default=dict, blank=True)
    first_response_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    # When the sweep next has something to do (a warning or a breach); null: nothing.
    next_check_at = models.DateTimeField(null=True, blank=True)
    # The solve the follow-up was sent for (its ``solved_at``): one follow-up per solve.
    follow_up_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="sla_clock_next_check",
                condition=models.Q(next_check_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"SLA clock of {self.conversation_id}"
