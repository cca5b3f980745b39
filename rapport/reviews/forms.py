"""Forms of the review pages: the list's filters and the CSV upload."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.reviews.models import KnownSource, Scale, source_label, validate_source
from rapport.sentiment.scoring import Label

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
STARS = [(str(n), str(n)) for n in range(1, 6)]


class ReviewFilterForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), required=False)
    rating_min = forms.TypedChoiceField(
        label=_("Rating from"), choices=[("", "—"), *STARS], coerce=int, required=False
    )
    rating_max = forms.TypedChoiceField(
        label=_("Rating up to"), choices=[("", "—"), *STARS], coerce=int, required=False
    )
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        choices=[("", _("any")), *Label.choices, ("none", _("not scored"))],
        required=False,
    )
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, sources: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        slugs = sorted(set(sources) | set(KnownSource.values))
        self.fields["source"].choices = [("", _("all")), *((s, source_label(s)) for s in slugs)]


class ReviewImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    source = forms.CharField(
        label=_("Source"),
        max_length=40,
        validators=[validate_source],
        help_text=_("Where the reviews come from, such as trustpilot, google, shop or app-store."),
    )
    scale = forms.TypedChoiceField(
        label=_("Rating scale"),
        choices=[("", _("given in the file (“scale” column or “8/10”)")), *Scale.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    dry_run = forms.BooleanField(label=_("Only check the file, import nothing"), required=False)

    def clean_source(self) -> str:
        return self.cleaned_data["source"].strip()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(mb)d MB).")
                % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
                code="too_large",
            )
        return upload
