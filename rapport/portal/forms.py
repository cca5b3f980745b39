from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

#: The consent wording stored with each contact form submission (its English msgid is the version).
CONSENT_TEXT = _(
    "I agree that my details are stored and used to answer my request. "
    "I can ask for them to be deleted at any time."
)


class UploadField(forms.FileField):
    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        limit = settings.PORTAL_MAX_UPLOAD_BYTES
        if upload and upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (at most %(size)s).") % {"size": filesizeformat(limit)},
                code="too_large",
            )
        return upload


class MagicLinkForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)


class PasswordLoginForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=200)


class RequestForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    text = forms.CharField(
        label=_("Your message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000
    )
    attachment = UploadField(label=_("Attachment (optional)"), required=False)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000
    )
    attachment = UploadField(label=_("Attachment (optional)"), required=False)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Email address"), max_length=254)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    text = forms.CharField(
        label=_("Your message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000
    )
    consent = forms.BooleanField(label=CONSENT_TEXT, required=True)
    # The honeypot: hidden from people, filled in by bots that fill in every field.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Please write a message."), code="required")
        return text
