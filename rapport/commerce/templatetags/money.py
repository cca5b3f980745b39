"""``{{ amount|money:currency }}`` and ``{{ money_object|money }}``: money in the viewer's locale."""

from decimal import Decimal, InvalidOperation

from django import template

from rapport.commerce.money import Money, format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """Return the amount formatted by ``commerce.money.format_money`` in the active language."""
    if isinstance(amount, Money):
        return amount.format()
    if amount in (None, ""):
        return ""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    return format_money(value, currency)
