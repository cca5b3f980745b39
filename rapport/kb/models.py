"""The knowledge base: articles in categories, one language version per language, with history.

An ``Article`` is the language-neutral thing (slug, category, visibility); each of its
``ArticleTranslation`` rows is one language version with its own title, keywords, Markdown
body and publication state. Every saved change of a version is kept as an
``ArticleVersion``. Customers' feedback and the self-service figures (searches, views,
deflections, assistant answers, hand-overs) are rows too, so reports count facts.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public (help centre)")
    INTERNAL = "internal", _("Internal (staff only)")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Category(models.Model):
    """A section of the help centre; its names per language are ``CategoryName`` rows."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.slug


class CategoryName(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="names")
    language = models.CharField(_("language"), max_length=16)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "language"], name="kb_category_name_lang")
        ]
        verbose_name = _("category name")
        verbose_name_plural = _("category names")

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class Article(models.Model):
    """One help article, whatever its languages: the translations share its slug."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="articles",
        null=True,
        blank=True,
        verbose_name=_("category"),
    )
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    # The conversation an agent wrote it from ("create an article from this conversation").
    source_conversation = models.ForeignKey(
        "helpdesk.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.slug


class ArticleTranslation(models.Model):
    """One language version of an article: what readers and the search index see."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=16)
    title = models.CharField(_("title"), max_length=255)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    body = models.TextField(_("text (Markdown)"), blank=True)
    # The body as plain text (no Markdown), kept with every save: search snippets and
    # passages read it instead of rendering the Markdown again.
    text = models.TextField(blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="kb_translation_lang")
        ]
        indexes = [models.Index(fields=["language", "status"], name="kb_translation_status")]
        verbose_name = _("article translation")
        verbose_name_plural = _("article translations")

    def __str__(self) -> str:
        return f"{self.article.slug} ({self.language})"

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleVersion(models.Model):
    """A saved state of a translation (its history; any version can be restored)."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=255)
    keywords = models.JSONField(default=list, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ArticleStatus.choices)
    note = models.CharField(_("change note"), max_length=255, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["translation", "number"], name="kb_version_number")
        ]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")

    def __str__(self) -> str:
        return f"{self.translation} v{self.number}"


def attachment_path(instance: "ArticleAttachment", filename: str) -> str:
    return f"kb/{instance.article_id or 'new'}/{filename}"


class ArticleAttachment(models.Model):
    """A file or image of an article (images are shown inline by their URL)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=128)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["filename", "id"]
        verbose_name = _("article attachment")
        verbose_name_plural = _("article attachments")

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ArticleFeedback(models.Model):
    """A reader's answer to "Was this helpful?", with an optional comment."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="feedback"
    )
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")

    def __str__(self) -> str:
        return f"{self.translation_id}: {'+' if self.helpful else '-'}"


class EventKind(models.TextChoices):
    SEARCH = "search", _("Search")
    SEARCH_EMPTY = "search_empty", _("Search without result")
    VIEW = "view", _("Article view")
    HELPFUL = "helpful", _("Helpful vote")
    NOT_HELPFUL = "not_helpful", _("Not helpful vote")
    SUGGESTED = "suggested", _("Articles suggested while writing")
    DEFLECTED = "deflected", _("Request answered by an article")
    ANSWER = "answer", _("Assistant answer")
    ANSWER_ACCEPTED = "answer_accepted", _("Assistant answer accepted")
    HANDOVER = "handover", _("Hand-over to an agent")


class Source(models.TextChoices):
    HELP_CENTRE = "help_centre", _("Help centre")
    PORTAL = "portal", _("Portal")
    CONTACT_FORM = "contact_form", _("Contact form")
    CHAT = "chat", _("Chat widget")
    AGENT = "agent", _("Agent")
    API = "api", _("API")


class SelfServiceEvent(models.Model):
    """One self-service fact, counted by the reports (see ``rapport.kb.queries``)."""

    kind = models.CharField(max_length=24, choices=EventKind.choices)
    source = models.CharField(max_length=24, choices=Source.choices)
    language = models.CharField(max_length=16, blank=True)
    query = models.CharField(max_length=500, blank=True)
    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["kind", "created_at"], name="kb_event_kind_time")]
        verbose_name = _("self-service event")
        verbose_name_plural = _("self-service events")

    def __str__(self) -> str:
        return f"{self.kind} ({self.source})"
