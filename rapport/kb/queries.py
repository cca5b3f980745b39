"""Reading the knowledge base: for readers (public), for staff, and the self-service figures.

Readers see published public language versions only; staff also internal articles and
drafts. An article is shown in the reader's language when it has that version, else in
another language with ``fallback=True`` (the page says so).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from rapport.kb.markdown import markdown_text
from rapport.kb.models import (
    Article,
    ArticleStatus,
    ArticleTranslation,
    Category,
    CategoryName,
    EventKind,
    SelfServiceEvent,
    Visibility,
)
from rapport.kb.search import INDEX, filters_for
from rapport.search.queries import search
from rapport.search.snippets import snippet

# Audiences: what a search may show.
PUBLIC = "public"  # published public versions (help centre, portal, assistant)
STAFF = "staff"  # every version, internal articles and drafts included
# Index hits read per wanted result: several languages of one article share a slot.
OVERFETCH = 4


@dataclass
class ArticleHit:
    translation: ArticleTranslation
    score: float
    snippet: str  # HTML, query words in <mark>
    fallback: bool  # not in the language asked for


def public_translations() -> QuerySet[ArticleTranslation]:
    return ArticleTranslation.objects.filter(
        status=ArticleStatus.PUBLISHED, article__visibility=Visibility.PUBLIC
    ).select_related("article", "article__category")


def staff_translations() -> QuerySet[ArticleTranslation]:
    return ArticleTranslation.objects.select_related("article", "article__category")


def _translations(audience: str) -> QuerySet[ArticleTranslation]:
    if audience == PUBLIC:
        return public_translations()
    if audience == STAFF:
        return staff_translations()
    raise ValueError(f"unknown audience {audience!r}")


def _filters(audience: str) -> list[str]:
    if audience == PUBLIC:
        return filters_for(status=ArticleStatus.PUBLISHED, visibility=Visibility.PUBLIC)
    return []


def search_articles(
    query: str, *, language: str, audience: str = PUBLIC, limit: int = 10, match: str = "all"
) -> list[ArticleHit]:
    """Return the best articles for ``query``, one per article, in ``language`` where possible.

    Every language version is searched (a German question may match the English text);
    each article is shown in ``language`` if it has that version.
    """
    hits = search(INDEX, query, limit=limit * OVERFETCH, filters=_filters(audience), match=match)
    if not hits:
        return []
    # Which article each hit is a version of: only the small columns of up to 40 rows.
    found = dict(
        _translations(audience).filter(pk__in=[h.id for h in hits]).values_list("pk", "article_id")
    )
    best: dict[int, tuple[float, int]] = {}
    for hit in hits:
        article_id = found.get(hit.id)
        if article_id is not None and article_id not in best:
            best[article_id] = (hit.score, hit.id)
    ordered = list(best.items())[:limit]
    # The version to show: the reader's language where the audience may read it. Looked up
    # through the (article, language) index alone (a join to the articles would let SQLite
    # read every version in that language); the article's visibility is the hit's.
    shown_ids = {
        article_id: translation_id
        for article_id, translation_id, status in ArticleTranslation.objects.filter(
            article_id__in=[a for a, _hit in ordered], language=language
        ).values_list("article_id", "pk", "status")
        if audience == STAFF or status == ArticleStatus.PUBLISHED
    }
    chosen = {a: shown_ids.get(a, translation_id) for a, (_score, translation_id) in ordered}
    translations = _translations(audience).in_bulk(list(chosen.values()))
    result = []
    for article_id, (score, _translation_id) in ordered:
        shown = translations.get(chosen[article_id])
        if shown is None:  # deleted meanwhile
            continue
        result.append(
            ArticleHit(
                translation=shown,
                score=score,
                snippet=snippet(
                    shown.text or markdown_text(shown.body), query, language=shown.language
                ),
                fallback=shown.language != language,
            )
        )
    return result


def reader_version(article: Article, language: str, *, audience: str = PUBLIC):
    """Return (translation, fallback) of ``article`` for a reader of ``language``, or (None, False)."""
    return _preferred(
        {t.language: t for t in _translations(audience).filter(article=article)}, language
    )


def reader_versions(language: str, translations) -> list[tuple[ArticleTranslation, bool]]:
    """Pick, per article among ``translations``, the version a reader of ``language`` sees,
    with its fallback flag (as ``reader_version``), ordered by title."""
    by_article: dict[int, dict[str, ArticleTranslation]] = {}
    for item in translations:
        by_article.setdefault(item.article_id, {})[item.language] = item
    shown = [_preferred(versions, language) for versions in by_article.values()]
    return sorted(shown, key=lambda item: item[0].title.lower())


def _preferred(versions: dict[str, ArticleTranslation], language: str):
    if language in versions:
        return versions[language], False
    for other in ("en", "de", *sorted(versions)):
        if other in versions:
            return versions[other], True
    return None, False


def article_by_slug(slug: str, *, audience: str = PUBLIC) -> Article | None:
    qs = Article.objects.filter(slug=slug)
    if audience == PUBLIC:
        qs = qs.filter(
            visibility=Visibility.PUBLIC, translations__status=ArticleStatus.PUBLISHED
        ).distinct()
    return qs.first()


def category_names(language: str) -> dict[int, str]:
    """Return each category's name in ``language`` (else English, else its slug)."""
    names: dict[int, dict[str, str]] = {}
    for name in CategoryName.objects.all():
        names.setdefault(name.category_id, {})[name.language] = name.name
    result = {}
    for category in Category.objects.all():
        options = names.get(category.pk, {})
        result[category.pk] = options.get(language) or options.get("en") or category.slug
    return result


def related_articles(translation: ArticleTranslation, *, limit: int = 4) -> list[ArticleHit]:
    """Return other public articles like ``translation``: by its title and keywords, same
    category first."""
    query = " ".join([translation.title, *[str(k) for k in translation.keywords[:5]]])
    hits = search_articles(query, language=translation.language, limit=limit + 6, match="any")
    hits = [h for h in hits if h.translation.article_id != translation.article_id]
    same = [h for h in hits if h.translation.article.category_id == translation.article.category_id]
    other = [h for h in hits if h not in same]
    return (same + other)[:limit]


# --- Self-service figures ------------------------------------------------------------------------


def self_service_figures(since: datetime, until: datetime) -> dict[str, int]:
    """Count each kind of self-service event between ``since`` and ``until``."""
    counts = dict(
        SelfServiceEvent.objects.filter(created_at__gte=since, created_at__lt=until)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {kind: counts.get(kind, 0) for kind in EventKind.values}


def content_gaps(since: datetime, until: datetime, *, limit: int = 50) -> list[dict]:
    """Return the searches that found nothing (most frequent first): what to write next."""
    rows = (
        SelfServiceEvent.objects.filter(
            kind=EventKind.SEARCH_EMPTY, created_at__gte=since, created_at__lt=until
        )
        .exclude(query="")
        .values("query", "language")
        .annotate(n=Count("id"))
        .order_by("-n", "query")[:limit]
    )
    return list(rows)


def article_feedback_summary(since: datetime, until: datetime, *, limit: int = 50) -> list[dict]:
    """Return per language version: views, helpful and not helpful votes (most viewed first)."""
    window = Q(created_at__gte=since, created_at__lt=until)
    rows = (
        SelfServiceEvent.objects.filter(window, translation__isnull=False)
        .values("translation_id", "translation__title", "translation__language")
        .annotate(
            views=Count("id", filter=Q(kind=EventKind.VIEW)),
            helpful=Count("id", filter=Q(kind=EventKind.HELPFUL)),
            not_helpful=Count("id", filter=Q(kind=EventKind.NOT_HELPFUL)),
        )
        .order_by("-views", "translation_id")[:limit]
    )
    return list(rows)
