"""Forms of the improvement pages: an initiative, closing one, and the drivers' period."""

from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from rapport.accounts.models import STAFF_ROLES, Team, User
from rapport.helpdesk.models import Channel
from rapport.improvement.actions import MAX_WINDOW_DAYS
from rapport.improvement.models import Direction, Initiative, InitiativeStatus
from rapport.metrics.periods import Period, PeriodError
from rapport.metrics.queries import KPIS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The fields the action takes as they are; the slice fields become its ``filters``.
ACTION_FIELDS = (
    "title",
    "problem",
    "hypothesis",
    "action",
    "owner",
    "kpi",
    "start_date",
    "end_date",
    "direction",
    "window_days",
    "status",
)
SLICE_FIELDS = ("channel", "team", "language")


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class InitiativeForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    problem = forms.CharField(
        label=gettext_lazy("Problem"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What is wrong, seen from the customer."),
    )
    hypothesis = forms.CharField(
        label=gettext_lazy("Hypothesis"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Why it happens, and what should change if we act."),
    )
    action = forms.CharField(
        label=pgettext_lazy("initiative", "Action"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What we do about it."),
    )
    owner = OwnerField(label=gettext_lazy("Owner"), queryset=User.objects.none())
    kpi = forms.ChoiceField(label=gettext_lazy("KPI to watch"))
    direction = forms.ChoiceField(
        label=gettext_lazy("Better is"),
        required=False,
        choices=[("", gettext_lazy("as usual for this KPI")), *Direction.choices],
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Only the channel"),
        required=False,
        choices=[("", gettext_lazy("all channels")), *Channel.choices],
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Only the team"),
        required=False,
        queryset=Team.objects.all(),
        empty_label=gettext_lazy("all teams"),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Only the language"),
        required=False,
        choices=[("", gettext_lazy("all languages")), *settings.LANGUAGES],
    )
    start_date = forms.DateField(label=gettext_lazy("Start date"), widget=DATE)
    end_date = forms.DateField(label=gettext_lazy("End date"), required=False, widget=DATE)
    window_days = forms.IntegerField(
        label=gettext_lazy("Comparison window (days)"),
        required=False,
        min_value=1,
        max_value=MAX_WINDOW_DAYS,
        help_text=gettext_lazy(
            "Days compared before and after the start. Empty: as many as have passed, at most 90."
        ),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=InitiativeStatus.choices,
        initial=InitiativeStatus.PLANNED,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(
            is_active=True, role__in=STAFF_ROLES
        ).order_by("first_name", "last_name", "username")
        self.fields["kpi"].choices = list(KPIS.items())

    @classmethod
    def initial_for(cls, initiative: Initiative) -> dict:
        """Return the form's initial data for editing ``initiative``."""
        data = {name: getattr(initiative, name) for name in ACTION_FIELDS}
        data["owner"] = initiative.owner_id
        for name in SLICE_FIELDS:
            data[name] = initiative.filters.get(name, "")
        return data

    def action_arguments(self) -> dict:
        """Return the cleaned data as the actions take it."""
        data = {name: self.cleaned_data.get(name) for name in ACTION_FIELDS}
        data["direction"] = data["direction"] or ""
        team = self.cleaned_data.get("team")
        filters = {
            "channel": self.cleaned_data.get("channel") or None,
            "team": team.pk if team else None,
            "language": self.cleaned_data.get("language") or None,
        }
        data["filters"] = {key: value for key, value in filters.items() if value is not None}
        return data


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            (InitiativeStatus.DONE, InitiativeStatus.DONE.label),
            (InitiativeStatus.ABANDONED, InitiativeStatus.ABANDONED.label),
        ],
    )
    end_date = forms.DateField(
        label=gettext_lazy("End date"),
        required=False,
        widget=DATE,
        help_text=gettext_lazy("Empty: today."),
    )


PERIODS = {
    "last_30_days": gettext_lazy("Last 30 days"),
    "last_90_days": gettext_lazy("Last 90 days"),
    "custom": pgettext_lazy("period", "Custom"),
}
MAX_PERIOD_DAYS = 3660


class PeriodForm(forms.Form):
    """The drivers' period: the last 30 or 90 days, or custom dates (both included)."""

    period = forms.ChoiceField(
        label=gettext_lazy("Period"), required=False, choices=list(PERIODS.items())
    )
    start = forms.DateField(label=pgettext_lazy("period", "From"), required=False, widget=DATE)
    end = forms.DateField(label=pgettext_lazy("period", "To"), required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        key = data.get("period") or "last_30_days"
        today = timezone.localdate(timezone.now(), timezone.get_default_timezone())
        if key == "custom":
            first, last = data.get("start"), data.get("end")
            if first is None or last is None:
                raise forms.ValidationError(_("Give both dates of a custom period."))
        else:
            first, last = today - timedelta(days=29 if key == "last_30_days" else 89), today
        if (last - first).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("A period may span at most ten years."))
        try:
            data["range"] = Period.from_dates(first, last)
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from None
        data["period"], data["first"], data["last"] = key, first, last
        return data

    def dates(self) -> tuple[date, date]:
        return self.cleaned_data["first"], self.cleaned_data["last"]
