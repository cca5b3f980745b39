"""Service levels: business hours, holidays and the SLA policies conversations are held to."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BusinessCalendar(models.Model):
    """The working hours of a team or region, in its own time zone; 24/7 possible."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Berlin")
    always_open = models.BooleanField(
        _("open around the clock"), default=False, help_text=_("24/7: no hours, no holidays.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """First-response and resolution targets, in business minutes of ``calendar``.

    The first active policy (by ``position``) whose conditions match a conversation applies;
    an empty condition matches everything.
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
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name
