"""The texts the SLA sends: acknowledgement, delay notice, follow-up, and the team lead's alert.

Customer texts are written in the customer's language (German or English) and form of
address; German has a formal ("Sie") and an informal ("du") variant of each sentence,
chosen through the gettext context "formal" or "informal".
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_timezone_name
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy

from rapport.customers.greetings import address_form, by_address_form, greeting, greeting_language
from rapport.customers.models import Customer
from rapport.helpdesk.models import Conversation

# Languages we write customer texts in; others get English.
LETTER_LANGUAGES = ("de", "en")


# Each sentence twice, with a literal context, so that makemessages finds both variants.
THANKS = by_address_form(
    pgettext_lazy(
        "formal",
        "Thank you for your message. We have received your request and filed it under the "
        "number %(number)s.",
    ),
    pgettext_lazy(
        "informal",
        "Thank you for your message. We have received your request and filed it under the "
        "number %(number)s.",
    ),
)
EXPECT = by_address_form(
    pgettext_lazy("formal", "We expect to resolve it by %(estimate)s."),
    pgettext_lazy("informal", "We expect to resolve it by %(estimate)s."),
)
ADD_ANYTHING = by_address_form(
    pgettext_lazy(
        "formal",
        "If you would like to add anything, simply reply to this message and keep the number "
        "%(number)s in the subject.",
    ),
    pgettext_lazy(
        "informal",
        "If you would like to add anything, simply reply to this message and keep the number "
        "%(number)s in the subject.",
    ),
)
SORRY = by_address_form(
    pgettext_lazy(
        "formal", "We are sorry: your request %(number)s is taking longer than we expected."
    ),
    pgettext_lazy(
        "informal", "We are sorry: your request %(number)s is taking longer than we expected."
    ),
)
NOW_EXPECT = by_address_form(
    pgettext_lazy("formal", "We now expect to resolve it by %(estimate)s."),
    pgettext_lazy("informal", "We now expect to resolve it by %(estimate)s."),
)
AS_SOON_AS_WE_CAN = by_address_form(
    pgettext_lazy("formal", "We will get back to you as soon as we can."),
    pgettext_lazy("informal", "We will get back to you as soon as we can."),
)
PATIENCE = by_address_form(
    pgettext_lazy("formal", "Thank you for your patience."),
    pgettext_lazy("informal", "Thank you for your patience."),
)
DID_IT_HELP = by_address_form(
    pgettext_lazy(
        "formal", "We recently solved your request %(number)s. Did our answer solve your problem?"
    ),
    pgettext_lazy(
        "informal",
        "We recently solved your request %(number)s. Did our answer solve your problem?",
    ),
)
REPLY_TO_REOPEN = by_address_form(
    pgettext_lazy(
        "formal", "If not, simply reply to this message and we will reopen your request."
    ),
    pgettext_lazy(
        "informal", "If not, simply reply to this message and we will reopen your request."
    ),
)


def letter_language(conversation: Conversation) -> str:
    lang = greeting_language(conversation.customer, conversation.language or None)
    return lang if lang in LETTER_LANGUAGES else "en"


def customer_zone(customer: Customer, fallback: ZoneInfo | None = None) -> ZoneInfo:
    return customer.tzinfo or fallback or ZoneInfo(settings.TIME_ZONE)


def babel_locale(language: str, country: str = "") -> str:
    """Return the locale dates are written in: the language in the customer's country if known."""
    if country:
        candidate = f"{language}_{country.upper()}"
        try:
            Locale.parse(candidate)
            return candidate
        except (ValueError, UnknownLocaleError):
            pass
    return {"de": "de_DE", "en": "en_GB"}.get(language, language)


def format_moment(moment: datetime, *, zone: ZoneInfo, language: str, country: str = "") -> str:
    """Return "Monday, 23 November 2026 at 14:00 (Central European Standard Time)" in ``language``."""
    local = moment.astimezone(zone)
    locale = babel_locale(language, country)
    with translation.override(language):
        return gettext("%(date)s at %(time)s (%(zone)s)") % {
            "date": format_date(local, "full", locale=locale),
            "time": format_time(local, "short", locale=locale),
            "zone": get_timezone_name(local, "long", locale=locale),
        }


def _letter(customer: Customer, language: str, paragraphs: list[str]) -> str:
    # No closing: the channel's sender adds the signature (closing, company, number).
    body = "\n\n".join(p for p in paragraphs if p)
    return f"{greeting(customer, language=language)},\n\n{body}"


def acknowledgement_text(
    conversation: Conversation, *, estimate: datetime | None, zone: ZoneInfo
) -> str:
    """Return the acknowledgement of a new request, with its number and estimated resolution."""
    customer = conversation.customer
    language = letter_language(conversation)
    form = address_form(customer)
    number = conversation.number
    with translation.override(language):
        paragraphs = [
            str(THANKS[form]) % {"number": number},
            str(EXPECT[form])
            % {
                "estimate": format_moment(
                    estimate, zone=zone, language=language, country=customer.country
                )
            }
            if estimate
            else "",
            str(ADD_ANYTHING[form]) % {"number": number},
        ]
    return _letter(customer, language, paragraphs)


def delay_notice_text(
    conversation: Conversation, *, reason: str, estimate: datetime | None, zone: ZoneInfo
) -> str:
    """Return the status update telling the customer why their request takes longer."""
    customer = conversation.customer
    language = letter_language(conversation)
    form = address_form(customer)
    with translation.override(language):
        if estimate:
            outlook = str(NOW_EXPECT[form]) % {
                "estimate": format_moment(
                    estimate, zone=zone, language=language, country=customer.country
                )
            }
        else:
            outlook = str(AS_SOON_AS_WE_CAN[form])
        paragraphs = [
            str(SORRY[form]) % {"number": conversation.number},
            gettext("The reason: %(reason)s") % {"reason": reason},
            outlook,
            str(PATIENCE[form]),
        ]
    return _letter(customer, language, paragraphs)


def follow_up_text(conversation: Conversation) -> str:
    """Return the "did this solve it?" message sent some time after solving."""
    customer = conversation.customer
    language = letter_language(conversation)
    form = address_form(customer)
    with translation.override(language):
        paragraphs = [
            str(DID_IT_HELP[form]) % {"number": conversation.number},
            str(REPLY_TO_REOPEN[form]),
        ]
    return _letter(customer, language, paragraphs)


def breach_alert(
    conversation: Conversation, *, target_label: str, due_at: datetime, lead
) -> tuple[str, str]:
    """Return the subject and text of the email that tells a team lead about a breach."""
    language = lead.language or settings.LANGUAGE_CODE
    with translation.override(language):
        values = {
            "number": conversation.number,
            "subject": conversation.subject,
            "target": gettext(target_label),
            "due": format_moment(due_at, zone=lead.tzinfo, language=language),
            "policy": str(conversation.sla_policy or "-"),
            "team": str(conversation.team or "-"),
            "customer": conversation.customer.display_name,
        }
        subject = gettext("SLA breached: %(number)s %(subject)s") % values
        text = (
            gettext(
                "The %(target)s target of conversation %(number)s (%(subject)s) was due "
                "%(due)s and has not been met."
            )
            % values
            + "\n\n"
            + gettext("Policy: %(policy)s") % values
            + "\n"
            + gettext("Team: %(team)s") % values
            + "\n"
            + gettext("Customer: %(customer)s") % values
        )
    return subject, text
