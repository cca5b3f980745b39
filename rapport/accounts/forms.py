from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from rapport.customers.validators import time_zone_choices


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “web shop”.")
    )


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Interface language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Follow the browser"))] + list(settings.LANGUAGES)
        self.fields["time_zone"].choices = [
            ("", _("Default (%(tz)s)") % {"tz": settings.TIME_ZONE})
        ] + [(tz, tz) for tz in time_zone_choices()]
