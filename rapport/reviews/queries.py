"""Reads of reviews that pages and the API share; every read is scoped by who asks."""

from decimal import Decimal

from django.db.models import QuerySet

from rapport.accounts.models import Role
from rapport.reviews.models import Review

#: Who may add reviews by upload or API: they speak for the company's reputation data.
IMPORT_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def can_see_reviews(user) -> bool:
    """Return whether ``user`` may read reviews: every active staff member."""
    return bool(getattr(user, "is_staff_member", False))


def can_import_reviews(user) -> bool:
    """Return whether ``user`` may upload and post reviews: administrators and managers."""
    return can_see_reviews(user) and user.role in IMPORT_ROLES


def visible_reviews(user) -> QuerySet[Review]:
    """Return the reviews ``user`` may see: all of them for staff, none for anyone else."""
    if not can_see_reviews(user):
        return Review.objects.none()
    return Review.objects.all()


def filter_reviews(
    qs: QuerySet[Review],
    *,
    source: str = "",
    rating_min: Decimal | None = None,
    rating_max: Decimal | None = None,
    sentiment: str = "",
    customer_id: int | None = None,
) -> QuerySet[Review]:
    """Narrow ``qs`` by source, normalised rating range (1-5), sentiment label and customer.

    ``sentiment="none"`` finds reviews that were not scored (no words, or another language).
    """
    if source:
        qs = qs.filter(source=source)
    if rating_min is not None:
        qs = qs.filter(rating__gte=rating_min)
    if rating_max is not None:
        qs = qs.filter(rating__lte=rating_max)
    if sentiment == "none":
        qs = qs.filter(sentiment="")
    elif sentiment:
        qs = qs.filter(sentiment=sentiment)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs


def known_sources() -> list[str]:
    """Return the sources that have reviews, alphabetically (for filter menus)."""
    return list(Review.objects.order_by("source").values_list("source", flat=True).distinct())
