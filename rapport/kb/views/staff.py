"""The knowledge base for staff: list, article pages, the editor, history, attachments; and
the agents' tools on the conversation page (search and insert, draft from a conversation).

Who may do what: every staff member reads (marketers too); administrators, managers and
agents write drafts; only administrators and managers publish, unpublish, change what is
published and delete. Customers and anonymous visitors never reach these pages.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts.access import require_staff
from rapport.accounts.models import Role
from rapport.kb import actions, queries
from rapport.kb.forms import (
    AddTranslationForm,
    ArticleFilterForm,
    ArticleSettingsForm,
    AttachmentForm,
    NewArticleForm,
    PreviewForm,
    TranslationForm,
)
from rapport.kb.markdown import markdown_text, render_markdown
from rapport.kb.models import (
    Article,
    ArticleAttachment,
    ArticleStatus,
    ArticleTranslation,
    Visibility,
)

EDITOR_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})
PUBLISHER_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
PAGE_SIZE = 50
SEARCH_LIMIT = 100
AGENT_RESULTS = 6
MAX_QUERY = 200


# --- Permissions --------------------------------------------------------------------------------


def can_edit(user) -> bool:
    """Whether ``user`` may write drafts (administrators, managers, agents)."""
    return bool(getattr(user, "is_staff_member", False) and user.role in EDITOR_ROLES)


def can_publish(user) -> bool:
    """Whether ``user`` may publish, unpublish, change published articles and delete."""
    return bool(getattr(user, "is_staff_member", False) and user.role in PUBLISHER_ROLES)


def can_edit_translation(user, translation: ArticleTranslation | None) -> bool:
    """Agents edit drafts and new language versions; published ones are for publishers."""
    if can_publish(user):
        return True
    return can_edit(user) and (translation is None or not translation.is_published)


def can_change_article(user, article: Article) -> bool:
    """Category and visibility: publishers, or agents while nothing of it is published."""
    if can_publish(user):
        return True
    return (
        can_edit(user) and not article.translations.filter(status=ArticleStatus.PUBLISHED).exists()
    )


def kb_reader_required(view):
    """Send anonymous visitors to the login page; refuse everyone who is not staff (403)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require_staff(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def kb_editor_required(view):
    """Like ``kb_reader_required``, and refuse staff who may not write (marketers)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_edit(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- Loading ------------------------------------------------------------------------------------


def _article(slug: str) -> Article:
    article = queries.article_by_slug(slug, audience=queries.STAFF)
    if article is None:
        raise Http404
    return article


def _language(value: str) -> str:
    try:
        return actions.clean_language(value)
    except ValidationError:
        raise Http404 from None


def _translation(article: Article, language: str) -> ArticleTranslation | None:
    return queries.staff_translations().filter(article=article, language=language).first()


def _error_text(exc: Exception) -> str:
    if isinstance(exc, actions.KnowledgeBaseError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _ui_language(request) -> str:
    return (getattr(request, "LANGUAGE_CODE", "") or get_language() or "en").split("-")[0]


def public_article_url(language: str, slug: str) -> str:
    """Return the absolute help-centre address of an article's language version."""
    try:
        path = reverse("help:article", kwargs={"language": language, "slug": slug})
    except NoReverseMatch:  # the help centre's URLs are not there yet
        path = f"/help/{language}/{slug}/"
    return settings.SITE_URL.rstrip("/") + path


def attachment_url(attachment: ArticleAttachment) -> str:
    return reverse(
        "kb:attachment", kwargs={"attachment_id": attachment.pk, "filename": attachment.filename}
    )


def attachment_markdown(attachment: ArticleAttachment) -> str:
    """Return the Markdown that shows an image (or links a file) in an article."""
    url = attachment_url(attachment)
    label = attachment.filename.replace("[", "").replace("]", "")
    return f"![{label}]({url})" if attachment.is_image else f"[{label}]({url})"


# --- The list -----------------------------------------------------------------------------------


@require_GET
@kb_reader_required
def article_list(request):
    ui_language = _ui_language(request)
    names = queries.category_names(ui_language)
    languages = (
        ArticleTranslation.objects.order_by("language")
        .values_list("language", flat=True)
        .distinct()
    )
    form = ArticleFilterForm(request.GET or None, languages=languages, category_labels=names)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    articles = Article.objects.select_related("category").prefetch_related(
        Prefetch(
            "translations",
            queryset=ArticleTranslation.objects.order_by("language").only(
                "id", "article_id", "language", "title", "status", "version", "updated_at"
            ),
        )
    )
    if filters.get("category"):
        articles = articles.filter(category=filters["category"])
    if filters.get("visibility"):
        articles = articles.filter(visibility=filters["visibility"])
    wanted = {}
    if filters.get("language"):
        wanted["language"] = filters["language"]
    if filters.get("status"):
        wanted["status"] = filters["status"]
    if wanted:
        articles = articles.filter(
            pk__in=ArticleTranslation.objects.filter(**wanted).values("article_id")
        )
    query = filters.get("q", "")
    snippets: dict[int, str] = {}
    next_after = ""
    if query:
        hits = queries.search_articles(
            query[:MAX_QUERY], language=ui_language, audience=queries.STAFF, limit=SEARCH_LIMIT
        )
        order = [h.translation.article_id for h in hits]
        snippets = {h.translation.article_id: h.snippet for h in hits}
        found = articles.in_bulk(order)
        rows = [found[pk] for pk in order if pk in found]
    else:
        after = (request.GET.get("after") or "")[:100]
        if not actions.SLUG.match(after):
            after = ""
        page = list(articles.filter(slug__gt=after).order_by("slug")[: PAGE_SIZE + 1])
        rows = page[:PAGE_SIZE]
        if len(page) > PAGE_SIZE:
            params = request.GET.copy()
            params["after"] = rows[-1].slug
            next_after = params.urlencode()
    shown = []
    for article in rows:
        versions = list(article.translations.all())
        title_version = next((t for t in versions if t.language == ui_language), None) or (
            versions[0] if versions else None
        )
        shown.append(
            {
                "article": article,
                "versions": versions,
                "title": title_version.title if title_version else article.slug,
                "category": names.get(article.category_id, "") if article.category_id else "",
                "snippet": snippets.get(article.pk, ""),
            }
        )
    return render(
        request,
        "kb/staff/list.html",
        {
            "form": form,
            "rows": shown,
            "query": query,
            "next_query": next_after,
            "can_edit": can_edit(request.user),
            "nav": "kb",
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


# --- One article --------------------------------------------------------------------------------


@require_GET
@kb_reader_required
def article_detail(request, slug: str):
    article = _article(slug)
    ui_language = _ui_language(request)
    names = queries.category_names(ui_language)
    versions = list(queries.staff_translations().filter(article=article).order_by("language"))
    user = request.user
    existing = [t.language for t in versions]
    return render(
        request,
        "kb/staff/detail.html",
        {
            "article": article,
            "category_name": names.get(article.category_id, "") if article.category_id else "",
            "versions": [
                {
                    "translation": t,
                    "html": render_markdown(t.body),
                    "can_edit": can_edit_translation(user, t),
                    "public_url": public_article_url(t.language, article.slug),
                }
                for t in versions
            ],
            "attachments": [
                {"attachment": a, "url": attachment_url(a), "markdown": attachment_markdown(a)}
                for a in article.attachments.all()
            ],
            "settings_form": ArticleSettingsForm(
                initial={"category": article.category_id, "visibility": article.visibility},
                category_labels=names,
            ),
            "translate_form": AddTranslationForm(
                existing=existing, initial={"source": existing[0] if existing else ""}
            ),
            "attachment_form": AttachmentForm(),
            "can_edit": can_edit(user),
            "can_publish": can_publish(user),
            "can_change": can_change_article(user, article),
            "is_public": article.visibility == Visibility.PUBLIC,
            "nav": "kb",
        },
    )


def _editor(request, *, article, language, translation, form, source=None, status=200):
    return render(
        request,
        "kb/staff/edit.html",
        {
            "article": article,
            "language": language,
            "translation": translation,
            "source": source,
            "source_html": render_markdown(source.body) if source else "",
            "form": form,
            "attachments": [
                {"attachment": a, "markdown": attachment_markdown(a)}
                for a in (article.attachments.all() if article else [])
            ],
            "can_publish": can_publish(request.user),
            "nav": "kb",
        },
        status=status,
    )


def _publish_choice(request, translation: ArticleTranslation | None) -> bool | None:
    """Return the ``publish`` argument for the button pressed (refusing what is not allowed)."""
    choice = request.POST.get("save", "save")
    if choice == "publish":
        if not can_publish(request.user):
            raise PermissionDenied
        return True
    if choice == "draft":
        return False
    return None


@require_http_methods(["GET", "POST"])
@kb_editor_required
def article_create(request):
    names = queries.category_names(_ui_language(request))
    form = NewArticleForm(
        request.POST or None,
        category_labels=names,
        initial={"language": _ui_language(request)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = actions.save_translation(
                actor=request.user,
                slug=data["slug"],
                language=data["language"],
                title=data["title"],
                body=data["body"],
                keywords=data["keywords"],
                category=data["category"],
                visibility=data["visibility"],
                publish=_publish_choice(request, None),
                note=data["note"],
            )
        except (ValidationError, actions.KnowledgeBaseError) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("The article was saved."))
            return redirect("kb:article", slug=saved.translation.article.slug)
    return _editor(
        request,
        article=None,
        language="",
        translation=None,
        form=form,
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@kb_editor_required
def translation_edit(request, slug: str, language: str):
    """Edit a language version; when the article has none in ``language``, write it
    (``?from=de`` pre-fills it from the German version for the translator)."""
    article = _article(slug)
    language = _language(language)
    translation = _translation(article, language)
    if not can_edit_translation(request.user, translation):
        raise PermissionDenied
    source = None
    if translation is None:
        source_language = request.GET.get("from") or request.POST.get("from") or ""
        if source_language:
            source = _translation(article, _language(source_language))
            if source is None:
                raise Http404
    if request.method == "POST":
        form = TranslationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = actions.save_translation(
                    actor=request.user,
                    slug=article.slug,
                    language=language,
                    title=data["title"],
                    body=data["body"],
                    keywords=data["keywords"],
                    publish=_publish_choice(request, translation),
                    note=data["note"],
                )
            except (ValidationError, actions.KnowledgeBaseError) as exc:
                form.add_error(None, _error_text(exc))
            else:
                if saved.changed:
                    messages.success(request, _("The article was saved."))
                else:
                    messages.info(request, _("Nothing changed: no new version was saved."))
                return redirect("kb:article", slug=article.slug)
        return _editor(
            request,
            article=article,
            language=language,
            translation=translation,
            form=form,
            source=source,
            status=400,
        )
    shown = translation or source
    initial = {}
    if shown is not None:
        initial = {
            "title": shown.title,
            "keywords": ", ".join(str(k) for k in shown.keywords),
            "body": shown.body,
        }
    return _editor(
        request,
        article=article,
        language=language,
        translation=translation,
        form=TranslationForm(initial=initial),
        source=source,
    )


@require_POST
@kb_editor_required
def translation_publish(request, slug: str, language: str):
    if not can_publish(request.user):
        raise PermissionDenied
    article = _article(slug)
    translation = _translation(article, _language(language))
    if translation is None:
        raise Http404
    publish = request.POST.get("publish") == "1"
    actions.set_status(translation=translation, actor=request.user, publish=publish)
    if publish:
        messages.success(
            request, _("The %(language)s version is published.") % {"language": language}
        )
    else:
        messages.success(
            request, _("The %(language)s version is a draft again.") % {"language": language}
        )
    return redirect("kb:article", slug=article.slug)


@require_GET
@kb_reader_required
def translation_history(request, slug: str, language: str):
    article = _article(slug)
    translation = _translation(article, _language(language))
    if translation is None:
        raise Http404
    versions = list(translation.versions.select_related("author"))
    return render(
        request,
        "kb/staff/history.html",
        {
            "article": article,
            "translation": translation,
            "versions": versions,
            "can_restore": can_edit_translation(request.user, translation),
            "nav": "kb",
        },
    )


@require_POST
@kb_editor_required
def version_restore(request, slug: str, language: str, number: int):
    article = _article(slug)
    translation = _translation(article, _language(language))
    if translation is None:
        raise Http404
    if not can_edit_translation(request.user, translation):
        raise PermissionDenied
    version = translation.versions.filter(number=number).first()
    if version is None:
        raise Http404
    actions.restore_version(version=version, actor=request.user)
    messages.success(request, _("Version %(n)d was restored as the current text.") % {"n": number})
    return redirect("kb:history", slug=article.slug, language=translation.language)


@require_POST
@kb_editor_required
def article_settings(request, slug: str):
    article = _article(slug)
    if not can_change_article(request.user, article):
        raise PermissionDenied
    form = ArticleSettingsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("kb:article", slug=article.slug)
    actions.update_article(
        article=article,
        actor=request.user,
        category=form.cleaned_data["category"],
        visibility=form.cleaned_data["visibility"],
    )
    messages.success(request, _("The article's settings were saved."))
    return redirect("kb:article", slug=article.slug)


@require_GET
@kb_editor_required
def add_translation(request, slug: str):
    """Go to the editor of a new language version, pre-filled from the chosen one."""
    article = _article(slug)
    existing = list(article.translations.values_list("language", flat=True))
    form = AddTranslationForm(request.GET, existing=existing)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("kb:article", slug=article.slug)
    url = reverse(
        "kb:edit", kwargs={"slug": article.slug, "language": form.cleaned_data["language"]}
    )
    return redirect(f"{url}?from={form.cleaned_data['source']}")


@require_POST
@kb_editor_required
def article_delete(request, slug: str):
    if not can_publish(request.user):
        raise PermissionDenied
    article = _article(slug)
    actions.delete_article(article=article, actor=request.user)
    messages.success(request, _("The article %(slug)s was deleted.") % {"slug": slug})
    return redirect("kb:list")


# --- Attachments --------------------------------------------------------------------------------


@require_POST
@kb_editor_required
def attachment_upload(request, slug: str):
    article = _article(slug)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    else:
        try:
            attachment = actions.add_attachment(
                article=article, actor=request.user, upload=form.cleaned_data["file"]
            )
        except actions.KnowledgeBaseError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(name)s was attached. Insert it with: %(markdown)s")
                % {"name": attachment.filename, "markdown": attachment_markdown(attachment)},
            )
    back = request.POST.get("next") or ""
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("kb:article", slug=article.slug)


@require_GET
def attachment_file(request, attachment_id: int, filename: str):
    """Serve an attachment: to staff always; to everyone when its article is published and
    public (images in help-centre articles)."""
    attachment = (
        ArticleAttachment.objects.select_related("article").filter(pk=attachment_id).first()
    )
    if attachment is None or attachment.filename != filename:
        raise Http404
    if not getattr(request.user, "is_staff_member", False):
        if queries.article_by_slug(attachment.article.slug, audience=queries.PUBLIC) is None:
            raise Http404
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.filename,
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- The editor's live preview ------------------------------------------------------------------


@require_POST
@kb_editor_required
def preview(request):
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(
            _("The text is too long (at most %(n)d characters).") % {"n": actions.MAX_BODY}
        )
    return HttpResponse(render_markdown(form.cleaned_data["body"]))


# --- Agents' tools on the conversation page -----------------------------------------------------


def _helpdesk_conversation(request, conversation_id):
    from rapport.helpdesk.models import Conversation
    from rapport.helpdesk.queries import get_conversation
    from rapport.helpdesk.views.access import can_use_helpdesk

    if not can_use_helpdesk(request.user):
        raise PermissionDenied
    try:
        return get_conversation(request.user, conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None


@require_GET
@login_required
def agent_search(request):
    """Return the articles matching ``q`` for the composer's knowledge-base panel (HTML),
    in the conversation's language where they have it."""
    conversation = None
    if request.GET.get("conversation"):
        conversation = _helpdesk_conversation(request, request.GET["conversation"])
    elif not can_edit(request.user):
        raise PermissionDenied
    query = " ".join((request.GET.get("q") or "").split())[:MAX_QUERY]
    language = (conversation.language if conversation else "") or _ui_language(request)
    hits = []
    if query:
        hits = queries.search_articles(
            query, language=language, audience=queries.STAFF, limit=AGENT_RESULTS
        )
    results = []
    for hit in hits:
        translation = hit.translation
        article = translation.article
        shareable = translation.is_published and article.visibility == Visibility.PUBLIC
        results.append(
            {
                "hit": hit,
                "link": public_article_url(translation.language, article.slug) if shareable else "",
                "text": markdown_text(translation.body),
                "internal": article.visibility == Visibility.INTERNAL,
            }
        )
    return render(request, "kb/staff/_agent_results.html", {"results": results, "query": query})


@require_POST
@login_required
def draft_from_conversation(request, conversation_id: int):
    """Start a draft article from the conversation and open it in the editor."""
    conversation = _helpdesk_conversation(request, conversation_id)
    try:
        saved = actions.draft_from_conversation(
            conversation=conversation, actor=request.user, language=conversation.language
        )
    except (ValidationError, actions.KnowledgeBaseError) as exc:
        messages.error(request, _error_text(exc))
        return redirect("helpdesk:conversation", conversation_id=conversation.pk)
    messages.success(
        request, _("A draft article was started from %(number)s.") % {"number": conversation.number}
    )
    translation = saved.translation
    return redirect("kb:edit", slug=translation.article.slug, language=translation.language)
