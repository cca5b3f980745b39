"""Self-service reports for managers and administrators (/kb/reports/)."""

from datetime import timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from rapport.accounts.models import Role
from rapport.kb import queries
from rapport.kb.models import ArticleFeedback, ArticleTranslation, EventKind

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
COMMENTS_PER_ARTICLE = 10
FIGURES = (
    (EventKind.SEARCH, _("Searches")),
    (EventKind.SEARCH_EMPTY, _("Searches with no result")),
    (EventKind.VIEW, _("Article views")),
    (EventKind.HELPFUL, _("Helpful votes")),
    (EventKind.NOT_HELPFUL, _("Not helpful votes")),
    (EventKind.SUGGESTED, _("Articles suggested while writing")),
    (EventKind.DEFLECTED, _("Requests answered by an article")),
    (EventKind.ANSWER, _("Assistant answers")),
    (EventKind.ANSWER_ACCEPTED, _("Assistant answers accepted")),
    (EventKind.HANDOVER, _("Hand-overs to an agent")),
)


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Period"),
        choices=[
            (7, _("Last 7 days")),
            (30, _("Last 30 days")),
            (90, _("Last 90 days")),
        ],
        coerce=int,
        error_messages={"invalid_choice": _("Choose a period of 7, 30 or 90 days.")},
    )


def can_view_reports(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role in (Role.ADMIN, Role.MANAGER)
    )


def _not_helpful_comments(since, until, translation_ids) -> dict[int, list[ArticleFeedback]]:
    """Return the comments of "not helpful" votes per language version, newest first."""
    comments: dict[int, list[ArticleFeedback]] = {}
    rows = (
        ArticleFeedback.objects.filter(
            translation_id__in=translation_ids,
            helpful=False,
            created_at__gte=since,
            created_at__lt=until,
        )
        .exclude(comment="")
        .order_by("-created_at", "-id")
    )
    for row in rows:
        bucket = comments.setdefault(row.translation_id, [])
        if len(bucket) < COMMENTS_PER_ARTICLE:
            bucket.append(row)
    return comments


@login_required
@require_GET
def overview(request):
    """Show the self-service figures, the content gaps and each article's views and votes."""
    if not can_view_reports(request.user):
        raise PermissionDenied
    form = PeriodForm({"days": request.GET.get("days") or DEFAULT_PERIOD})
    status = 200
    days = DEFAULT_PERIOD
    if form.is_valid():
        days = form.cleaned_data["days"]
    else:
        status = 400
    until = timezone.now()
    since = until - timedelta(days=days)
    counts = queries.self_service_figures(since, until)
    articles = queries.article_feedback_summary(since, until)
    ids = [row["translation_id"] for row in articles]
    slugs = dict(ArticleTranslation.objects.filter(pk__in=ids).values_list("pk", "article__slug"))
    comments = _not_helpful_comments(since, until, ids)
    for row in articles:
        row["slug"] = slugs.get(row["translation_id"], "")
        row["comments"] = comments.get(row["translation_id"], [])
        votes = row["helpful"] + row["not_helpful"]
        row["helpful_share"] = round(100 * row["helpful"] / votes) if votes else None
    searches = counts[EventKind.SEARCH]
    return render(
        request,
        "kb/reports/overview.html",
        {
            "nav": "kb_reports",
            "form": form,
            "days": days,
            "since": since,
            "until": until,
            "figures": [
                {"kind": kind, "label": label, "value": counts[kind]} for kind, label in FIGURES
            ],
            "empty_share": (
                round(100 * counts[EventKind.SEARCH_EMPTY] / searches) if searches else None
            ),
            "gaps": queries.content_gaps(since, until),
            "articles": articles,
        },
        status=status,
    )
