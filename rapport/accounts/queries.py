"""Reads about users and tokens."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from rapport.accounts.models import STAFF_ROLES, ApiToken, User, hash_token


def staff_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=STAFF_ROLES).order_by(
        "first_name", "last_name", "username"
    )


def user_for_token(raw: str) -> User | None:
    """Return the active user owning the unrevoked token ``raw``, or None."""
    if not raw or not raw.startswith(ApiToken.PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
