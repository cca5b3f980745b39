"""Rapport's one money type: a ``Decimal`` amount with an ISO 4217 currency."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_name, list_currencies
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
#: The largest amount a MoneyField (14 digits, 2 places) can store.
MAX_AMOUNT = Decimal("999999999999.99")
KNOWN_CURRENCIES = frozenset(list_currencies())


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money needs a Decimal amount, never a float")

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)

    def format(self, locale: str | None = None) -> str:
        return format_money(self.amount, self.currency, locale)


def parse_amount(value, *, decimal_comma: bool | None = None) -> Decimal:
    """Return ``value`` as a Decimal rounded to cents; accept "1.234,50" and "1,234.50".

    ``decimal_comma`` forces the German reading (True) or the English one (False);
    None guesses from the position of the last separator.
    """
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, float):
        raise ValidationError(
            _("Amounts must not be floating-point numbers."), code="invalid_amount"
        )
    else:
        text = str(value or "").strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
        if not text:
            raise ValidationError(_("Enter an amount."), code="invalid_amount")
        comma, dot = text.rfind(","), text.rfind(".")
        if decimal_comma is None:
            decimal_comma = comma > dot
        if decimal_comma:
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                _("“%(value)s” is not an amount."), code="invalid_amount", params={"value": value}
            ) from None
    if not amount.is_finite():
        raise ValidationError(
            _("“%(value)s” is not an amount."), code="invalid_amount", params={"value": value}
        )
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    check_amount_range(amount)
    return amount


def check_amount_range(amount: Decimal) -> None:
    """Raise if ``amount`` does not fit the money columns."""
    if abs(amount) > MAX_AMOUNT:
        raise ValidationError(
            _("The amount is too large (at most %(max)s)."),
            code="amount_too_large",
            params={"max": MAX_AMOUNT},
        )


def validate_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if code not in KNOWN_CURRENCIES or len(code) != 3:
        raise ValidationError(
            _("“%(value)s” is not an ISO 4217 currency code."),
            code="invalid_currency",
            params={"value": code},
        )
    return code


def _babel_locale(locale: str | None) -> str:
    lang = (locale or translation.get_language() or "en").replace("-", "_")
    return {"de": "de_DE", "en": "en_GB"}.get(lang, lang)


def format_money(amount: Decimal, currency: str, locale: str | None = None) -> str:
    """Return the amount formatted for the locale: "1.234,50 €" in German, "€1,234.50" in English."""
    return format_currency(amount, currency, locale=_babel_locale(locale))


def currency_name(code: str, locale: str | None = None) -> str:
    return get_currency_name(code, locale=_babel_locale(locale))
