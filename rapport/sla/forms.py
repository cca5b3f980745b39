"""Forms of the SLA pages: the delay notice an agent sends, the policy form of the admin."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.helpdesk.models import Channel, Priority
from rapport.sla.models import SlaPolicy


class DelayNoticeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the delay"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Quoted in the notice to the customer, in your words."),
    )
    new_estimate = forms.DateTimeField(
        label=_("New estimated resolution (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In your time zone."),
    )


class SlaPolicyForm(forms.ModelForm):
    """The admin's policy form: channels and priorities as checkboxes (empty: any)."""

    channels = forms.MultipleChoiceField(
        label=_("channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Empty: any channel."),
    )
    priorities = forms.MultipleChoiceField(
        label=_("priorities"),
        choices=Priority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Empty: any priority."),
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "position",
            "is_active",
            "first_response_minutes",
            "resolution_minutes",
            "calendar",
            "use_team_calendar",
            "channels",
            "priorities",
            "customer_condition",
            "customer_tags",
            "teams",
            "min_loyalty_rank",
            "warning_minutes",
            "escalate_notify_lead",
            "escalate_raise_priority",
            "escalate_to_team",
            "escalate_to_user",
        ]
