"""Contacts as vCards (3.0 and 4.0, RFC 2426 and RFC 6350): export and import through vobject.

Import turns each card into a row of the customer import, so cards are validated and matched
exactly like CSV rows (external ID, else email).
"""

from collections.abc import Iterable, Iterator

import vobject
from django.utils.translation import gettext as _

from rapport.customers.models import ContactKind, Customer
from rapport.imports.csvfile import FileError

VERSIONS = ("3.0", "4.0")
#: The synthetic header vCards are read into; the mapping is the identity.
CARD_COLUMNS = (
    "external_id",
    "given_name",
    "family_name",
    "title",
    "email",
    "phone",
    "organization",
    "birthday",
    "language",
    "time_zone",
)
EXTERNAL_ID = "x-rapport-external-id"


def customer_card(customer: Customer, *, version: str = "4.0") -> str:
    """Return one customer as a serialised vCard; needs ``contact_points`` prefetched."""
    card = vobject.vCard()
    card.add("version").value = version
    card.add("uid").value = str(customer.pk)
    card.add("n").value = vobject.vcard.Name(
        family=customer.family_name, given=customer.given_name, prefix=customer.title
    )
    card.add("fn").value = customer.display_name
    points = sorted(customer.contact_points.all(), key=lambda p: (not p.is_primary, p.id))
    for point in points:
        if point.kind == ContactKind.EMAIL:
            prop = card.add("email")
            prop.value = point.value
            if version == "3.0":
                prop.params["TYPE"] = ["INTERNET", "PREF"] if point.is_primary else ["INTERNET"]
            elif point.is_primary:
                prop.params["PREF"] = ["1"]
        elif point.kind == ContactKind.PHONE:
            prop = card.add("tel")
            if version == "3.0":
                prop.value = point.value
                if point.is_primary:
                    prop.params["TYPE"] = ["VOICE", "PREF"]
            else:
                prop.value = f"tel:{point.value}"
                prop.params["VALUE"] = ["uri"]
                if point.is_primary:
                    prop.params["PREF"] = ["1"]
    if customer.organization_id:
        card.add("org").value = [customer.organization.name]
    if customer.birthday:
        card.add("bday").value = customer.birthday.isoformat()
    if customer.language and version == "4.0":
        card.add("lang").value = customer.language
    if customer.time_zone:
        prop = card.add("tz")
        prop.value = customer.time_zone
        prop.params["VALUE"] = ["text"]
    if customer.external_id:
        card.add(EXTERNAL_ID).value = customer.external_id
    return card.serialize()


def export_cards(customers: Iterable[Customer], *, version: str = "4.0") -> Iterator[str]:
    """Yield one serialised vCard per customer."""
    if version not in VERSIONS:
        raise ValueError(f"unsupported vCard version {version!r}")
    for customer in customers:
        yield customer_card(customer, version=version)


def _first(card, name: str) -> str:
    props = card.contents.get(name) or []
    if not props:
        return ""
    value = props[0].value
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


def _preferred_first(props) -> list[str]:
    def is_pref(prop) -> bool:
        types = [t.upper() for t in prop.params.get("TYPE", [])]
        return "PREF" in types or bool(prop.params.get("PREF"))

    ordered = sorted(props, key=lambda p: not is_pref(p))
    values = []
    for prop in ordered:
        value = str(prop.value or "").strip()
        if value.lower().startswith("tel:"):
            value = value[4:]
        if value:
            values.append(value)
    return values


def card_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """Yield (card number, cells in ``CARD_COLUMNS`` order) for each card in a .vcf file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "BEGIN:VCARD" not in text.upper():
        raise FileError(_("This is not a vCard file."), code="invalid_vcard")
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=True))
    except Exception as exc:  # noqa: BLE001 - vobject raises many kinds on broken input
        raise FileError(
            _("The vCard file cannot be read: %(error)s") % {"error": exc}, code="invalid_vcard"
        ) from None
    for number, card in enumerate(cards, start=1):
        if card.name.upper() != "VCARD":
            continue
        given = family = title = ""
        names = card.contents.get("n")
        if names:
            name = names[0].value
            given, family = _join(name.given), _join(name.family)
            title = _join(name.prefix)
        if not (given or family):
            family = _first(card, "fn")
        birthday = _first(card, "bday")
        if len(birthday) == 8 and birthday.isdigit():
            birthday = f"{birthday[:4]}-{birthday[4:6]}-{birthday[6:]}"
        cells = [
            _first(card, EXTERNAL_ID),
            given,
            family,
            title,
            " | ".join(_preferred_first(card.contents.get("email", []))),
            " | ".join(_preferred_first(card.contents.get("tel", []))),
            _first(card, "org"),
            birthday,
            _first(card, "lang"),
            _first(card, "tz"),
        ]
        yield number, cells


def _join(value) -> str:
    if isinstance(value, list):
        return " ".join(v for v in value if v).strip()
    return str(value or "").strip()


def card_mapping() -> dict[str, str]:
    return {str(i): name for i, name in enumerate(CARD_COLUMNS)}
