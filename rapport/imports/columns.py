"""Which CSV column fills which field: known names in English and German, and user mappings."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.imports.csvfile import FileError
from rapport.imports.models import ImportKind

IGNORE = ""

CUSTOMER_FIELDS = {
    "external_id": gettext_lazy("external ID"),
    "given_name": gettext_lazy("given name"),
    "family_name": gettext_lazy("family name"),
    "name": gettext_lazy("full name"),
    "preferred_name": gettext_lazy("preferred name"),
    "title": gettext_lazy("title"),
    "salutation": gettext_lazy("salutation"),
    "form_of_address": gettext_lazy("form of address"),
    "language": gettext_lazy("preferred language"),
    "time_zone": gettext_lazy("time zone"),
    "country": gettext_lazy("country"),
    "preferred_channel": gettext_lazy("preferred channel"),
    "birthday": gettext_lazy("birthday"),
    "lifecycle_stage": gettext_lazy("lifecycle stage"),
    "email": gettext_lazy("email (several separated by |)"),
    "phone": gettext_lazy("phone (several separated by |)"),
    "organization": gettext_lazy("organization"),
    "tags": gettext_lazy("tags (separated by | or ,)"),
    "is_vip": gettext_lazy("VIP"),
}

ORDER_FIELDS = {
    "order_id": gettext_lazy("order ID"),
    "number": gettext_lazy("order number"),
    "customer_external_id": gettext_lazy("customer external ID"),
    "customer_email": gettext_lazy("customer email"),
    "given_name": gettext_lazy("customer given name"),
    "family_name": gettext_lazy("customer family name"),
    "ordered_at": gettext_lazy("order date"),
    "status": gettext_lazy("status"),
    "currency": gettext_lazy("currency"),
    "channel": gettext_lazy("sales channel"),
    "sku": gettext_lazy("SKU"),
    "product_name": gettext_lazy("product name"),
    "quantity": gettext_lazy("quantity"),
    "unit_price": gettext_lazy("unit price"),
    "line_total": gettext_lazy("line total"),
    "total": gettext_lazy("order total"),
}

_ALIASES = {
    ImportKind.CUSTOMERS: {
        "external_id": [
            "externalid",
            "customerid",
            "customernumber",
            "kundennummer",
            "kundennr",
            "kundenid",
            "externeid",
            "uid",
        ],
        "given_name": ["givenname", "firstname", "vorname", "forename"],
        "family_name": ["familyname", "lastname", "surname", "nachname", "familienname", "name"],
        "name": ["fullname", "vollstaendigername", "kontakt", "kontaktname"],
        "preferred_name": ["preferredname", "rufname", "nickname", "spitzname"],
        "title": ["title", "titel", "akademischertitel"],
        "salutation": ["salutation", "anrede", "prefix"],
        "form_of_address": ["formofaddress", "ansprache", "duzen", "siezen", "anspracheform"],
        "language": ["language", "sprache", "lang"],
        "time_zone": ["timezone", "zeitzone", "tz"],
        "country": ["country", "land", "countrycode", "laendercode"],
        "preferred_channel": ["preferredchannel", "bevorzugterkanal", "kanal"],
        "birthday": ["birthday", "birthdate", "dateofbirth", "geburtstag", "geburtsdatum", "bday"],
        "lifecycle_stage": ["lifecyclestage", "stage", "phase", "status"],
        "email": ["email", "emails", "emailaddress", "mail", "emailadresse", "e-mail"],
        "phone": [
            "phone",
            "phones",
            "telephone",
            "telefon",
            "tel",
            "mobile",
            "mobil",
            "handy",
            "phonenumber",
            "telefonnummer",
        ],
        "organization": ["organization", "organisation", "company", "firma", "unternehmen", "org"],
        "tags": ["tags", "tag", "schlagwoerter", "labels"],
        "is_vip": ["vip", "isvip"],
    },
    ImportKind.ORDERS: {
        "order_id": [
            "orderid",
            "orderexternalid",
            "bestellnummer",
            "bestellid",
            "auftragsnummer",
            "externalid",
            "bestellung",
        ],
        "number": ["number", "ordernumber", "belegnummer", "rechnungsnummer"],
        "customer_external_id": [
            "customerexternalid",
            "customerid",
            "customernumber",
            "kundennummer",
            "kundennr",
            "kundenid",
        ],
        "customer_email": ["customeremail", "email", "emailaddress", "kundenemail", "mail"],
        "given_name": ["givenname", "firstname", "vorname"],
        "family_name": ["familyname", "lastname", "nachname", "surname"],
        "ordered_at": ["orderedat", "orderdate", "date", "datum", "bestelldatum"],
        "status": ["status", "orderstatus", "bestellstatus"],
        "currency": ["currency", "waehrung"],
        "channel": ["channel", "saleschannel", "vertriebskanal", "kanal"],
        "sku": ["sku", "artikelnummer", "artikelnr", "productsku"],
        "product_name": [
            "productname",
            "product",
            "item",
            "artikel",
            "produkt",
            "bezeichnung",
            "artikelname",
            "name",
        ],
        "quantity": ["quantity", "qty", "menge", "anzahl"],
        "unit_price": ["unitprice", "price", "preis", "einzelpreis", "stueckpreis"],
        "line_total": ["linetotal", "positionssumme", "zeilensumme", "gesamtpreis"],
        "total": ["total", "ordertotal", "amount", "betrag", "summe", "gesamtsumme", "gesamt"],
    },
}


def _key(name: str) -> str:
    text = name.strip().casefold()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    return re.sub(r"[^a-z0-9]", "", text)


def field_choices(kind: str, custom_keys: list[str] = ()) -> dict[str, str]:
    """Return the fields a column can be mapped to, with their labels."""
    if kind == ImportKind.ORDERS:
        return {k: str(v) for k, v in ORDER_FIELDS.items()}
    fields = {k: str(v) for k, v in CUSTOMER_FIELDS.items()}
    for key in custom_keys:
        fields[f"custom:{key}"] = _("custom field “%(key)s”") % {"key": key}
    return fields


def auto_mapping(header: list[str], kind: str, custom_keys: list[str] = ()) -> dict[str, str]:
    """Return {column: field} for the columns whose name is known; unknown columns map to ""."""
    lookup: dict[str, str] = {}
    for field, aliases in _ALIASES[kind].items():
        lookup.setdefault(_key(field), field)
        for alias in aliases:
            lookup.setdefault(_key(alias), field)
    if kind == ImportKind.CUSTOMERS:
        for key in custom_keys:
            lookup.setdefault(_key(key), f"custom:{key}")
    mapping: dict[str, str] = {}
    used: set[str] = set()
    # Exact field names win over aliases ("name" is a family name unless "given_name" is there).
    for column in header:
        field = lookup.get(_key(column), IGNORE)
        if field in used and field not in ("email", "phone"):
            field = IGNORE
        mapping[column] = field
        if field:
            used.add(field)
    if kind == ImportKind.CUSTOMERS:
        mapped = set(mapping.values())
        if "given_name" not in mapped and "name" not in mapped:
            # A lone "Name" column holds whole names, not family names.
            for column, field in mapping.items():
                if field == "family_name" and _key(column) == "name":
                    mapping[column] = "name"
    return mapping


def parse_map_options(options: list[str]) -> dict[str, str]:
    """Return {column: field} from ``--map "CSV column=field"`` options."""
    result = {}
    for option in options:
        column, sep, field = option.partition("=")
        if not sep or not column.strip():
            raise FileError(
                _("Write a mapping as “CSV column=field”, not “%(value)s”.") % {"value": option},
                code="invalid_mapping",
            )
        result[column.strip()] = field.strip()
    return result


def resolve_mapping(
    header: list[str],
    kind: str,
    *,
    custom_keys: list[str] = (),
    overrides: dict[str, str] | None = None,
    index_overrides: dict[str, str] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Return the mapping {column index as str: field} and the ignored columns; raise on errors.

    Automatic mapping first, then ``overrides`` ({column: field}, "" to ignore a column).
    ``index_overrides`` ({column index as str: field}) is what the mapping form sends.
    A missing required column is a ``FileError``: nothing of such a file is imported.
    """
    mapping = auto_mapping(header, kind, custom_keys)
    allowed = field_choices(kind, list(custom_keys))
    for column, field in (overrides or {}).items():
        if column not in mapping:
            raise FileError(
                _("The file has no column “%(column)s”.") % {"column": column},
                code="unknown_column",
            )
        _check_field(field, allowed)
        mapping[column] = field
    chosen = {str(i): mapping.get(column, IGNORE) for i, column in enumerate(header)}
    for index, field in (index_overrides or {}).items():
        if index in chosen:
            _check_field(field, allowed)
            chosen[index] = field
    by_index = {}
    ignored = []
    seen: dict[str, str] = {}
    for index, column in enumerate(header):
        field = chosen[str(index)]
        if field and field in seen and field not in ("email", "phone", "tags"):
            raise FileError(
                _("The columns “%(first)s” and “%(second)s” both fill “%(field)s”.")
                % {"first": seen[field], "second": column, "field": field},
                code="duplicate_mapping",
            )
        if field:
            seen[field] = column
            by_index[str(index)] = field
        else:
            ignored.append(column or f"#{index + 1}")
    check_required(set(by_index.values()), kind)
    return by_index, ignored


def _check_field(field: str, allowed: dict[str, str]) -> None:
    if field and field not in allowed:
        raise FileError(
            _("“%(field)s” is not a field you can import into. Choose one of: %(fields)s")
            % {"field": field, "fields": ", ".join(allowed)},
            code="unknown_field",
        )


def check_required(fields: set[str], kind: str) -> None:
    if kind == ImportKind.CUSTOMERS:
        if not fields & {"given_name", "family_name", "name"}:
            raise FileError(
                _("The file has no name column (given name, family name or full name)."),
                code="missing_column",
            )
        return
    missing = []
    if "order_id" not in fields:
        missing.append(str(ORDER_FIELDS["order_id"]))
    if not fields & {"customer_external_id", "customer_email"}:
        missing.append(_("customer external ID or customer email"))
    if not fields & {"total", "unit_price", "line_total", "sku"}:
        missing.append(_("order total or unit price"))
    if missing:
        raise FileError(
            _("The file lacks required columns: %(columns)s") % {"columns": "; ".join(missing)},
            code="missing_column",
        )
