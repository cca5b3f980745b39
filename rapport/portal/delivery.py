"""Delivering replies in the portal: they are visible there at once; the customer gets a short
email saying that a new reply is waiting (never the reply itself), in their language."""

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from rapport.portal.actions import customer_language, send_customer_email
from rapport.portal.queries import customer_email

logger = logging.getLogger(__name__)


def send_message(message) -> str | None:
    """Deliver ``message`` in the portal and notify the customer by email."""
    conversation = message.conversation
    customer = conversation.customer
    email = customer_email(customer)
    if not email:
        return None
    link = settings.SITE_URL.rstrip("/") + reverse("portal:conversation", args=[conversation.pk])
    with translation.override(customer_language(customer)):
        subject = _("New reply to your request %(number)s") % {"number": conversation.number}
        body = render_to_string(
            "portal/email/new_reply.txt",
            {
                "customer": customer,
                "conversation": conversation,
                "link": link,
                "company": settings.HELPDESK_COMPANY_NAME,
            },
        )
    try:
        send_customer_email(customer=customer, to=email, subject=subject, body=body)
    except Exception:  # noqa: BLE001 - the reply is in the portal; the notice is a courtesy
        logger.exception("portal notification for message %s was not sent", message.pk)
    return None
