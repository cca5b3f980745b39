"""Article translations in the search index ("articles").

A document per language version: title; keywords and the category's name (keywords);
the text without Markdown (body). Filters: ``status<draft|published>``,
``visibility<public|internal>`` and ``lang<code>``, so the help centre asks only for
published public articles in a language. The knowledge-base actions call
``index_translations`` after every change; ``rapport search rebuild articles`` indexes all.
"""

from collections.abc import Iterable, Iterator

from django.db.models.signals import post_delete
from django.dispatch import receiver

from rapport.kb.markdown import markdown_text
from rapport.kb.models import ArticleTranslation, CategoryName
from rapport.search.actions import index_objects, remove_objects
from rapport.search.indexes import Document

INDEX = "articles"
ID_CHUNK = 5000


def filters_for(*, status: str = "", visibility: str = "", language: str = "") -> list[str]:
    """Return the filter keys a search passes to require these values."""
    keys = []
    if status:
        keys.append(f"status{status}")
    if visibility:
        keys.append(f"visibility{visibility}")
    if language:
        keys.append(f"lang{language}")
    return keys


def article_documents(ids: list[int]) -> list[Document]:
    translations = list(
        ArticleTranslation.objects.filter(pk__in=ids).select_related("article", "article__category")
    )
    names = {
        (n.category_id, n.language): n.name
        for n in CategoryName.objects.filter(
            category_id__in={t.article.category_id for t in translations if t.article.category_id}
        )
    }
    documents = []
    for t in translations:
        category = names.get((t.article.category_id, t.language), "")
        keywords = [str(k) for k in (t.keywords or []) if k]
        documents.append(
            Document(
                id=t.pk,
                language=t.language,
                title=t.title,
                keywords=" ".join([*keywords, category]),
                body=t.text or markdown_text(t.body),
                filters=tuple(
                    filters_for(
                        status=t.status, visibility=t.article.visibility, language=t.language
                    )
                ),
            )
        )
    return documents


def all_article_ids() -> Iterator[int]:
    last = 0
    while True:
        chunk = list(
            ArticleTranslation.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:ID_CHUNK]
        )
        if not chunk:
            return
        yield from chunk
        last = chunk[-1]


def index_translations(ids: Iterable[int]) -> None:
    """Index article translations ``ids`` as they are now (call after changing them)."""
    index_objects(INDEX, ids)


@receiver(post_delete, sender=ArticleTranslation, dispatch_uid="kb-search-forget")
def _forget_deleted(sender, instance, **kwargs):
    remove_objects(INDEX, [instance.pk])
