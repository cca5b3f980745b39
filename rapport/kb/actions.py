"""Every change to the knowledge base, and the self-service facts the reports count.

Each change of an article translation is saved as a new ``ArticleVersion`` and re-indexed
in the same transaction, so search never shows text that is not stored.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from rapport.kb.markdown import markdown_text
from rapport.kb.models import (
    Article,
    ArticleAttachment,
    ArticleFeedback,
    ArticleStatus,
    ArticleTranslation,
    ArticleVersion,
    Category,
    CategoryName,
    EventKind,
    SelfServiceEvent,
    Source,
    Visibility,
)
from rapport.kb.search import index_translations

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Paths of the help centre that an article slug must not shadow (/help/<language>/<slug>/).
RESERVED_SLUGS = frozenset({"search", "category", "suggestions", "deflected", "feedback"})
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
MAX_BODY = 200_000
MAX_KEYWORDS = 50
ATTACHMENT_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
)


class KnowledgeBaseError(Exception):
    """A change the knowledge base refuses, with a stable code and a message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- Validation --------------------------------------------------------------------------------


def clean_language(value: str) -> str:
    """Return ``value`` as a language code ("de", "en", "pt-br"), or raise ``ValidationError``."""
    code = (value or "").strip().lower().replace("_", "-")
    if not LANGUAGE.match(code) or code.split("-")[0] not in LANG_INFO:
        raise ValidationError(
            {"language": [_("Unknown language code: %(code)s.") % {"code": value or "-"}]},
            code="invalid_language",
        )
    return code


def clean_slug(value: str) -> str:
    slug = (value or "").strip().lower()
    if slug in RESERVED_SLUGS:
        message = _("“%(slug)s” is reserved by the help centre; choose another slug.")
        raise ValidationError(
            {"slug": [ValidationError(message % {"slug": slug}, code="reserved_slug")]}
        )
    if not SLUG.match(slug) or len(slug) > 100:
        raise ValidationError(
            {
                "slug": [
                    _(
                        "Use lower-case letters, digits and hyphens (at most 100), e.g. how-to-return."
                    )
                ]
            },
            code="invalid_slug",
        )
    return slug


def clean_keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValidationError({"keywords": [_("Give keywords as a list.")]}, code="invalid")
    result: list[str] = []
    for item in value:
        word = " ".join(str(item).split())[:100]
        if word and word not in result:
            result.append(word)
    return result[:MAX_KEYWORDS]


def _clean_text(title: str, body: str) -> tuple[str, str]:
    title = " ".join((title or "").split())[:255]
    errors: dict[str, list] = {}
    if not title:
        errors["title"] = [_("An article needs a title.")]
    body = (body or "").replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        errors["body"] = [_("The text is too long (at most %(n)d characters).") % {"n": MAX_BODY}]
    if "\x00" in body:
        errors["body"] = [_("The text contains binary data.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    return title, body


# --- Categories ----------------------------------------------------------------------------------


def ensure_category(
    *, slug: str, names: dict[str, str] | None = None, position: int = 0
) -> Category:
    """Return the category ``slug``, created if needed, with ``names`` per language set."""
    slug = clean_slug(slug)
    with transaction.atomic():
        category, _created = Category.objects.get_or_create(
            slug=slug, defaults={"position": position}
        )
        for language, name in (names or {}).items():
            CategoryName.objects.update_or_create(
                category=category,
                language=clean_language(language),
                defaults={"name": " ".join(name.split())[:200]},
            )
    return category


# --- Articles and their language versions --------------------------------------------------------


@dataclass
class Saved:
    translation: ArticleTranslation
    created: bool  # a new language version (or a new article)
    changed: bool  # a new version was saved


def save_translation(
    *,
    actor,
    slug: str,
    language: str,
    title: str,
    body: str,
    keywords: Any = (),
    category: Category | None = None,
    visibility: str | None = None,
    publish: bool | None = None,
    note: str = "",
    source_conversation=None,
) -> Saved:
    """Create or update the ``language`` version of article ``slug`` (creating the article).

    ``publish``: True publishes, False makes it a draft, None keeps its state (new: draft).
    An unchanged text saves no new version. Raises ``ValidationError`` on bad input.
    """
    slug = clean_slug(slug)
    language = clean_language(language)
    title, body = _clean_text(title, body)
    keywords = clean_keywords(keywords)
    if visibility is not None and visibility not in Visibility.values:
        raise ValidationError({"visibility": [_("Choose public or internal.")]}, code="invalid")
    now = timezone.now()
    with transaction.atomic():
        article, article_created = Article.objects.select_for_update().get_or_create(
            slug=slug,
            defaults={
                "category": category,
                "visibility": visibility or Visibility.PUBLIC,
                "source_conversation": source_conversation,
            },
        )
        article_fields = []
        if not article_created:
            if category is not None and article.category_id != category.pk:
                article.category = category
                article_fields.append("category")
            if visibility is not None and article.visibility != visibility:
                article.visibility = visibility
                article_fields.append("visibility")
            if article_fields:
                article.save(update_fields=[*article_fields, "updated_at"])
        translation = ArticleTranslation.objects.filter(article=article, language=language).first()
        created = translation is None
        if created:
            translation = ArticleTranslation(
                article=article, language=language, version=0, created_at=now
            )
        status = translation.status if not created else ArticleStatus.DRAFT
        if publish is True:
            status = ArticleStatus.PUBLISHED
        elif publish is False:
            status = ArticleStatus.DRAFT
        changed = created or (
            (translation.title, translation.keywords, translation.body, translation.status)
            != (title, keywords, body, status)
        )
        if changed:
            if status == ArticleStatus.PUBLISHED and translation.status != status:
                translation.published_at = now
            translation.title, translation.keywords, translation.body = title, keywords, body
            translation.text = markdown_text(body)
            translation.status = status
            translation.version += 1
            translation.updated_at = now
            translation.updated_by = actor
            translation.save()
            ArticleVersion.objects.create(
                translation=translation,
                number=translation.version,
                title=title,
                keywords=keywords,
                body=body,
                status=status,
                note=note[:255],
                author=actor,
                created_at=now,
            )
        ids = [translation.pk]
        if article_fields:
            ids = list(article.translations.values_list("pk", flat=True))
        if changed or article_fields:
            index_translations(ids)
    return Saved(translation=translation, created=created, changed=changed)


def set_status(*, translation: ArticleTranslation, actor, publish: bool) -> ArticleTranslation:
    """Publish a language version, or take it back to draft (a new version either way)."""
    return save_translation(
        actor=actor,
        slug=translation.article.slug,
        language=translation.language,
        title=translation.title,
        body=translation.body,
        keywords=translation.keywords,
        publish=publish,
        note=_("Published") if publish else _("Unpublished"),
    ).translation


def restore_version(*, version: ArticleVersion, actor) -> ArticleTranslation:
    """Make an earlier version the current text (saved as a new version; state unchanged)."""
    translation = version.translation
    return save_translation(
        actor=actor,
        slug=translation.article.slug,
        language=translation.language,
        title=version.title,
        body=version.body,
        keywords=version.keywords,
        note=_("Restored version %(n)d") % {"n": version.number},
    ).translation


def update_article(
    *, article: Article, actor, category: Category | None = None, visibility: str | None = None
) -> Article:
    """Change an article's category or visibility (for all its languages)."""
    if visibility is not None and visibility not in Visibility.values:
        raise ValidationError({"visibility": [_("Choose public or internal.")]}, code="invalid")
    with transaction.atomic():
        fields = []
        if category is not None and article.category_id != category.pk:
            article.category = category
            fields.append("category")
        if visibility is not None and visibility != article.visibility:
            article.visibility = visibility
            fields.append("visibility")
        if fields:
            article.save(update_fields=[*fields, "updated_at"])
            index_translations(article.translations.values_list("pk", flat=True))
    return article


def delete_article(*, article: Article, actor) -> None:
    """Delete an article with every language version, version and attachment."""
    with transaction.atomic():
        ids = list(article.translations.values_list("pk", flat=True))
        files = [a.file for a in article.attachments.all()]
        article.delete()
        index_translations(ids)  # removes them from the index
        transaction.on_commit(lambda: [f.delete(save=False) for f in files])


def add_attachment(*, article: Article, actor, upload) -> ArticleAttachment:
    """Attach an uploaded image or file to ``article`` (type and size checked)."""
    content_type = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if content_type not in ATTACHMENT_TYPES:
        raise KnowledgeBaseError(
            "attachment_type",
            _("This kind of file cannot be attached (images, PDF and text files can)."),
        )
    if upload.size > settings.HELPDESK_MAX_ATTACHMENT_BYTES:
        raise KnowledgeBaseError("attachment_size", _("The file is too large."))
    name = re.sub(r"[^\w.-]+", "-", (upload.name or "file").rsplit("/", 1)[-1]).strip("-.")
    attachment = ArticleAttachment(
        article=article,
        filename=(name or "file")[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
    )
    attachment.file.save(attachment.filename, upload, save=False)
    attachment.save()
    return attachment


def draft_from_conversation(*, conversation, actor, language: str = "") -> Saved:
    """Start a draft article from a conversation: its subject, question and last answer."""
    from rapport.helpdesk.models import Direction

    messages = list(
        conversation.messages.exclude(direction=Direction.NOTE).order_by("created_at", "id")
    )
    question = next((m.shown_text for m in messages if m.direction == Direction.INBOUND), "")
    answer = next(
        (m.shown_text for m in reversed(messages) if m.direction == Direction.OUTBOUND), ""
    )
    language = language or conversation.language or settings.LANGUAGE_CODE
    base = slugify(conversation.subject)[:80].strip("-") or "article"
    slug = base
    n = 2
    while Article.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    body = _("## Question\n\n%(question)s\n\n## Answer\n\n%(answer)s\n") % {
        "question": question.strip(),
        "answer": answer.strip(),
    }
    title = conversation.subject.strip() or " ".join(question.split()[:10]) or _("New article")
    return save_translation(
        actor=actor,
        slug=slug,
        language=language,
        title=title,
        body=body,
        publish=False,
        note=_("Drafted from %(number)s") % {"number": conversation.number},
        source_conversation=conversation,
    )


# --- Readers' feedback and the self-service facts -------------------------------------------------


def record_event(
    *,
    kind: str,
    source: str,
    language: str = "",
    query: str = "",
    translation: ArticleTranslation | None = None,
    customer=None,
    data: dict[str, Any] | None = None,
) -> SelfServiceEvent:
    if kind not in EventKind.values or source not in Source.values:
        raise ValueError(f"unknown self-service event {kind!r} from {source!r}")
    return SelfServiceEvent.objects.create(
        kind=kind,
        source=source,
        language=(language or "")[:16],
        query=" ".join((query or "").split())[:500],
        translation=translation,
        customer=customer,
        data=data or {},
    )


def record_feedback(
    *,
    translation: ArticleTranslation,
    helpful: bool,
    comment: str = "",
    customer=None,
    source: str = Source.HELP_CENTRE,
) -> ArticleFeedback:
    """Record a reader's "Was this helpful?" answer (and count it)."""
    comment = (comment or "").strip()[:2000]
    with transaction.atomic():
        feedback = ArticleFeedback.objects.create(
            translation=translation, helpful=bool(helpful), comment=comment, customer=customer
        )
        record_event(
            kind=EventKind.HELPFUL if helpful else EventKind.NOT_HELPFUL,
            source=source,
            language=translation.language,
            translation=translation,
            customer=customer,
        )
    return feedback
