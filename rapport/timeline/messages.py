"""Timeline titles that follow the reader's language.

A system event keeps its title as a message: the untranslated English text (marked with
``gettext_noop`` where it is written, so makemessages finds it) and its parameters. The
title is rendered when the event is shown, in the viewer's language and number format; a
German agent and an English colleague read the same event each in their own language.
Free text (a note's first line, an activity's subject) stays as written.
"""

import importlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext

from rapport.commerce.money import format_money


def message(text: str, **params: Any) -> dict[str, Any]:
    """Return a message for ``record_event``: ``text`` with ``%(name)s`` placeholders and their values."""
    return {"text": text, "params": params}


def money(amount, currency: str) -> dict[str, list[str]]:
    """Return a parameter shown as an amount of money in the reader's locale."""
    return {"money": [str(amount), currency]}


def label(choices, value: str) -> dict[str, list[str]]:
    """Return a parameter shown as the translated label of a ``TextChoices`` value."""
    return {"label": [f"{choices.__module__}.{choices.__qualname__}", value]}


def render(stored: dict[str, Any]) -> str:
    """Return the message in the active language."""
    text = str(stored.get("text", ""))
    params = {name: _param(value) for name, value in (stored.get("params") or {}).items()}
    translated = gettext(text)
    if not params:
        return translated
    # A translation that does not fit the stored parameters falls back to the English text.
    for candidate in (translated, text):
        try:
            return candidate % params
        except (KeyError, ValueError, TypeError):
            continue
    return text


def event_fields(
    stored: dict[str, Any], data: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """Return the title and data of an event recorded with message ``stored``.

    The title is kept rendered too, in the language of the moment, for search and exports.
    """
    return render(stored), {**(data or {}), "message": stored}


def _param(value: Any) -> Any:
    if isinstance(value, dict) and "money" in value:
        amount, currency = value["money"]
        try:
            return format_money(Decimal(amount), currency)
        except (InvalidOperation, ValueError):
            return f"{amount} {currency}"
    if isinstance(value, dict) and "label" in value:
        path, code = value["label"]
        return _choice_label(path, code)
    return value


def _choice_label(path: str, code: str) -> str:
    module_name, _sep, class_name = path.rpartition(".")
    if not module_name.startswith("rapport."):
        return code  # only our own choices are looked up
    try:
        choices = getattr(importlib.import_module(module_name), class_name)
        return str(dict(choices.choices).get(code, code))
    except (ImportError, AttributeError):
        return code
