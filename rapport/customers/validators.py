"""Validation and normalisation of the values that make up a customer profile.

Each function takes user input and returns the stored form, or raises ``ValidationError``
with a stable code. Forms, the API and the CSV import all call these, so a value is judged
the same way wherever it comes from.
"""

import functools
import re
import zoneinfo

import phonenumbers
from babel import Locale
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email
from django.utils.translation import gettext as _

HANDLE_RE = re.compile(r"^@?[\w.\-]{1,100}$")
# A strict subset of what Django's EmailValidator accepts, checked first because it is six
# times faster; anything it does not match goes to Django's validator, so verdicts are equal.
PLAIN_EMAIL_RE = re.compile(
    r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.IGNORECASE,
)


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def _languages() -> frozenset[str]:
    return frozenset(code for code in Locale("en").languages if re.fullmatch(r"[a-z]{2,3}", code))


@functools.cache
def _countries() -> frozenset[str]:
    # Real countries and territories: the regions that have a telephone numbering plan.
    return frozenset(code for code in phonenumbers.SUPPORTED_REGIONS if code != "001")


def normalize_email(value: str) -> str:
    """Return the email address lower-cased and trimmed, or raise if it is not an address."""
    value = (value or "").strip()
    if len(value) <= 254 and PLAIN_EMAIL_RE.fullmatch(value):
        return value.lower()
    try:
        django_validate_email(value)
    except ValidationError:
        raise ValidationError(
            _("“%(value)s” is not a valid email address."),
            code="invalid_email",
            params={"value": value},
        ) from None
    return value.lower()


def normalize_phone(value: str, region: str | None = None) -> str:
    """Return the phone number in E.164 form, or raise if it is not a valid number.

    Numbers without a country prefix are read in ``region`` (the customer's country, else
    the installation's default country).
    """
    raw = (value or "").strip()
    try:
        number = phonenumbers.parse(raw, (region or settings.RAPPORT_DEFAULT_COUNTRY).upper())
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number."),
            code="invalid_phone",
            params={"value": raw},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Return an E.164 number in international notation for display (+49 30 1234567)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_social(platform: str, handle: str) -> str:
    """Return ``platform:handle`` lower-cased, or raise if the handle is not plausible."""
    from rapport.customers.models import SocialPlatform

    handle = (handle or "").strip()
    if platform not in SocialPlatform.values:
        raise ValidationError(
            _("“%(value)s” is not a supported social platform."),
            code="invalid_platform",
            params={"value": platform},
        )
    if not HANDLE_RE.match(handle):
        raise ValidationError(
            _("“%(value)s” is not a valid handle."), code="invalid_handle", params={"value": handle}
        )
    return f"{platform}:{handle.lstrip('@').lower()}"


def validate_time_zone(value: str) -> str:
    value = (value or "").strip()
    if value and value not in _time_zones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone (use an IANA name such as Europe/Berlin)."),
            code="invalid_time_zone",
            params={"value": value},
        )
    return value


def validate_language(value: str) -> str:
    value = (value or "").strip().lower().replace("_", "-")
    base = value.split("-")[0]
    if value and base not in _languages():
        raise ValidationError(
            _("“%(value)s” is not a known language code (use ISO 639-1, such as de or en)."),
            code="invalid_language",
            params={"value": value},
        )
    return base


def validate_country(value: str) -> str:
    value = (value or "").strip().upper()
    if value and value not in _countries():
        raise ValidationError(
            _("“%(value)s” is not a known country code (use ISO 3166-1 alpha-2, such as DE)."),
            code="invalid_country",
            params={"value": value},
        )
    return value


def language_choices(locale: str) -> list[tuple[str, str]]:
    """Return (code, name) for the ISO 639-1 languages, named in ``locale``."""
    return list(_language_choices(locale))


@functools.lru_cache(maxsize=16)
def _language_choices(locale: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale).languages
    return tuple(
        sorted(
            ((c, names.get(c, c)) for c in _languages() if len(c) == 2),
            key=lambda p: p[1].casefold(),
        )
    )


def country_choices(locale: str) -> list[tuple[str, str]]:
    """Return (code, name) for the ISO 3166-1 countries, named in ``locale``."""
    return list(_country_choices(locale))


@functools.lru_cache(maxsize=16)
def _country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    # Sorting a few hundred names by Babel on every list page cost milliseconds: cache them.
    names = Locale.parse(locale).territories
    return tuple(
        sorted(((c, names.get(c, c)) for c in _countries()), key=lambda p: p[1].casefold())
    )


def time_zone_choices() -> list[str]:
    return sorted(_time_zones())
