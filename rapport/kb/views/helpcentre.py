"""The public help centre (/help/) and the article suggestions of the contact forms.

Readers see published public language versions only, in the language of the URL where an
article has it and else in another language (marked). Searches, views, votes, suggestions
and deflections are counted as self-service events.
"""

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.http import require_GET, require_POST

from rapport.assistant import engine
from rapport.kb import actions, queries
from rapport.kb.markdown import render_markdown
from rapport.kb.models import Article, ArticleTranslation, Category, EventKind, Source
from rapport.portal.queries import portal_customer

#: Control characters (NUL and friends) are dropped from queries before anything reads them.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_QUERY = 200  # characters of a search query that are searched
MAX_SUGGESTION_TEXT = 1000  # characters of a form's text that suggestions read
SEARCH_LIMIT = 20
SUGGESTION_LIMIT = 3
# What the visitor must have typed before articles are suggested.
SUGGEST_MIN_WORDS = 3
SUGGEST_MIN_CHARS = 15
SUGGESTION_SOURCES = {
    Source.PORTAL: "portal:new_request",
    Source.CONTACT_FORM: "portal:contact",
}
# Session keys: the articles voted on, the suggestions last counted, the last deflection.
VOTES_KEY = "kb_help_votes"
SUGGESTED_KEY = "kb_help_suggested"
DEFLECTED_KEY = "kb_help_deflected"
MAX_REMEMBERED_VOTES = 500
FALLBACK_LANGUAGE = "en"


class FeedbackForm(forms.Form):
    helpful = forms.ChoiceField(
        label=gettext_lazy("Was this article helpful?"),
        choices=[("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))],
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_comment(self) -> str:
        return CONTROL.sub("", self.cleaned_data["comment"]).strip()


def clean_query(value: str, *, limit: int = MAX_QUERY) -> str:
    """Return ``value`` without control characters, spaces collapsed, at most ``limit`` long."""
    return " ".join(CONTROL.sub(" ", value or "").split())[:limit]


# --- Languages ---------------------------------------------------------------------------------


def _article_languages() -> set[str]:
    """Return the languages that have published public articles."""
    return set(
        queries.public_translations().order_by().values_list("language", flat=True).distinct()
    )


def _help_languages() -> set[str]:
    return _article_languages() | set(dict(settings.LANGUAGES))


def _language_name(code: str) -> str:
    try:
        return translation.get_language_info(code)["name_translated"]
    except KeyError:
        return code


def _local_name(code: str) -> str:
    try:
        return translation.get_language_info(code)["name_local"]
    except KeyError:
        return code


def _open(request, language: str) -> str:
    """Check the URL's ``language`` (404 when the help centre has no such language), show the
    page in it, and note the portal customer visiting (the portal layout shows their links)."""
    request.help_languages = _help_languages()
    if language not in request.help_languages:
        raise Http404(_("The help centre is not available in this language."))
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language
    request.customer = portal_customer(request.user)
    return language


def _switch_links(request, language: str, url_for) -> list[dict]:
    """Return the links to the same page in each language of the help centre."""
    return [
        {"code": code, "name": _local_name(code), "url": url_for(code), "current": code == language}
        for code in sorted(request.help_languages)
    ]


def _visitor_language(request) -> str:
    """Return the visitor's language: the portal customer's, else the browser's among the
    languages that have articles, else English."""
    available = _article_languages()
    customer = portal_customer(request.user)
    if customer is not None:
        for code in (customer.language, request.user.language):
            code = (code or "").lower().replace("_", "-")
            for candidate in (code, code.split("-")[0]):
                if candidate in available:
                    return candidate
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        code = code.lower()
        for candidate in (code, code.split("-")[0]):
            if candidate in available:
                return candidate
    return FALLBACK_LANGUAGE


# --- Reading -----------------------------------------------------------------------------------


def _valid_slug(slug: str) -> bool:
    return len(slug) <= 100 and actions.SLUG.match(slug) is not None


def _public_version(slug: str, language: str) -> tuple[ArticleTranslation, bool]:
    """Return the published public version of article ``slug`` for ``language``, or 404."""
    article = queries.article_by_slug(slug, audience=queries.PUBLIC) if _valid_slug(slug) else None
    if article is None:
        raise Http404(_("There is no such article."))
    shown, fallback = queries.reader_version(article, language, audience=queries.PUBLIC)
    if shown is None:
        raise Http404(_("There is no such article."))
    return shown, fallback


def _page(request, template: str, context: dict, *, status: int = 200):
    return render(request, template, {"nav": "help", **context}, status=status)


# --- Pages -------------------------------------------------------------------------------------


@require_GET
def start(request):
    """Send the visitor to the help centre in their language."""
    return redirect("help:home", language=_visitor_language(request))


@require_GET
def home(request, language: str):
    language = _open(request, language)
    public_articles = queries.public_translations().values("article_id")
    counts = dict(
        Article.objects.filter(pk__in=public_articles)
        .order_by()
        .values_list("category_id")
        .annotate(n=Count("id"))
        .values_list("category_id", "n")
    )
    names = queries.category_names(language)
    categories = [
        {
            "category": category,
            "name": names.get(category.pk, category.slug),
            "count": counts[category.pk],
        }
        for category in Category.objects.filter(pk__in=[pk for pk in counts if pk is not None])
    ]
    uncategorised = []
    if counts.get(None):
        uncategorised = queries.reader_versions(
            language,
            queries.public_translations().filter(article__category__isnull=True).defer("body"),
        )
    return _page(
        request,
        "kb/help/home.html",
        {
            "language": language,
            "categories": categories,
            "uncategorised": uncategorised,
            "switch_links": _switch_links(
                request, language, lambda code: reverse("help:home", args=[code])
            ),
        },
    )


@require_GET
def category(request, language: str, slug: str):
    language = _open(request, language)
    found = Category.objects.filter(slug=slug).first() if _valid_slug(slug) else None
    if found is None:
        raise Http404(_("There is no such category."))
    shown = queries.reader_versions(
        language, queries.public_translations().filter(article__category=found).defer("body")
    )
    return _page(
        request,
        "kb/help/category.html",
        {
            "language": language,
            "category": found,
            "name": queries.category_names(language).get(found.pk, found.slug),
            "articles": shown,
            "switch_links": _switch_links(
                request, language, lambda code: reverse("help:category", args=[code, found.slug])
            ),
        },
    )


@require_GET
def search(request, language: str):
    language = _open(request, language)
    raw = request.GET.get("q", "")
    query = clean_query(raw)
    customer = request.customer
    hits = []
    if query:
        hits = queries.search_articles(query, language=language, limit=SEARCH_LIMIT)
        actions.record_event(
            kind=EventKind.SEARCH,
            source=Source.HELP_CENTRE,
            language=language,
            query=query,
            customer=customer,
            data={"results": len(hits)},
        )
        if not hits:
            actions.record_event(
                kind=EventKind.SEARCH_EMPTY,
                source=Source.HELP_CENTRE,
                language=language,
                query=query,
                customer=customer,
            )
    return _page(
        request,
        "kb/help/search.html",
        {
            "language": language,
            "query": query,
            "shortened": len(" ".join(raw.split())) > MAX_QUERY,
            "hits": hits,
            "switch_links": _switch_links(
                request,
                language,
                lambda code: (
                    reverse("help:search", args=[code])
                    + ("?" + request.GET.urlencode() if query else "")
                ),
            ),
        },
    )


@require_GET
def article(request, language: str, slug: str):
    language = _open(request, language)
    shown, fallback = _public_version(slug, language)
    actions.record_event(
        kind=EventKind.VIEW,
        source=Source.HELP_CENTRE,
        language=shown.language,
        translation=shown,
        customer=request.customer,
    )
    return _page(
        request, "kb/help/article.html", _article_context(request, language, shown, fallback)
    )


def _article_context(request, language, shown, fallback, form=None) -> dict:
    slug = shown.article.slug
    return {
        "language": language,
        "translation": shown,
        "fallback": fallback,
        "shown_language": _language_name(shown.language),
        "wanted_language": _language_name(language),
        "html": render_markdown(shown.body),
        "category_name": (
            queries.category_names(language).get(shown.article.category_id)
            if shown.article.category_id
            else ""
        ),
        "related": queries.related_articles(shown),
        "voted": shown.article_id in request.session.get(VOTES_KEY, []),
        "form": form or FeedbackForm(),
        "switch_links": _switch_links(
            request, language, lambda code: reverse("help:article", args=[code, slug])
        ),
    }


@require_POST
def feedback(request, language: str, slug: str):
    """Count a reader's "Was this helpful?" answer, once per article and browser session."""
    language = _open(request, language)
    shown, fallback = _public_version(slug, language)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        context = _article_context(request, language, shown, fallback, form=form)
        template = "kb/help/_feedback.html" if request.htmx else "kb/help/article.html"
        return _page(request, template, context, status=400)
    votes = list(request.session.get(VOTES_KEY, []))
    already = shown.article_id in votes
    if not already:
        actions.record_feedback(
            translation=shown,
            helpful=form.cleaned_data["helpful"] == "yes",
            comment=form.cleaned_data["comment"],
            customer=request.customer,
        )
        votes.append(shown.article_id)
        request.session[VOTES_KEY] = votes[-MAX_REMEMBERED_VOTES:]
    if request.htmx:
        return render(request, "kb/help/_feedback_done.html", {"already": already})
    if already:
        messages.info(request, _("You have already answered this question for this article."))
    else:
        messages.success(request, _("Thank you for your feedback."))
    return redirect(reverse("help:article", args=[language, shown.article.slug]) + "#feedback")


# --- Deflection: articles suggested while a customer writes to us --------------------------------


def _long_enough(text: str) -> bool:
    return len(text) >= SUGGEST_MIN_CHARS or len(text.split()) >= SUGGEST_MIN_WORDS


def _suggest(subject: str, text: str, language: str) -> list[tuple[ArticleTranslation, bool]]:
    """Return the articles (reader's versions) that may answer what the visitor is writing."""
    result = engine.answer(text, language=language)
    slugs = []
    if result.reason not in (engine.Reason.EMPTY, engine.Reason.LOW_CONFIDENCE):
        slugs = [c.slug for c in result.articles]
    if not slugs and subject:
        hits = queries.search_articles(subject, language=language, limit=SUGGESTION_LIMIT)
        slugs = [h.translation.article.slug for h in hits]
    slugs = slugs[:SUGGESTION_LIMIT]
    if not slugs:
        return []
    versions = queries.public_translations().filter(article__slug__in=slugs).defer("body")
    order = {slug: n for n, slug in enumerate(slugs)}
    shown = queries.reader_versions(language, versions)
    return sorted(shown, key=lambda item: order[item[0].article.slug])


def _source(value: str) -> str | None:
    return value if value in SUGGESTION_SOURCES else None


@require_GET
def suggestions(request):
    """Return the articles to suggest for a form being written (an HTML fragment)."""
    source = _source(request.GET.get("source", ""))
    if source is None:
        return HttpResponseBadRequest(_("Unknown form."))
    subject = clean_query(request.GET.get("subject", ""))
    text = clean_query(f"{subject} {request.GET.get('text', '')}", limit=MAX_SUGGESTION_TEXT)
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    shown = _suggest(subject, text, language) if _long_enough(text) else []
    if shown:
        slugs = [t.article.slug for t, _fallback in shown]
        remembered = dict(request.session.get(SUGGESTED_KEY, {}))
        if remembered.get(source) != slugs:
            actions.record_event(
                kind=EventKind.SUGGESTED,
                source=source,
                language=language,
                query=text,
                translation=shown[0][0],
                customer=portal_customer(request.user),
                data={"articles": slugs},
            )
            remembered[source] = slugs
            request.session[SUGGESTED_KEY] = remembered
    return render(
        request,
        "kb/help/_suggestions.html",
        {"suggestions": shown, "query": text, "source": source, "language": language},
    )


@require_POST
def deflected(request):
    """Count "This answered my question" for a suggested article: no request is sent."""
    source = _source(request.POST.get("source", ""))
    if source is None:
        return HttpResponseBadRequest(_("Unknown form."))
    raw_id = request.POST.get("translation", "")
    valid_id = raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18
    shown = queries.public_translations().filter(pk=int(raw_id)).first() if valid_id else None
    if shown is None:
        raise Http404(_("There is no such article."))
    query = clean_query(request.POST.get("q", ""), limit=MAX_SUGGESTION_TEXT)
    key = [source, shown.pk, query]
    if request.session.get(DEFLECTED_KEY) != key:
        actions.record_event(
            kind=EventKind.DEFLECTED,
            source=source,
            language=(translation.get_language() or "").split("-")[0],
            query=query,
            translation=shown,
            customer=portal_customer(request.user),
        )
        request.session[DEFLECTED_KEY] = key
    context = {
        "translation": shown,
        "form_url": reverse(SUGGESTION_SOURCES[source]),
        "help_url": reverse("help:start"),
    }
    if request.htmx:
        return render(request, "kb/help/_deflected.html", context)
    request.customer = portal_customer(request.user)
    return render(request, "kb/help/deflected.html", context)
