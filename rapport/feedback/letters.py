"""The survey's words: each kind's question and answer labels, and the invitation email.

Written in the customer's language (German or English) and form of address; German has a
formal ("Sie") and an informal ("du") variant of each question, chosen through the gettext
context "formal" or "informal" (as the SLA letters do).
"""

from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, pgettext_lazy

from rapport.customers.greetings import address_form, by_address_form, greeting
from rapport.feedback.models import SCALES, SurveyInvitation, SurveyKind

QUESTIONS = {
    SurveyKind.CSAT: by_address_form(
        pgettext_lazy("formal", "How satisfied are you with how we handled your request?"),
        pgettext_lazy("informal", "How satisfied are you with how we handled your request?"),
    ),
    SurveyKind.NPS: by_address_form(
        pgettext_lazy(
            "formal", "How likely is it that you would recommend us to a friend or colleague?"
        ),
        pgettext_lazy(
            "informal", "How likely is it that you would recommend us to a friend or colleague?"
        ),
    ),
    SurveyKind.CES: by_address_form(
        pgettext_lazy("formal", "How easy was it to get your request resolved?"),
        pgettext_lazy("informal", "How easy was it to get your request resolved?"),
    ),
}
# "Why?" under the score.
WHY = {
    SurveyKind.CSAT: by_address_form(
        pgettext_lazy("formal", "What is the main reason for your rating?"),
        pgettext_lazy("informal", "What is the main reason for your rating?"),
    ),
    SurveyKind.NPS: by_address_form(
        pgettext_lazy("formal", "Why did you choose this score?"),
        pgettext_lazy("informal", "Why did you choose this score?"),
    ),
    SurveyKind.CES: by_address_form(
        pgettext_lazy("formal", "What could we have made easier?"),
        pgettext_lazy("informal", "What could we have made easier?"),
    ),
}
ONE_CLICK = by_address_form(
    pgettext_lazy(
        "formal", "One click on your answer is enough. A later click changes your answer."
    ),
    pgettext_lazy(
        "informal", "One click on your answer is enough. A later click changes your answer."
    ),
)
REQUEST = by_address_form(
    pgettext_lazy("formal", "We recently solved your request %(number)s (%(subject)s)."),
    pgettext_lazy("informal", "We recently solved your request %(number)s (%(subject)s)."),
)
# The subject of a survey emailed on its own (no conversation to reply in).
SUBJECT = by_address_form(
    pgettext_lazy("formal", "A quick question from %(company)s"),
    pgettext_lazy("informal", "A quick question from %(company)s"),
)
# The subject of the conversation opened to follow up a low answer; the customer may see
# it in the portal and in the agent's reply.
FOLLOW_UP_SUBJECT = by_address_form(
    pgettext_lazy("formal", "Your feedback"),
    pgettext_lazy("informal", "Your feedback"),
)
# Words for the ends (and, for CSAT and CES, every point) of each scale.
LABELS = {
    SurveyKind.CSAT: {
        1: pgettext_lazy("csat", "Very dissatisfied"),
        2: pgettext_lazy("csat", "Dissatisfied"),
        3: pgettext_lazy("csat", "Neither"),
        4: pgettext_lazy("csat", "Satisfied"),
        5: pgettext_lazy("csat", "Very satisfied"),
    },
    SurveyKind.NPS: {
        0: pgettext_lazy("nps", "Not at all likely"),
        10: pgettext_lazy("nps", "Extremely likely"),
    },
    SurveyKind.CES: {
        1: pgettext_lazy("ces", "Very difficult"),
        4: pgettext_lazy("ces", "Neither"),
        7: pgettext_lazy("ces", "Very easy"),
    },
}


def question(invitation: SurveyInvitation) -> str:
    return str(QUESTIONS[invitation.kind][address_form(invitation.customer)])


def why(invitation: SurveyInvitation) -> str:
    return str(WHY[invitation.kind][address_form(invitation.customer)])


def choices(invitation: SurveyInvitation) -> list[tuple[int, str]]:
    """Return each score of the invitation's scale with its label ("" where none)."""
    low, high = SCALES[invitation.kind]
    labels = LABELS[invitation.kind]
    return [(score, str(labels.get(score, ""))) for score in range(low, high + 1)]


def survey_subject(invitation: SurveyInvitation) -> str:
    """Return the subject of a survey emailed on its own, in the customer's language."""
    from django.conf import settings

    with translation.override(invitation.language or "en"):
        return str(SUBJECT[address_form(invitation.customer)]) % {
            "company": settings.HELPDESK_COMPANY_NAME
        }


def follow_up_subject(customer, language: str) -> str:
    """Return the subject of a follow-up conversation, in ``language``."""
    with translation.override(language or "en"):
        return str(FOLLOW_UP_SUBJECT[address_form(customer)])


def invitation_letter(invitation: SurveyInvitation) -> tuple[str, str]:
    """Return the invitation email as (plain text, HTML), a link per answer."""
    from rapport.feedback.actions import invitation_url

    customer = invitation.customer
    form = address_form(customer)
    with translation.override(invitation.language or "en"):
        hello = greeting(customer, language=invitation.language or "en")
        intro = ""
        if invitation.conversation is not None:
            intro = str(REQUEST[form]) % {
                "number": invitation.conversation.number,
                "subject": invitation.conversation.subject,
            }
        asked = question(invitation)
        footer = str(ONE_CLICK[form])
        options = [
            (score, label, invitation_url(invitation, score))
            for score, label in choices(invitation)
        ]
        text_lines = [f"{hello},", ""] + ([intro, ""] if intro else []) + [asked, ""]
        text_lines += [f"{s}{' - ' + label if label else ''}: {url}" for s, label, url in options]
        text_lines += ["", footer]
        buttons = " ".join(
            f'<a href="{escape(url)}" title="{escape(label)}" style="display:inline-block;'
            "min-width:2em;padding:.4em .6em;margin:.1em;border:1px solid #888;"
            f'border-radius:4px;text-align:center;text-decoration:none">{s}</a>'
            for s, label, url in options
        )
        ends = choices(invitation)
        scale_hint = gettext("%(low)s = %(low_label)s, %(high)s = %(high_label)s") % {
            "low": ends[0][0],
            "low_label": ends[0][1],
            "high": ends[-1][0],
            "high_label": ends[-1][1],
        }
        html = (
            f"<p>{escape(hello)},</p>"
            + (f"<p>{escape(intro)}</p>" if intro else "")
            + f"<p><strong>{escape(asked)}</strong></p><p>{buttons}</p>"
            + f"<p><small>{escape(scale_hint)}</small></p><p>{escape(footer)}</p>"
        )
    text = "\n".join(line for line in text_lines if line is not None).replace("\n\n\n", "\n\n")
    return text.strip(), html
