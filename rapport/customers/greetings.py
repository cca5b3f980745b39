"""The right greeting for a customer, in their language and form of address."""

from django.utils import translation

from rapport.customers.models import Customer, FormOfAddress, Salutation

# Formal greetings need the salutation word in the customer's language; English drops the
# full stop after titles ("Dr Smith") by British convention, which we follow.
FORMAL = {
    "de": {
        Salutation.MR: "Sehr geehrter Herr {name}",
        Salutation.MS: "Sehr geehrte Frau {name}",
        "neutral": "Guten Tag {full}",
    },
    "en": {
        Salutation.MR: "Dear Mr {name}",
        Salutation.MS: "Dear Ms {name}",
        "neutral": "Dear {full}",
    },
    "fr": {
        Salutation.MR: "Monsieur {name}",
        Salutation.MS: "Madame {name}",
        "neutral": "Bonjour {full}",
    },
    "es": {
        Salutation.MR: "Estimado Sr. {name}",
        Salutation.MS: "Estimada Sra. {name}",
        "neutral": "Estimado/a {full}",
    },
    "it": {
        Salutation.MR: "Gentile Sig. {name}",
        Salutation.MS: "Gentile Sig.ra {name}",
        "neutral": "Gentile {full}",
    },
    "pl": {
        Salutation.MR: "Szanowny Panie {name}",
        Salutation.MS: "Szanowna Pani {name}",
        "neutral": "Dzień dobry {full}",
    },
    "tr": {
        Salutation.MR: "Sayın {name} Bey",
        Salutation.MS: "Sayın {name} Hanım",
        "neutral": "Sayın {full}",
    },
    "nl": {
        Salutation.MR: "Geachte heer {name}",
        Salutation.MS: "Geachte mevrouw {name}",
        "neutral": "Geachte {full}",
    },
}
INFORMAL = {
    "de": "Hallo {first}",
    "en": "Hi {first}",
    "fr": "Bonjour {first}",
    "es": "Hola {first}",
    "it": "Ciao {first}",
    "pl": "Cześć {first}",
    "tr": "Merhaba {first}",
    "nl": "Hoi {first}",
}
ANONYMOUS = {
    "de": "Guten Tag",
    "en": "Hello",
    "fr": "Bonjour",
    "es": "Hola",
    "it": "Buongiorno",
    "pl": "Dzień dobry",
    "tr": "Merhaba",
    "nl": "Goedendag",
}


def greeting_language(customer: Customer, language: str | None = None) -> str:
    lang = (language or customer.language or translation.get_language() or "en").split("-")[0]
    return lang if lang in ANONYMOUS else "en"


def _title(customer: Customer, lang: str) -> str:
    title = customer.title.strip()
    if lang == "en":
        title = (
            title.rstrip(".")
            if title.lower().rstrip(".") in {"dr", "mr", "mrs", "ms", "prof"}
            else title
        )
    return title


def greeting(customer: Customer, language: str | None = None) -> str:
    """Return the salutation line for ``customer``: "Sehr geehrte Frau Dr. Schmidt", "Hallo Anna", "Dear Dr Smith".

    Uses the customer's preferred language unless ``language`` is given, their form of
    address, salutation, title and preferred name. Falls back to a neutral greeting when the
    name is unknown.
    """
    lang = greeting_language(customer, language)
    first = customer.preferred_name or customer.given_name
    if customer.form_of_address == FormOfAddress.INFORMAL and first:
        return INFORMAL[lang].format(first=first)
    family = customer.family_name
    if not family:
        return ANONYMOUS[lang] + (f" {first}" if first else "")
    title = _title(customer, lang)
    titled = f"{title} {family}" if title else family
    templates = FORMAL[lang]
    if customer.salutation in (Salutation.MR, Salutation.MS):
        if lang == "en" and title and title.lower() not in {"mr", "ms", "mrs"}:
            return f"Dear {titled}"
        return templates[customer.salutation].format(name=titled)
    full = " ".join(p for p in (title, customer.given_name, family) if p)
    return templates["neutral"].format(full=full)


def address_form(customer: Customer) -> str:
    """Return "informal" or "formal": the gettext context our customer texts are chosen by."""
    return "informal" if customer.form_of_address == FormOfAddress.INFORMAL else "formal"


def by_address_form(formal, informal) -> dict:
    """Return a text's two variants keyed by ``address_form``, for choosing by the customer.

    Write each with ``pgettext_lazy("formal", ...)`` and ``pgettext_lazy("informal", ...)``
    and a literal context, so that makemessages finds both.
    """
    return {"formal": formal, "informal": informal}
