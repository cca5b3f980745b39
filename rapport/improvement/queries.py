"""Reads of the improvement cycle: who may see and change initiatives, and the drivers.

The drivers answer "what should we fix first?": which tags and topics the conversations
behind low answers carry more often than answered conversations in general (the lift), and
which negative phrases recur in low-score comments, detractor comments and negative reviews.
Every read is scoped by the reader through the KPI engine's ``Scope``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from rapport.accounts.models import Role, Team
from rapport.customers.models import Tag
from rapport.feedback.models import LOW_SCORES, SurveyKind, SurveyResponse
from rapport.helpdesk.models import Channel, Conversation
from rapport.improvement.models import Initiative
from rapport.kb.models import Article, CategoryName
from rapport.metrics.periods import Period
from rapport.metrics.queries import Scope
from rapport.reviews.models import Review
from rapport.reviews.queries import visible_reviews
from rapport.sentiment.scoring import Label, analyze

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)
# The survey kinds whose low answers drive the tables: CSAT (score <= 2) and NPS (0-6).
DRIVER_KINDS = (SurveyKind.CSAT, SurveyKind.NPS)
# A review is negative at this normalised rating (1-5) or below, or when its words are.
NEGATIVE_RATING = 2
TOP = 20

# The topics besides tags, in the order the page shows them.
TOPICS = {
    "channel": gettext_lazy("Channel"),
    "team": gettext_lazy("Team"),
    "category": gettext_lazy("Help-centre category"),
}


class DriverError(ValueError):
    """A link to the records behind a driver names a kind or value that does not exist."""


# --- Initiatives ----------------------------------------------------------------------------


def can_view_initiatives(user) -> bool:
    """Return whether ``user`` may read initiatives and drivers: every active staff member."""
    return bool(getattr(user, "is_staff_member", False))


def can_manage_initiatives(user) -> bool:
    """Return whether ``user`` may create, edit and close initiatives: managers and admins."""
    return can_view_initiatives(user) and user.role in MANAGER_ROLES


def visible_initiatives(user) -> QuerySet[Initiative]:
    """Return the initiatives ``user`` may read, newest start first, owners joined."""
    if not can_view_initiatives(user):
        return Initiative.objects.none()
    return Initiative.objects.select_related("owner")


def get_initiative(user, initiative_id) -> Initiative:
    """Return one initiative ``user`` may read, else raise ``Initiative.DoesNotExist``."""
    try:
        initiative_id = int(initiative_id)
    except (TypeError, ValueError):
        raise Initiative.DoesNotExist from None
    return visible_initiatives(user).get(pk=initiative_id)


# --- Drivers: tags and topics ---------------------------------------------------------------


@dataclass
class DriverRow:
    """One tag or topic value: how often it appears behind low answers and in general."""

    value: Any
    label: str
    low: int
    low_share: float | None
    answered: int
    answered_share: float | None
    lift: float | None

    @property
    def low_percent(self) -> float | None:
        return None if self.low_share is None else 100.0 * self.low_share

    @property
    def answered_percent(self) -> float | None:
        return None if self.answered_share is None else 100.0 * self.answered_share

    @property
    def key(self) -> str:
        """Return the value as a link carries it ("none" for no value)."""
        return "none" if self.value in (None, "") else str(self.value)


@dataclass
class PhraseRow:
    """One negative phrase and the records it was found in, by source."""

    key: str
    text: str
    responses: set[int] = field(default_factory=set)
    csat: int = 0
    nps: int = 0
    reviews: set[int] = field(default_factory=set)

    @property
    def count(self) -> int:
        return len(self.responses) + len(self.reviews)


@dataclass
class Drivers:
    period: Period
    low_conversations: int
    answered_conversations: int
    low_answers: int
    tags: list[DriverRow]
    topics: dict[str, list[DriverRow]]
    phrases: list[PhraseRow]
    texts: dict[str, int]


def low_answer_condition() -> Q:
    """Return the condition of a low CSAT answer or an NPS detractor."""
    return Q(kind=SurveyKind.CSAT, score__lte=LOW_SCORES[SurveyKind.CSAT]) | Q(
        kind=SurveyKind.NPS, score__lte=LOW_SCORES[SurveyKind.NPS]
    )


def _answers(scope: Scope, period: Period) -> QuerySet[SurveyResponse]:
    return scope.responses.filter(
        kind__in=DRIVER_KINDS, answered_at__gte=period.start, answered_at__lt=period.end
    )


def low_answers(user, period: Period) -> QuerySet[SurveyResponse]:
    """Return the low CSAT answers and NPS detractors of ``period`` that ``user`` may see."""
    return _answers(Scope.of(user), period).filter(low_answer_condition())


def drivers(user, period: Period, *, top: int = TOP) -> Drivers:
    """Return the tags, topics and phrases behind the low answers of ``period``, top first."""
    scope = Scope.of(user)
    answers = _answers(scope, period)
    low = answers.filter(low_answer_condition())
    low_conversations = scope.conversations.filter(pk__in=low.values("conversation"))
    answered_conversations = scope.conversations.filter(pk__in=answers.values("conversation"))
    totals = (low_conversations.count(), answered_conversations.count())
    tags = _rows(_count_tags(low_conversations), _count_tags(answered_conversations), totals)
    topics = {
        name: _rows(count(low_conversations), count(answered_conversations), totals)
        for name, count in (
            ("channel", lambda qs: _count_field(qs, "channel")),
            ("team", lambda qs: _count_field(qs, "team")),
            ("category", _count_categories),
        )
    }
    _label(tags, dict(Tag.objects.filter(pk__in=[r.value for r in tags]).values_list("pk", "name")))
    _label(topics["channel"], {value: str(label) for value, label in Channel.choices})
    teams = [r.value for r in topics["team"] if r.value is not None]
    _label(topics["team"], dict(Team.objects.filter(pk__in=teams).values_list("pk", "name")))
    _label(topics["category"], category_names([r.value for r in topics["category"]]))
    phrases, texts = _phrases(scope, user, period)
    return Drivers(
        period=period,
        low_conversations=totals[0],
        answered_conversations=totals[1],
        low_answers=low.count(),
        tags=tags[:top],
        topics={name: rows[:top] for name, rows in topics.items()},
        phrases=phrases[:top],
        texts=texts,
    )


def _count_tags(conversations: QuerySet[Conversation]) -> dict[Any, int]:
    through = Conversation.tags.through
    rows = (
        through.objects.filter(conversation__in=conversations.values("pk"))
        .values("tag")
        .annotate(n=Count("conversation", distinct=True))
        .order_by()
    )
    return {row["tag"]: row["n"] for row in rows}


def _count_field(conversations: QuerySet[Conversation], name: str) -> dict[Any, int]:
    rows = conversations.values(name).annotate(n=Count("pk")).order_by()
    return {row[name] or None: row["n"] for row in rows}


def _count_categories(conversations: QuerySet[Conversation]) -> dict[Any, int]:
    """Count conversations by the help-centre category of the articles written from them."""
    rows = (
        Article.objects.filter(source_conversation__in=conversations.values("pk"))
        .values("category")
        .annotate(n=Count("source_conversation", distinct=True))
        .order_by()
    )
    return {row["category"]: row["n"] for row in rows}


def category_names(ids: Iterable[Any]) -> dict[Any, str]:
    """Return each category's name in the reader's language (else English, else its slug)."""
    language = (get_language() or "en").split("-")[0]
    names: dict[Any, str] = {}
    rows = CategoryName.objects.filter(category__in=[i for i in ids if i is not None])
    for row in rows.select_related("category").order_by("category", "language"):
        if row.language == language or (row.language == "en" and row.category_id not in names):
            names[row.category_id] = row.name
        names.setdefault(row.category_id, row.category.slug)
    return names


def _rows(
    low: dict[Any, int], answered: dict[Any, int], totals: tuple[int, int]
) -> list[DriverRow]:
    """Return one row per value behind low answers, most frequent first, then highest lift."""
    low_total, answered_total = totals
    rows = []
    for value, n in low.items():
        base = answered.get(value, 0)
        low_share = n / low_total if low_total else None
        answered_share = base / answered_total if answered_total else None
        lift = low_share / answered_share if low_share is not None and answered_share else None
        rows.append(DriverRow(value, "", n, low_share, base, answered_share, lift))
    rows.sort(key=lambda row: (-row.low, -(row.lift or 0), str(row.value)))
    return rows


def _label(rows: list[DriverRow], labels: dict[Any, str]) -> None:
    for row in rows:
        if row.value is None:
            row.label = _("none")
        else:
            row.label = labels.get(row.value, str(row.value))


# --- Drivers: phrases -----------------------------------------------------------------------


def phrase_key(text: str) -> str:
    """Return the form a phrase is counted under: case and spacing folded."""
    return " ".join(str(text).casefold().split())


def _negative(phrases: Any) -> list[str]:
    """Return the texts of the negative phrases stored as [text, weight] or {"text", "weight"}."""
    found = []
    for phrase in phrases if isinstance(phrases, list) else []:
        if isinstance(phrase, dict):
            text, weight = phrase.get("text"), phrase.get("weight")
        elif isinstance(phrase, (list, tuple)) and len(phrase) == 2:
            text, weight = phrase
        else:
            continue
        if (
            isinstance(text, str)
            and text.strip()
            and isinstance(weight, (int, float))
            and weight < 0
        ):
            found.append(text.strip())
    return found


def _phrases(scope: Scope, user, period: Period) -> tuple[list[PhraseRow], dict[str, int]]:
    """Return the negative phrases of low comments and negative reviews, and texts read."""
    found: dict[str, PhraseRow] = {}
    texts = {"csat": 0, "nps": 0, "reviews": 0}

    def add(text: str, *, response: SurveyResponse | None = None, review: int | None = None):
        key = phrase_key(text)
        if not key:
            return
        row = found.setdefault(key, PhraseRow(key, text))
        if response is not None and response.pk not in row.responses:
            row.responses.add(response.pk)
            if response.kind == SurveyKind.CSAT:
                row.csat += 1
            else:
                row.nps += 1
        if review is not None:
            row.reviews.add(review)

    comments = (
        _answers(scope, period)
        .filter(low_answer_condition())
        .exclude(comment="")
        .only("pk", "kind", "comment", "comment_sentiment", "language")
    )
    for response in comments.iterator(chunk_size=500):
        texts[response.kind] += 1
        stored = response.comment_sentiment if isinstance(response.comment_sentiment, dict) else {}
        if "phrases" in stored:
            phrases = _negative(stored["phrases"])
        else:
            # Answers from before comments were scored: judge them now, the same way.
            result = analyze(response.comment, language=response.language)
            phrases = [p.text for p in result.phrases if p.weight < 0]
        for text in dict.fromkeys(phrases):
            add(text, response=response)

    for review, phrases in _negative_reviews(user, period):
        texts["reviews"] += 1
        for text in dict.fromkeys(phrases):
            add(text, review=review.pk)

    rows = sorted(found.values(), key=lambda row: (-row.count, row.key))
    return rows, texts


def _negative_reviews(user, period: Period):
    """Yield each negative review of ``period`` with its negative phrases.

    A review is negative by its rating or by its words; reviews never scored (sentiment
    empty) are judged now, so old imports count too.
    """
    reviews = (
        visible_reviews(user)
        .filter(reviewed_at__gte=period.start, reviewed_at__lt=period.end)
        .filter(
            Q(rating__lte=NEGATIVE_RATING)
            | Q(sentiment=Label.NEGATIVE)
            | (Q(sentiment="") & ~Q(text=""))
        )
        .only("pk", "rating", "title", "text", "language", "sentiment", "sentiment_phrases")
    )
    for review in reviews.iterator(chunk_size=500):
        by_rating = review.rating is not None and review.rating <= NEGATIVE_RATING
        if review.sentiment:
            negative = by_rating or review.sentiment == Label.NEGATIVE
            phrases = _negative(review.sentiment_phrases)
        else:
            text = "\n".join(part for part in (review.title, review.text) if part)
            result = analyze(text, language=review.language)
            negative = by_rating or result.label == Label.NEGATIVE
            phrases = [p.text for p in result.phrases if p.weight < 0]
        if negative:
            yield review, phrases


# --- The records behind one driver ----------------------------------------------------------


@dataclass
class DriverRecords:
    kind: str
    label: str
    answers: QuerySet[SurveyResponse]
    reviews: QuerySet[Review]


def driver_records(user, period: Period, kind: str, value: str) -> DriverRecords:
    """Return the low answers (and, for a phrase, the reviews) behind one driver.

    Raise ``DriverError`` for an unknown kind or a value of the wrong shape.
    """
    scope = Scope.of(user)
    low = (
        _answers(scope, period)
        .filter(low_answer_condition())
        .select_related("customer", "conversation")
        .order_by("-answered_at", "-pk")
    )
    reviews = Review.objects.none()
    if kind == "phrase":
        key = phrase_key(value)
        if not key:
            raise DriverError(_("Name the phrase to show."))
        rows, _texts = _phrases(scope, user, period)
        row = next((row for row in rows if row.key == key), None)
        responses = row.responses if row else set()
        review_ids = row.reviews if row else set()
        answers = low.filter(pk__in=responses)
        reviews = (
            visible_reviews(user)
            .filter(pk__in=review_ids)
            .select_related("customer")
            .order_by("-reviewed_at", "-pk")
        )
        return DriverRecords(kind, row.text if row else value, answers, reviews)
    conversations = scope.conversations
    if kind == "tag":
        tag = _id(value)
        conversations = conversations.filter(tags=tag)
        label = Tag.objects.filter(pk=tag).values_list("name", flat=True).first() or value
    elif kind == "channel":
        if value == "none":
            conversations = conversations.filter(channel="")
            label = _("none")
        elif value in Channel.values:
            conversations = conversations.filter(channel=value)
            label = str(Channel(value).label)
        else:
            raise DriverError(_("“%(value)s” is not a known channel.") % {"value": value})
    elif kind == "team":
        if value == "none":
            conversations, label = conversations.filter(team__isnull=True), _("none")
        else:
            team = _id(value)
            conversations = conversations.filter(team=team)
            label = Team.objects.filter(pk=team).values_list("name", flat=True).first() or value
    elif kind == "category":
        if value == "none":
            articles, label = Article.objects.filter(category__isnull=True), _("none")
        else:
            category = _id(value)
            articles = Article.objects.filter(category=category)
            label = category_names([category]).get(category, value)
        conversations = conversations.filter(
            pk__in=articles.exclude(source_conversation=None).values("source_conversation")
        )
    else:
        raise DriverError(_("“%(value)s” is not a kind of driver.") % {"value": kind})
    return DriverRecords(
        kind, label, low.filter(conversation__in=conversations.values("pk")), reviews
    )


def _id(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DriverError(_("“%(value)s” is not a valid id.") % {"value": value}) from None
