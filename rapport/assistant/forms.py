"""Forms of the assistant's portal page (the widget's JSON API is read by its views)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.assistant.actions import MAX_QUESTION_CHARS, clean_question


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"),
        max_length=MAX_QUESTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please write your question.")},
    )

    def clean_question(self) -> str:
        try:
            return clean_question(self.cleaned_data["question"])
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["question"]) from None


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
    )


class HandoverForm(forms.Form):
    """What a person needs to answer: for visitors who are not signed in, an email address."""

    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    message = forms.CharField(
        label=_("Anything to add? (optional)"),
        max_length=MAX_QUESTION_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, email_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if email_required:
            self.fields["email"].required = True
            self.fields["email"].error_messages["required"] = _(
                "Please enter your email address so we can answer you."
            )
