"""Template filters for customer pages: names of languages and countries, phone numbers, event icons."""

from babel import Locale, UnknownLocaleError
from django import template
from django.utils import translation

from rapport.customers.validators import format_phone
from rapport.timeline.models import EventKind

register = template.Library()

# Symbols from the Basic Multilingual Plane that common system fonts carry (no emoji font needed).
EVENT_ICONS = {
    EventKind.NOTE: "✎",
    EventKind.ACTIVITY: "◷",
    EventKind.PROFILE: "⚙",
    EventKind.CONSENT: "✔",
    EventKind.MERGE: "⇄",
    EventKind.ORDER: "▤",
    EventKind.MESSAGE: "✉",
    EventKind.CALL: "☎",
    EventKind.SURVEY: "★",
    EventKind.LOYALTY: "♥",
    EventKind.CAMPAIGN: "➚",
    EventKind.IMPORT: "⇪",
}


def _locale() -> Locale:
    try:
        return Locale.parse((translation.get_language() or "en").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale("en")


@register.filter
def language_name(code: str) -> str:
    """Return the language's name in the UI language ("de" → "German" / "Deutsch")."""
    if not code:
        return ""
    return _locale().languages.get(code, code)


@register.filter
def country_name(code: str) -> str:
    """Return the country's name in the UI language ("DE" → "Germany" / "Deutschland")."""
    if not code:
        return ""
    return _locale().territories.get(code.upper(), code)


@register.filter
def phone(value: str) -> str:
    """Return an E.164 number in readable international notation."""
    return format_phone(value) if value else ""


@register.filter
def event_icon(kind: str) -> str:
    return EVENT_ICONS.get(kind, "•")


@register.filter
def activity_label(code: str) -> str:
    """Return the translated name of an activity type ("call" → "Anruf")."""
    from rapport.timeline.models import ActivityType

    try:
        return ActivityType(code).label
    except ValueError:
        return code
