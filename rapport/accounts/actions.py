"""Changes to staff users, teams and API tokens."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import ApiToken, IdempotencyKey, Role, Team, User, hash_token
from rapport.customers.validators import validate_time_zone


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str | None,
    role: str = Role.AGENT,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    teams: list[Team] | None = None,
    language: str = "",
    spoken_languages: list[str] | None = None,
    time_zone: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a user with a role; ``password=None`` leaves the password unusable."""
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": [_("This username is taken.")]})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        language=language,
        spoken_languages=spoken_languages or [],
        time_zone=time_zone,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if teams:
        user.teams.set(teams)
    return user


@transaction.atomic
def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API token for ``user``; return it and the raw secret, which is shown only once."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the token a name.")]})
    raw = ApiToken.generate_raw()
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_hash=hash_token(raw), hint=raw[-6:]
    )
    return token, raw


def revoke_api_token(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def update_preferences(*, user: User, language: str, time_zone: str) -> User:
    """Save a user's interface language and time zone."""
    errors = {}
    if language and language not in dict(User._meta.get_field("language").choices):
        errors["language"] = [_("Unknown language.")]
    try:
        time_zone = validate_time_zone(time_zone)
    except ValidationError as exc:
        errors["time_zone"] = [exc]
    if errors:
        raise ValidationError(errors)
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["language", "time_zone"])
    return user


#: How long a repeated API request with the same Idempotency-Key replays the first response.
IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)


def purge_idempotency_keys(*, now=None) -> int:
    """Delete stored Idempotency-Key outcomes older than a day; return how many."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_KEY_LIFETIME
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
