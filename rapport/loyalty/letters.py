"""The loyalty emails' words: "you reached <tier>" and "N points expire on <date>".

Written in the customer's language (German or English) and form of address; German has a
formal ("Sie") and an informal ("du") variant of each sentence, chosen through the gettext
context "formal" or "informal" (as the survey and SLA letters do).
"""

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation
from django.utils.html import escape
from django.utils.translation import gettext, pgettext_lazy

from rapport.customers.contact_hours import customer_zone
from rapport.customers.greetings import address_form, by_address_form, greeting, greeting_language
from rapport.loyalty.models import LoyaltyNotice, Member, NoticeKind, Tier
from rapport.loyalty.queries import service_policies

LETTER_LANGUAGES = ("de", "en")


TIER_UP_SUBJECT = by_address_form(
    pgettext_lazy("formal", "You have reached %(tier)s"),
    pgettext_lazy("informal", "You have reached %(tier)s"),
)
TIER_UP_TEXT = by_address_form(
    pgettext_lazy(
        "formal",
        "Thank you for your loyalty: you are now a %(tier)s member of %(programme)s.",
    ),
    pgettext_lazy(
        "informal",
        "Thank you for your loyalty: you are now a %(tier)s member of %(programme)s.",
    ),
)
TIER_DOWN_SUBJECT = by_address_form(
    pgettext_lazy("formal", "Your tier is now %(tier)s"),
    pgettext_lazy("informal", "Your tier is now %(tier)s"),
)
TIER_DOWN_TEXT = by_address_form(
    pgettext_lazy(
        "formal",
        "Your tier in %(programme)s is now %(tier)s, based on your purchases in the last "
        "twelve months.",
    ),
    pgettext_lazy(
        "informal",
        "Your tier in %(programme)s is now %(tier)s, based on your purchases in the last "
        "twelve months.",
    ),
)
BENEFITS_INTRO = by_address_form(
    pgettext_lazy("formal", "Your benefits:"),
    pgettext_lazy("informal", "Your benefits:"),
)
EXPIRY_SUBJECT = by_address_form(
    pgettext_lazy("formal", "%(points)s points expire on %(date)s"),
    pgettext_lazy("informal", "%(points)s points expire on %(date)s"),
)
EXPIRY_TEXT = by_address_form(
    pgettext_lazy(
        "formal",
        "%(points)s of your points expire on %(date)s. Redeem them for a reward before then:",
    ),
    pgettext_lazy(
        "informal",
        "%(points)s of your points expire on %(date)s. Redeem them for a reward before then:",
    ),
)
SEE_POINTS = by_address_form(
    pgettext_lazy("formal", "Your points and rewards:"),
    pgettext_lazy("informal", "Your points and rewards:"),
)


def tier_benefits(tier: Tier | None) -> list[str]:
    """Return the benefits of ``tier`` in words, in the active language."""
    if tier is None:
        return []
    benefits = []
    if tier.earn_multiplier and tier.earn_multiplier != 1:
        benefits.append(
            gettext("%(multiplier)s times the points on every purchase")
            % {"multiplier": formats.number_format(tier.earn_multiplier.normalize())}
        )
    if tier.free_shipping:
        benefits.append(gettext("Free shipping"))
    if tier.early_access:
        benefits.append(gettext("Early access to new products and sales"))
    if service_policies(tier):
        benefits.append(gettext("Faster answers from our service team"))
    if tier.account_manager:
        benefits.append(gettext("A dedicated account manager"))
    return benefits


def letter_language(member: Member) -> str:
    """Return the language the member is written to in (German or English)."""
    language = greeting_language(member.customer)
    return language if language in LETTER_LANGUAGES else "en"


def local_date(moment: datetime, customer) -> str:
    """Return the customer's local date of ``moment`` in the active language's long format."""
    return formats.date_format(moment.astimezone(customer_zone(customer)).date(), "DATE_FORMAT")


def portal_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("loyalty_portal:overview")


def notice_letter(notice: LoyaltyNotice) -> tuple[str, str, str]:
    """Return the notice's email as (subject, plain text, HTML)."""
    member = notice.member
    customer = member.customer
    form = address_form(customer)
    language = notice.language or letter_language(member)
    with translation.override(language):
        hello = greeting(customer, language=language)
        if notice.kind == NoticeKind.TIER_CHANGED:
            tier = Tier.objects.filter(pk=notice.data.get("tier")).first()
            words = {"tier": notice.data.get("tier_name", ""), "programme": member.programme.name}
            upgraded = notice.data.get("upgraded", True)
            subject = str((TIER_UP_SUBJECT if upgraded else TIER_DOWN_SUBJECT)[form]) % words
            paragraphs = [str((TIER_UP_TEXT if upgraded else TIER_DOWN_TEXT)[form]) % words]
            benefits = tier_benefits(tier)
            link_intro = str(SEE_POINTS[form])
        else:
            expires_at = datetime.fromisoformat(notice.data["expires_at"])
            words = {
                "points": formats.number_format(notice.data["points"], force_grouping=True),
                "date": local_date(expires_at, customer),
            }
            subject = str(EXPIRY_SUBJECT[form]) % words
            paragraphs = []
            benefits = []
            link_intro = str(EXPIRY_TEXT[form]) % words
        url = portal_url()
        text_lines = [f"{hello},", ""] + paragraphs
        if benefits:
            text_lines += ["", str(BENEFITS_INTRO[form])] + [f"- {b}" for b in benefits]
        text_lines += ["", link_intro, url]
        html = f"<p>{escape(hello)},</p>" + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        if benefits:
            items = "".join(f"<li>{escape(b)}</li>" for b in benefits)
            html += f"<p>{escape(BENEFITS_INTRO[form])}</p><ul>{items}</ul>"
        html += f'<p>{escape(link_intro)}<br><a href="{escape(url)}">{escape(url)}</a></p>'
    text = "\n".join(line for line in text_lines if line is not None).replace("\n\n\n", "\n\n")
    return subject, text.strip(), html
