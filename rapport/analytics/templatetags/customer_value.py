"""``{% value_panel customer %}``: the customer's value scores on the 360 page, for staff only."""

from django import template

from rapport.analytics import queries
from rapport.analytics.models import segment_description

register = template.Library()


@register.inclusion_tag("analytics/_panel.html", takes_context=True)
def value_panel(context, customer):
    """Render the value panel of ``customer`` for staff; nothing for anyone else."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if customer is None or not getattr(user, "is_staff_member", False):
        return {"show": False}
    value = queries.customer_value(user, customer)
    if value is None:
        return {"show": True, "customer": customer, "value": None}
    return {
        "show": True,
        "customer": customer,
        "value": value,
        "segment_label": value.get_segment_display(),
        "segment_description": segment_description(value.segment),
        "explanation": value.explanation(),
    }
