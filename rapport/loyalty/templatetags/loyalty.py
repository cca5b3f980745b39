"""``{% loyalty_panel customer %}``: the agents' loyalty panel, so host pages need no view change."""

from django import template

from rapport.loyalty import queries

register = template.Library()


@register.inclusion_tag("loyalty/staff/_panel.html", takes_context=True)
def loyalty_panel(context, customer):
    """Render the loyalty panel of ``customer`` for staff; nothing for anyone else."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if customer is None or not getattr(user, "is_staff_member", False):
        return {"show": False}
    # The panel's own "show" (False when there is no programme) overrides this one.
    return {"show": True, **queries.loyalty_panel(customer)}
