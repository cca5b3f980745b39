"""Forms of the staff pages for customers and organisations.

Forms only parse what the browser sends; the actions validate it (one judge for forms, API
and imports) and their ``ValidationError`` is mapped back onto the fields by ``add_errors``.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from rapport.accounts.queries import staff_users
from rapport.analytics.models import Segment
from rapport.customers import validators
from rapport.customers.models import (
    Channel,
    ConsentPurpose,
    ContactKind,
    CustomFieldDefinition,
    CustomFieldType,
    FormOfAddress,
    LifecycleStage,
    Salutation,
    SocialPlatform,
)
from rapport.customers.queries import SORTS
from rapport.timeline.models import ActivityType

CUSTOM_PREFIX = "cf_"


def ui_locale() -> str:
    return (translation.get_language() or "en").split("-")[0]


def add_errors(form: forms.Form, exc: ValidationError, aliases: dict[str, str] | None = None):
    """Put the errors of an action's ``ValidationError`` next to the fields they name.

    ``custom_fields.<key>`` goes to the field ``cf_<key>``; names the form does not have become
    errors of the whole form.
    """
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        field = aliases.get(name, name)
        if field.startswith("custom_fields."):
            field = CUSTOM_PREFIX + field.removeprefix("custom_fields.")
        form.add_error(field if field in form.fields else None, errors)


class Form(forms.Form):
    """A form whose labels carry no trailing colon (the pages lay labels out above fields)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class QuickSelect(forms.Select):
    """A ``<select>`` that writes its options in Python: the HTML of Django's templates, faster.

    Django renders every ``<option>`` through two template includes; the list's filter form
    has some 700 options (countries, languages, tags), which cost 20 ms per page.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _attrs_html(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',
                    str(option["value"]),
                    _attrs_html(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html


def _attrs_html(attrs: dict) -> SafeString:
    """Return ``attrs`` as Django's ``attrs.html`` writes them (True: bare name, False: left out)."""
    return mark_safe(  # noqa: S308 - every part is escaped by format_html
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
            for name, value in attrs.items()
            if value is not False
        )
    )


def _staff_choices(empty_label) -> list[tuple[str, str]]:
    return [("", empty_label)] + [
        (str(u.pk), u.get_full_name() or u.username) for u in staff_users()
    ]


class CustomerFilterForm(Form):
    """The search box, filters and sort order of the customer list (all optional)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, email, phone or organization"),
                "autocomplete": "off",
            }
        ),
    )
    tag = forms.ChoiceField(label=_("Tag"), required=False, widget=QuickSelect)
    country = forms.ChoiceField(label=_("Country"), required=False, widget=QuickSelect)
    language = forms.ChoiceField(label=_("Language"), required=False, widget=QuickSelect)
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"),
        required=False,
        choices=[("", _("All"))] + list(LifecycleStage.choices),
        widget=QuickSelect,
    )
    account_manager = forms.ChoiceField(
        label=_("Account manager"), required=False, widget=QuickSelect
    )
    is_vip = forms.ChoiceField(
        label=_("VIP"),
        required=False,
        choices=[("", _("All")), ("1", _("VIP only"))],
        widget=QuickSelect,
    )
    segment = forms.ChoiceField(
        label=_("Value segment"),
        required=False,
        choices=[("", _("All"))] + list(Segment.choices),
        widget=QuickSelect,
    )
    organization = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name A–Z")),
            ("-name", _("Name Z–A")),
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
        ],
        widget=QuickSelect,
    )
    cursor = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        locale = ui_locale()
        self.fields["tag"].choices = [("", _("All"))] + [(t, t) for t in tags]
        self.fields["country"].choices = [("", _("All"))] + validators.country_choices(locale)
        self.fields["language"].choices = [("", _("All"))] + validators.language_choices(locale)
        self.fields["account_manager"].choices = _staff_choices(_("All"))

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            name: data.get(name)
            for name in (
                "tag",
                "country",
                "language",
                "lifecycle_stage",
                "account_manager",
                "organization",
                "is_vip",
                "segment",
            )
        }

    def sort_order(self) -> str:
        sort = self.cleaned_data.get("sort") or "name"
        return sort if sort in SORTS else "name"


class CustomerForm(Form):
    """A customer's profile; on create also email addresses and phone numbers."""

    title = forms.CharField(
        label=_("Title"), required=False, max_length=40, help_text=_('For example "Dr." or "Prof."')
    )
    given_name = forms.CharField(label=_("Given name"), required=False, max_length=100)
    family_name = forms.CharField(label=_("Family name"), required=False, max_length=100)
    preferred_name = forms.CharField(label=_("Preferred name"), required=False, max_length=100)
    salutation = forms.ChoiceField(
        label=_("Salutation"), required=False, choices=Salutation.choices
    )
    form_of_address = forms.ChoiceField(
        label=_("Form of address"), required=False, choices=FormOfAddress.choices
    )
    emails = forms.CharField(
        label=_("Email addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line; the first is the primary address."),
    )
    phones = forms.CharField(
        label=_("Phone numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One per line; numbers without country code are read in the customer's country."
        ),
    )
    # Validated by the action, so a bad value gets the same message as in the API and imports.
    language = forms.CharField(label=_("Preferred language"), required=False, widget=QuickSelect)
    country = forms.CharField(label=_("Country"), required=False, widget=QuickSelect)
    time_zone = forms.CharField(label=_("Time zone"), required=False, widget=QuickSelect)
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"),
        required=False,
        choices=[("", _("no preference"))] + list(Channel.choices),
    )
    birthday = forms.CharField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"), required=False, choices=LifecycleStage.choices
    )
    organization = forms.CharField(
        label=_("Organization"),
        required=False,
        max_length=220,
        widget=forms.TextInput(attrs={"list": "organization-options", "autocomplete": "off"}),
        help_text=_("Start typing to pick an existing organization."),
    )
    account_manager = forms.ChoiceField(label=_("Account manager"), required=False)
    is_vip = forms.BooleanField(label=_("VIP"), required=False)
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=1000, help_text=_("Separate tags with commas.")
    )
    external_id = forms.CharField(label=_("External ID"), required=False, max_length=100)

    def __init__(self, *args, creating: bool = True, definitions=(), **kwargs):
        super().__init__(*args, **kwargs)
        locale = ui_locale()
        if not creating:
            del self.fields["emails"], self.fields["phones"]
        blank = [("", "—")]
        self.fields["language"].widget.choices = blank + validators.language_choices(locale)
        self.fields["country"].widget.choices = blank + validators.country_choices(locale)
        self.fields["time_zone"].widget.choices = blank + [
            (tz, tz) for tz in validators.time_zone_choices()
        ]
        self.fields["account_manager"].choices = _staff_choices("—")
        self.definitions = list(definitions)
        for definition in self.definitions:
            self.fields[CUSTOM_PREFIX + definition.key] = custom_field(definition, locale)

    def custom_fields(self) -> list[forms.BoundField]:
        return [self[CUSTOM_PREFIX + d.key] for d in self.definitions]

    def profile(self, *, organization, account_manager) -> dict:
        data = self.cleaned_data
        names = (
            "title",
            "given_name",
            "family_name",
            "preferred_name",
            "salutation",
            "form_of_address",
            "language",
            "country",
            "time_zone",
            "preferred_channel",
            "birthday",
            "lifecycle_stage",
            "is_vip",
            "external_id",
        )
        profile = {name: data.get(name) for name in names}
        profile["organization"] = organization
        profile["account_manager"] = account_manager
        return profile

    def tag_names(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]

    def custom_values(self) -> dict:
        return {d.key: self.cleaned_data.get(CUSTOM_PREFIX + d.key) for d in self.definitions}

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip() for line in (text or "").splitlines() if line.strip()]


def custom_field(definition: CustomFieldDefinition, locale: str) -> forms.Field:
    """Return the form field for one admin-defined custom field (the action validates its value)."""
    label = definition.label_de if locale == "de" and definition.label_de else definition.label
    kind = definition.field_type
    kwargs = {"label": label, "required": False}
    if kind == CustomFieldType.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—")] + [(c, c) for c in definition.choices], **kwargs
        )
    if kind == CustomFieldType.BOOLEAN:
        return forms.ChoiceField(
            choices=[("", "—"), ("true", _("yes")), ("false", _("no"))], **kwargs
        )
    widget = {
        CustomFieldType.NUMBER: forms.NumberInput(attrs={"step": "1"}),
        CustomFieldType.DECIMAL: forms.TextInput(attrs={"inputmode": "decimal"}),
        CustomFieldType.DATE: forms.DateInput(attrs={"type": "date"}),
    }.get(kind, forms.TextInput)
    return forms.CharField(widget=widget, max_length=1000, **kwargs)


class ContactPointForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices, widget=QuickSelect)
    platform = forms.ChoiceField(
        label=_("Platform"),
        required=False,
        choices=[("", _("(social handles only)"))] + list(SocialPlatform.choices),
        widget=QuickSelect,
    )
    value = forms.CharField(label=_("Address, number or handle"), max_length=254)
    label = forms.CharField(
        label=_("Label"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. work")}),
    )
    primary = forms.BooleanField(label=_("Make primary"), required=False)


class ConsentForm(Form):
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=ConsentPurpose.choices, widget=QuickSelect
    )
    granted = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Consent given")), ("0", _("Consent withdrawn"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    wording_version = forms.CharField(
        label=_("Wording version"),
        max_length=64,
        required=False,
        help_text=_("The version of the consent text the customer saw, e.g. 2024-05."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=255)


class NoteForm(Form):
    body = forms.CharField(
        label=_("Note"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ActivityForm(Form):
    activity_type = forms.ChoiceField(
        label=_("Type"), choices=ActivityType.choices, widget=QuickSelect
    )
    subject = forms.CharField(label=_("Subject"), required=False, max_length=255)
    body = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    occurred_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: now. In your time zone."),
    )


class MergeForm(Form):
    """One radio per conflicting field: keep the survivor's value or take the other's."""

    def __init__(self, *args, conflicts=(), **kwargs):
        super().__init__(*args, **kwargs)
        for row in conflicts:
            self.fields["take_" + row["name"]] = forms.ChoiceField(
                label=row["label"],
                choices=[("keep", row["survivor_display"]), ("take", row["merged_display"])],
                widget=forms.RadioSelect,
                initial="keep",
            )

    def take_fields(self) -> list[str]:
        return [
            name.removeprefix("take_")
            for name, value in self.cleaned_data.items()
            if name.startswith("take_") and value == "take"
        ]


class OrganizationForm(Form):
    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    external_id = forms.CharField(label=_("External ID"), required=False, max_length=100)
    domain = forms.CharField(label=_("Web domain"), required=False, max_length=200)
    vat_id = forms.CharField(label=_("VAT ID"), required=False, max_length=32)
    country = forms.CharField(label=_("Country"), required=False, widget=forms.Select)
    industry = forms.CharField(label=_("Industry"), required=False, max_length=100)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    account_manager = forms.ChoiceField(label=_("Account manager"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].widget.choices = [("", "—")] + validators.country_choices(
            ui_locale()
        )
        self.fields["account_manager"].choices = _staff_choices("—")
