"""Forms of the agent inbox, the conversation page and the reply templates.

Forms only parse what the browser sends; the helpdesk actions validate and change.
"""

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import Role, Team, User
from rapport.helpdesk.models import (
    CallDirection,
    CallOutcome,
    Channel,
    Priority,
    ReplyTemplate,
    ReplyTemplateVariant,
    Status,
)
from rapport.helpdesk.queries import INBOX_VIEWS, NUMBER_QUERY

# Channels an agent can answer on from the composer.
REPLY_CHANNELS = (Channel.EMAIL, Channel.CHAT, Channel.PORTAL, Channel.SOCIAL)
# Longest stretch of time on the page that counts as handling time for one reply or note.
MAX_PAGE_SECONDS = 3600
ASSIGNABLE_ROLES = (Role.ADMIN, Role.MANAGER, Role.AGENT)


def blank(label):
    return [("", label)]


class Form(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def assignable_users():
    return User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES).order_by(
        "first_name", "last_name", "username"
    )


def user_choices(users) -> list[tuple[str, str]]:
    return [(str(u.pk), u.get_full_name() or u.username) for u in users]


class InboxFilterForm(Form):
    view = forms.ChoiceField(choices=[(v, v) for v in INBOX_VIEWS], required=False)
    team = forms.IntegerField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    cursor = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)

    def __init__(self, *args, users=(), tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = blank(_("Any")) + list(Status.choices)
        self.fields["priority"].choices = blank(_("Any")) + list(Priority.choices)
        self.fields["channel"].choices = blank(_("Any")) + list(Channel.choices)
        self.fields["assignee"].choices = (
            blank(_("Anyone")) + [("none", _("Nobody"))] + user_choices(users)
        )
        self.fields["tag"].choices = blank(_("Any")) + [(t, t) for t in tags]

    def filters(self) -> dict:
        data = self.cleaned_data
        return {k: data[k] for k in ("status", "priority", "assignee", "channel", "tag") if data[k]}


class ReplyForm(Form):
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 6}))
    channel = forms.ChoiceField(label=_("Send via"))
    status = forms.ChoiceField(label=_("Then set status"), required=False)
    template = forms.IntegerField(required=False, widget=forms.HiddenInput)
    loaded_at = forms.IntegerField(required=False, widget=forms.HiddenInput)
    last_outbound = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c.value, c.label) for c in REPLY_CHANNELS]
        self.fields["status"].choices = blank(_("unchanged")) + [
            (s.value, s.label) for s in (Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED)
        ]


class NoteForm(Form):
    body = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only staff can see notes. Mention colleagues with @username."),
    )
    loaded_at = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CallForm(Form):
    direction = forms.ChoiceField(label=_("Direction"), choices=CallDirection.choices)
    minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=0, max_value=24 * 60)
    seconds = forms.IntegerField(
        label=_("and seconds"), min_value=0, max_value=59, required=False, initial=0
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def duration_seconds(self) -> int:
        return self.cleaned_data["minutes"] * 60 + (self.cleaned_data.get("seconds") or 0)


class ConversationUpdateForm(Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Separated by commas.")
    )

    def __init__(self, *args, users=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = blank(_("Nobody")) + user_choices(users)
        self.fields["team"].choices = blank(_("No team")) + [(str(t.pk), t.name) for t in teams]

    def tag_names(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]


class NumberField(forms.CharField):
    """A conversation number as agents quote it: "RAP-123", "#123" or "123"."""

    def clean(self, value):
        value = super().clean(value)
        match = NUMBER_QUERY.match(value or "")
        if not match:
            raise forms.ValidationError(_("Enter a conversation number such as RAP-123."))
        return int(match.group(1))


class TargetForm(Form):
    target = NumberField(label=_("Conversation number"), max_length=40)


class SplitForm(Form):
    message = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


BULK_ACTIONS = (
    ("assign_me", _("Assign to me")),
    ("assign", _("Assign to")),
    ("status", _("Set status")),
    ("priority", _("Set priority")),
    ("tag", _("Add tag")),
    ("merge", _("Merge into one")),
)


class BulkForm(Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=())
    action = forms.ChoiceField(label=_("Action"), choices=BULK_ACTIONS)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=64)
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw[:200]]
        self.fields["assignee"].choices = blank(_("Assignee…")) + user_choices(users)
        self.fields["status"].choices = blank(_("Status…")) + list(Status.choices)
        self.fields["priority"].choices = blank(_("Priority…")) + list(Priority.choices)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        needed = {"assign": "assignee", "status": "status", "priority": "priority", "tag": "tag"}
        field = needed.get(action or "")
        if field and not data.get(field):
            self.add_error(field, _("Choose a value for this action."))
        if action == "merge" and len(data.get("ids") or []) < 2:
            self.add_error("ids", _("Choose at least two conversations to merge."))
        return data


class ReplyTemplateForm(forms.ModelForm):
    shared = forms.BooleanField(
        label=_("Shared with everyone"),
        required=False,
        help_text=_("Only managers and administrators can share templates."),
    )

    class Meta:
        model = ReplyTemplate
        fields = ["name", "set_status", "set_priority", "add_tags"]

    def __init__(self, *args, can_share=False, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.can_share = can_share
        if self.instance.pk:
            self.fields["shared"].initial = self.instance.is_shared
        if not can_share:
            self.fields["shared"].disabled = True


VariantFormSet = inlineformset_factory(
    ReplyTemplate,
    ReplyTemplateVariant,
    fields=["language", "formality", "body"],
    extra=1,
    min_num=1,
    validate_min=True,
    max_num=12,
    can_delete=True,
    widgets={"body": forms.Textarea(attrs={"rows": 6})},
)


def team_choices():
    return list(Team.objects.order_by("name"))
