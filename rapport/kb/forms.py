"""Forms of the knowledge base's staff pages: filters, the editor, settings, attachments."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from rapport.kb import actions
from rapport.kb.models import ArticleStatus, Category, Visibility

MAX_QUERY = 200


def language_choices(extra=()) -> list[tuple[str, str]]:
    """Return the interface languages plus ``extra`` codes (languages articles already have)."""
    choices = [(code, str(name)) for code, name in settings.LANGUAGES]
    known = {code for code, _name in choices}
    for code in sorted(set(extra) - known):
        choices.append((code, code))
    return choices


class ArticleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=MAX_QUERY)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("All categories"),
    )
    language = forms.ChoiceField(label=_("Language"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ArticleStatus.choices],
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        required=False,
        choices=[("", _("Any visibility")), *Visibility.choices],
    )

    def __init__(self, *args, languages=(), category_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("All languages")), *language_choices(languages)]
        if category_labels:
            self.fields["category"].label_from_instance = lambda c: category_labels.get(
                c.pk, c.slug
            )

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())


class TranslationForm(forms.Form):
    """One language version: title, keywords, Markdown text, and a note for the history."""

    title = forms.CharField(label=_("Title"), max_length=255)
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=5000,
        help_text=_("Separated by commas; words customers use that the text may not contain."),
    )
    body = forms.CharField(
        label=_("Text (Markdown)"),
        required=False,
        max_length=actions.MAX_BODY,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "true", "data-kb-body": ""}),
    )
    note = forms.CharField(
        label=_("Change note"),
        required=False,
        max_length=255,
        help_text=_("Optional: what changed, shown in the version history."),
    )

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError(_("An article needs a title."))
        return title

    def clean_keywords(self) -> list[str]:
        try:
            return actions.clean_keywords(self.cleaned_data["keywords"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if "\x00" in body:
            raise ValidationError(_("The text contains binary data."))
        return body


class NewArticleForm(TranslationForm):
    """A new article: its slug, category, visibility and first language version."""

    slug = forms.CharField(
        label=_("Slug"),
        max_length=100,
        help_text=_("The article's address, e.g. how-to-return; the same in every language."),
    )
    language = forms.ChoiceField(label=_("Language"))
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=Visibility.choices, initial=Visibility.PUBLIC
    )
    field_order = ["slug", "language", "category", "visibility", "title", "keywords", "body"]

    def __init__(self, *args, category_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices()
        if category_labels:
            self.fields["category"].label_from_instance = lambda c: category_labels.get(
                c.pk, c.slug
            )

    def clean_slug(self) -> str:
        try:
            slug = actions.clean_slug(self.cleaned_data["slug"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        from rapport.kb.models import Article

        if Article.objects.filter(slug=slug).exists():
            raise ValidationError(_("An article with this slug exists already."))
        return slug


class ArticleSettingsForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False
    )
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)

    def __init__(self, *args, category_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        if category_labels:
            self.fields["category"].label_from_instance = lambda c: category_labels.get(
                c.pk, c.slug
            )


class AddTranslationForm(forms.Form):
    """Choose a new language and the version a translator starts from."""

    language = forms.CharField(label=_("New language"), max_length=16)
    source = forms.ChoiceField(label=_("Translate from"))

    def __init__(self, *args, existing=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.existing = set(existing)
        self.fields["source"].choices = [(code, code) for code in sorted(self.existing)]

    def clean_language(self) -> str:
        try:
            code = actions.clean_language(self.cleaned_data["language"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        if code in self.existing:
            raise ValidationError(_("This article has that language already."))
        return code


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Image or file"))


class PreviewForm(forms.Form):
    body = forms.CharField(required=False, max_length=actions.MAX_BODY, strip=False)
