"""Reads of the assistant: a session by its token, its exchange, the greeting, article links."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from rapport.assistant.models import AssistantSession, AssistantTurn, SessionChannel, SessionStatus
from rapport.customers.greetings import ANONYMOUS, greeting
from rapport.customers.models import Customer, FormOfAddress, fold

# A session unused this long cannot be resumed any more.
SESSION_IDLE_HOURS = 24


def hash_token(raw: str) -> str:
    """Return the SHA-256 hex digest a session token is stored as."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def session_for_token(raw_token, *, channel: str = "") -> AssistantSession | None:
    """Return the session a visitor's token belongs to (on ``channel``, if given), or None.

    Closed sessions and sessions unused for ``SESSION_IDLE_HOURS`` are not found; a session
    that was handed over still is (its hand-over can be asked for again).
    """
    if not isinstance(raw_token, str) or not 10 <= len(raw_token) <= 200:
        return None
    cutoff = timezone.now() - timedelta(hours=SESSION_IDLE_HOURS)
    qs = AssistantSession.objects.select_related("customer", "conversation").filter(
        token_hash=hash_token(raw_token),
        updated_at__gte=cutoff,
    )
    if channel:
        qs = qs.filter(channel=channel)
    return qs.exclude(status=SessionStatus.CLOSED).first()


def exchange(session: AssistantSession) -> list[AssistantTurn]:
    """Return the session's questions and answers, oldest first."""
    return list(session.turns.select_related("translation").order_by("created_at", "id"))


def article_url(language: str, slug: str) -> str:
    """Return the help centre's page of an article (the one place this path is built)."""
    try:
        return reverse("help:article", args=[language, slug])
    except NoReverseMatch:
        return f"/help/{language}/{slug}/"


def assistant_name() -> str:
    """Return the name the assistant signs its messages with (in the active language)."""
    return _("Assistant")


def customer_language(customer: Customer | None, fallback: str = "") -> str:
    lang = (customer.language if customer else "") or fallback or settings.LANGUAGE_CODE
    return lang.split("-")[0]


def greets_by_name(session: AssistantSession) -> bool:
    """A chat visitor known only by a typed email address is greeted by the stored name only
    when they gave that name too: anyone can type someone's address, and the stored name is
    not theirs to learn. A signed-in portal customer is always greeted by name.
    """
    customer = session.customer
    if customer is None:
        return False
    if session.channel != SessionChannel.CHAT:
        return True
    typed = {fold(w) for w in session.name.split() if w}
    stored = {fold(w) for w in (customer.given_name, customer.family_name) if w}
    return bool(typed & stored)


def welcome(session: AssistantSession) -> str:
    """Return the assistant's first words: a returning customer is greeted by name.

    The greeting follows the customer's form of address (formal "Sie" or informal "du" in
    German) and is in the session's language.
    """
    language = session.language or settings.LANGUAGE_CODE
    customer = session.customer
    if customer is not None and not greets_by_name(session):
        customer = None
    with translation.override(language):
        if customer is None:
            hello = ANONYMOUS.get(language, ANONYMOUS["en"])
            return pgettext("formal", "%(greeting)s! How can I help you?") % {"greeting": hello}
        hello = greeting(customer, language)
        if customer.form_of_address == FormOfAddress.INFORMAL:
            text = pgettext("informal", "%(greeting)s! How can I help you?")
        else:
            text = pgettext("formal", "%(greeting)s! How can I help you?")
        return text % {"greeting": hello}
