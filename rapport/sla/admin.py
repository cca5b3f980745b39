"""Administration of business calendars, holidays, team calendars and SLA policies."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rapport.sla.forms import SlaPolicyForm
from rapport.sla.models import BusinessCalendar, BusinessHours, Holiday, SlaPolicy, TeamCalendar


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


class TeamCalendarInline(admin.TabularInline):
    model = TeamCalendar
    extra = 0
    verbose_name = _("team working to this calendar")
    verbose_name_plural = _("teams working to this calendar")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "always_open"]
    search_fields = ["name"]
    inlines = [BusinessHoursInline, HolidayInline, TeamCalendarInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.touch()  # cached schedules pick up changed hours and holidays


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    list_display = [
        "position",
        "name",
        "is_active",
        "first_response_minutes",
        "resolution_minutes",
        "calendar",
    ]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "calendar"]
    filter_horizontal = ["customer_tags", "teams"]
    fieldsets = [
        (None, {"fields": ["name", "position", "is_active"]}),
        (
            _("Targets (business minutes)"),
            {
                "fields": [
                    "first_response_minutes",
                    "resolution_minutes",
                    "calendar",
                    "use_team_calendar",
                ]
            },
        ),
        (
            _("Applies to (empty: any)"),
            {
                "fields": [
                    "channels",
                    "priorities",
                    "customer_condition",
                    "customer_tags",
                    "teams",
                    "min_loyalty_rank",
                ]
            },
        ),
        (
            _("Warning and escalation"),
            {
                "fields": [
                    "warning_minutes",
                    "escalate_notify_lead",
                    "escalate_raise_priority",
                    "escalate_to_team",
                    "escalate_to_user",
                ]
            },
        ),
    ]


@admin.register(TeamCalendar)
class TeamCalendarAdmin(admin.ModelAdmin):
    list_display = ["team", "calendar"]
