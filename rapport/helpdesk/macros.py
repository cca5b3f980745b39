"""Reply templates: which ones an agent may use, which variant fits a customer, and filling in.

Placeholders are replaced by plain substitution from a fixed list of values (never Django's
template engine, never attribute access on models), in one pass: a customer whose name is
"{{ agent.first_name }}" stays exactly that, and a template cannot reach anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet

from rapport.accounts.models import Role
from rapport.customers.greetings import greeting
from rapport.helpdesk.models import Conversation, ReplyTemplate, ReplyTemplateVariant

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")
# The placeholders a template may use (shown on the template form).
PLACEHOLDERS = (
    "customer.greeting",
    "customer.first_name",
    "customer.last_name",
    "customer.full_name",
    "conversation.number",
    "conversation.subject",
    "agent.first_name",
    "agent.last_name",
    "agent.full_name",
    "order.number",
    "order.date",
    "order.status",
)
SHARED_EDITORS = frozenset({Role.ADMIN, Role.MANAGER})


def usable_templates(user) -> QuerySet[ReplyTemplate]:
    """Return the shared templates and ``user``'s own."""
    if not getattr(user, "is_staff_member", False):
        return ReplyTemplate.objects.none()
    return ReplyTemplate.objects.filter(Q(owner__isnull=True) | Q(owner=user))


def editable_templates(user) -> QuerySet[ReplyTemplate]:
    """Return the templates ``user`` may change: their own, and shared ones for managers."""
    qs = usable_templates(user)
    if getattr(user, "role", None) in SHARED_EDITORS:
        return qs
    return qs.filter(owner=user)


def can_edit_shared(user) -> bool:
    return getattr(user, "role", None) in SHARED_EDITORS


def choose_variant(
    variants: list[ReplyTemplateVariant], *, language: str, formality: str
) -> ReplyTemplateVariant | None:
    """Return the variant that fits best: same language and formality, then looser matches.

    Order: language + formality, language with any formality, language with the other
    formality, then the same steps for the site's default language, then any variant.
    """
    if not variants:
        return None
    language = (language or "").split("-")[0].lower()
    default = settings.LANGUAGE_CODE.split("-")[0].lower()
    for lang in dict.fromkeys(x for x in (language, default, "") if x is not None):
        same = [v for v in variants if v.language.lower() == lang]
        for wanted in (formality, ""):
            for v in same:
                if v.formality == wanted:
                    return v
        if same:
            return same[0]
    return variants[0]


@dataclass
class RenderedTemplate:
    template: ReplyTemplate
    variant: ReplyTemplateVariant | None
    body: str


def placeholder_values(conversation: Conversation, agent) -> dict[str, str]:
    """Return the values placeholders may take for ``conversation`` answered by ``agent``."""
    from django.utils import formats

    from rapport.commerce.models import Order

    customer = conversation.customer
    language = conversation.language or customer.language or None
    order = (
        Order.objects.filter(customer=customer)
        .order_by("-ordered_at", "-id")
        .only("number", "ordered_at", "status")
    ).first()
    return {
        "customer.greeting": greeting(customer, language),
        "customer.first_name": customer.preferred_name or customer.given_name,
        "customer.last_name": customer.family_name,
        "customer.full_name": customer.full_name,
        "conversation.number": conversation.number,
        "conversation.subject": conversation.subject,
        "agent.first_name": agent.first_name or agent.username,
        "agent.last_name": agent.last_name,
        "agent.full_name": agent.get_full_name() or agent.username,
        "order.number": str(order) if order else "",
        "order.date": formats.date_format(order.ordered_at, "SHORT_DATE_FORMAT") if order else "",
        "order.status": str(order.get_status_display()) if order else "",
    }


def fill_placeholders(body: str, values: dict[str, str]) -> str:
    """Replace known placeholders in one pass; unknown ones stay visible for the agent to fix."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def render_template(
    template: ReplyTemplate, *, conversation: Conversation, agent
) -> RenderedTemplate:
    """Return ``template``'s best variant for the conversation's customer, filled in."""
    customer = conversation.customer
    variant = choose_variant(
        list(template.variants.all()),
        language=conversation.language or customer.language,
        formality=customer.form_of_address,
    )
    body = ""
    if variant is not None:
        body = fill_placeholders(variant.body, placeholder_values(conversation, agent))
    return RenderedTemplate(template=template, variant=variant, body=body)
