"""The raw material of demo data: per-market pools of names, places and phone patterns.

The pools are built once per run from Faker (seeded) and curated lists, then combined in the
generator's tight loop with a seeded ``random.Random``: calling Faker per row is far too slow.
Every string the loop needs is prepared here (folded keys, email parts, JSON-escaped values).
"""

import json
import random
import re
import unicodedata
from dataclasses import dataclass, field

import phonenumbers
from faker import Faker

from rapport.customers.models import fold

# Characters NFKD does not decompose, spelt out for email addresses.
_ASCII_EXTRA = str.maketrans(
    {"ł": "l", "ı": "i", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th"}
)
_NOT_EMAIL = re.compile(r"[^a-z0-9]+")


def email_part(name: str) -> str:
    """Return ``name`` as the ASCII letters of an email local part ("Łukasz" -> "lukasz")."""
    text = fold(name).translate(_ASCII_EXTRA)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_EMAIL.sub("", text)


@dataclass(frozen=True)
class Market:
    """A country the demo shop sells to, with everything that must agree with it."""

    country: str
    language: str
    faker_locale: str
    weight: float
    time_zones: tuple[tuple[str, float], ...]
    formal_share: float
    email_domains: tuple[str, ...]
    # (E.164 prefix after "+", number of random digits, share); mobile and landline ranges.
    phone_patterns: tuple[tuple[str, int, float], ...]
    cities: tuple[str, ...]
    titles: tuple[str, ...] = ("Dr.",)
    title_share: float = 0.02
    whatsapp_share: float = 0.08


MARKETS: tuple[Market, ...] = (
    Market(
        "DE",
        "de",
        "de_DE",
        0.30,
        (("Europe/Berlin", 1.0),),
        0.85,
        ("gmx.example", "web.example", "t-online.example", "mailbox.example", "posteo.example"),
        (
            ("49151", 8, 0.12),
            ("49152", 8, 0.08),
            ("49157", 8, 0.06),
            ("49160", 7, 0.08),
            ("49162", 7, 0.06),
            ("49170", 8, 0.1),
            ("49171", 8, 0.08),
            ("49176", 8, 0.1),
            ("49177", 8, 0.06),
            ("49179", 8, 0.06),
            ("4930", 8, 0.08),
            ("4989", 7, 0.06),
            ("49221", 7, 0.06),
        ),
        (
            "Berlin",
            "Hamburg",
            "München",
            "Köln",
            "Frankfurt am Main",
            "Stuttgart",
            "Düsseldorf",
            "Leipzig",
            "Dortmund",
            "Essen",
            "Bremen",
            "Dresden",
            "Hannover",
            "Nürnberg",
            "Münster",
            "Freiburg im Breisgau",
            "Augsburg",
            "Bonn",
            "Mannheim",
            "Karlsruhe",
            "Kiel",
            "Rostock",
            "Erfurt",
            "Würzburg",
            "Regensburg",
        ),
        ("Dr.", "Dr.", "Dr.", "Prof. Dr."),
        0.05,
        0.05,
    ),
    Market(
        "AT",
        "de",
        "de_AT",
        0.04,
        (("Europe/Vienna", 1.0),),
        0.8,
        ("gmx.example", "aon.example", "chello.example"),
        (("43664", 7, 0.4), ("43676", 7, 0.3), ("43699", 7, 0.2), ("4312", 6, 0.1)),
        ("Wien", "Graz", "Linz", "Salzburg", "Innsbruck", "Klagenfurt", "Villach", "Wels"),
        ("Dr.", "Mag.", "DI", "Prof."),
        0.08,
    ),
    Market(
        "CH",
        "de",
        "de_CH",
        0.03,
        (("Europe/Zurich", 1.0),),
        0.8,
        ("bluewin.example", "gmx.example", "sunrise.example"),
        (("4179", 7, 0.4), ("4178", 7, 0.25), ("4176", 7, 0.25), ("4144", 7, 0.1)),
        ("Zürich", "Basel", "Bern", "Luzern", "St. Gallen", "Winterthur", "Zug", "Thun"),
        ("Dr.", "Prof. Dr."),
        0.05,
    ),
    Market(
        "GB",
        "en",
        "en_GB",
        0.10,
        (("Europe/London", 1.0),),
        0.3,
        ("btinternet.example", "outlook.example", "mailbox.example", "sky.example"),
        (
            ("4473", 8, 0.3),
            ("44771", 7, 0.2),
            ("44780", 7, 0.2),
            ("44795", 7, 0.2),
            ("44207", 7, 0.05),
            ("44161", 7, 0.05),
        ),
        (
            "London",
            "Manchester",
            "Birmingham",
            "Leeds",
            "Bristol",
            "Liverpool",
            "Sheffield",
            "Edinburgh",
            "Glasgow",
            "Cardiff",
            "Nottingham",
            "Brighton",
            "Oxford",
            "Cambridge",
            "York",
        ),
        ("Dr", "Prof."),
        0.02,
        0.05,
    ),
    # US customers: the time zone follows the area code of the phone number (see US_AREAS).
    Market(
        "US",
        "en",
        "en_US",
        0.08,
        (("America/New_York", 1.0),),
        0.25,
        ("mailbox.example", "outlook.example", "yahoo.example", "icloud.example"),
        (),
        (),
        ("Dr.",),
        0.02,
        0.02,
    ),
    Market(
        "FR",
        "fr",
        "fr_FR",
        0.12,
        (("Europe/Paris", 1.0),),
        0.7,
        ("orange.example", "free.example", "laposte.example", "sfr.example"),
        (
            ("3361", 7, 0.2),
            ("3362", 7, 0.15),
            ("3365", 7, 0.15),
            ("3366", 7, 0.15),
            ("3367", 7, 0.15),
            ("3368", 7, 0.1),
            ("331", 8, 0.1),
        ),
        (
            "Paris",
            "Lyon",
            "Marseille",
            "Toulouse",
            "Nice",
            "Nantes",
            "Strasbourg",
            "Montpellier",
            "Bordeaux",
            "Lille",
            "Rennes",
            "Reims",
            "Grenoble",
            "Dijon",
            "Angers",
        ),
        ("Dr", "Pr"),
        0.02,
        0.1,
    ),
    Market(
        "ES",
        "es",
        "es_ES",
        0.10,
        (("Europe/Madrid", 1.0),),
        0.45,
        ("telefonica.example", "hotmail.example", "yahoo.example", "mailbox.example"),
        (("346", 8, 0.9), ("3491", 7, 0.1)),
        (
            "Madrid",
            "Barcelona",
            "Valencia",
            "Sevilla",
            "Zaragoza",
            "Málaga",
            "Murcia",
            "Palma",
            "Bilbao",
            "Alicante",
            "Córdoba",
            "Valladolid",
            "Vigo",
            "Gijón",
            "Granada",
        ),
        ("Dr.", "Dra."),
        0.02,
        0.35,
    ),
    Market(
        "IT",
        "it",
        "it_IT",
        0.10,
        (("Europe/Rome", 1.0),),
        0.6,
        ("libero.example", "virgilio.example", "alice.example", "tiscali.example"),
        (
            ("3932", 8, 0.2),
            ("3933", 8, 0.2),
            ("3934", 8, 0.25),
            ("3938", 8, 0.1),
            ("3939", 8, 0.15),
            ("3902", 8, 0.1),
        ),
        (
            "Roma",
            "Milano",
            "Napoli",
            "Torino",
            "Palermo",
            "Genova",
            "Bologna",
            "Firenze",
            "Bari",
            "Catania",
            "Venezia",
            "Verona",
            "Padova",
            "Trieste",
            "Brescia",
        ),
        ("Dott.", "Dott.ssa", "Prof."),
        0.04,
        0.35,
    ),
    Market(
        "PL",
        "pl",
        "pl_PL",
        0.07,
        (("Europe/Warsaw", 1.0),),
        0.85,
        ("wp.example", "onet.example", "interia.example", "o2.example"),
        (
            ("4850", 7, 0.2),
            ("4851", 7, 0.15),
            ("4860", 7, 0.2),
            ("4866", 7, 0.1),
            ("4872", 7, 0.1),
            ("4878", 7, 0.1),
            ("4879", 7, 0.1),
            ("4822", 7, 0.05),
        ),
        (
            "Warszawa",
            "Kraków",
            "Łódź",
            "Wrocław",
            "Poznań",
            "Gdańsk",
            "Szczecin",
            "Bydgoszcz",
            "Lublin",
            "Katowice",
            "Białystok",
            "Gdynia",
            "Częstochowa",
            "Toruń",
        ),
        ("dr", "prof."),
        0.03,
        0.1,
    ),
    Market(
        "TR",
        "tr",
        "tr_TR",
        0.06,
        (("Europe/Istanbul", 1.0),),
        0.8,
        ("yandex.example", "hotmail.example", "mailbox.example", "turk.example"),
        (
            ("90532", 7, 0.25),
            ("90533", 7, 0.15),
            ("90542", 7, 0.15),
            ("90505", 7, 0.1),
            ("90555", 7, 0.15),
            ("90544", 7, 0.1),
            ("90212", 7, 0.1),
        ),
        (
            "İstanbul",
            "Ankara",
            "İzmir",
            "Bursa",
            "Antalya",
            "Adana",
            "Konya",
            "Gaziantep",
            "Kayseri",
            "Eskişehir",
            "Trabzon",
            "Samsun",
        ),
        ("Dr.", "Prof. Dr."),
        0.03,
        0.4,
    ),
)

#: US area codes with a city and the time zone they lie in: phone, city and zone agree.
US_AREAS: tuple[tuple[str, str, str, float], ...] = (
    ("212", "New York", "America/New_York", 0.2),
    ("617", "Boston", "America/New_York", 0.1),
    ("305", "Miami", "America/New_York", 0.08),
    ("404", "Atlanta", "America/New_York", 0.07),
    ("312", "Chicago", "America/Chicago", 0.15),
    ("512", "Austin", "America/Chicago", 0.07),
    ("303", "Denver", "America/Denver", 0.06),
    ("415", "San Francisco", "America/Los_Angeles", 0.12),
    ("206", "Seattle", "America/Los_Angeles", 0.08),
    ("213", "Los Angeles", "America/Los_Angeles", 0.07),
)

TURKISH_STREETS = (
    "Atatürk Caddesi",
    "Cumhuriyet Caddesi",
    "İstiklal Caddesi",
    "Bağdat Caddesi",
    "Gazi Bulvarı",
    "İnönü Caddesi",
    "Fevzi Çakmak Sokak",
    "Lale Sokak",
    "Menekşe Sokak",
    "Gül Sokak",
    "Çınar Sokak",
    "Zafer Sokak",
    "Kordon Boyu",
    "Mimar Sinan Caddesi",
    "Barbaros Bulvarı",
)


def _json_str(value: str) -> str:
    """Return ``value`` as a JSON string literal, to splice into JSON built by formatting."""
    return json.dumps(value, ensure_ascii=False)


@dataclass
class NamePool:
    """Names of one gender in one market, with their derived forms precomputed."""

    names: list[str]
    keys: list[str]
    email: list[str]


@dataclass
class MarketPool:
    market: Market
    male: NamePool
    female: NamePool
    family: NamePool
    # Address parts as JSON string literals; a custom field JSON is spliced from them.
    streets_json: list[str]
    cities_json: list[str]
    postcodes: list[str]
    companies: list[str]
    phone_prefixes: list[str] = field(default_factory=list)
    phone_digits: list[int] = field(default_factory=list)
    us_zones: list[str] = field(default_factory=list)


def _name_pool(names: set[str]) -> NamePool:
    ordered = sorted(n for n in names if n and email_part(n))
    return NamePool(
        names=ordered,
        keys=[fold(n)[:100] for n in ordered],
        email=[email_part(n) for n in ordered],
    )


def expand(weighted, size: int = 1000) -> list:
    """Return a list in which each item appears in proportion to its weight (for O(1) draws)."""
    total = sum(w for *_, w in weighted)
    items: list = []
    for *item, w in weighted:
        items.extend([item[0] if len(item) == 1 else tuple(item)] * max(1, round(size * w / total)))
    return items


def _phone_table(market: Market) -> tuple[list[str], list[int], list[str]]:
    if market.country == "US":
        table = expand([((f"1{code}", city, zone), w) for code, city, zone, w in US_AREAS], 200)
        return [t[0] for t in table], [7] * len(table), [t[2] for t in table]
    table = expand([((p, d), w) for p, d, w in market.phone_patterns], 200)
    return [t[0] for t in table], [t[1] for t in table], []


def check_phone_patterns() -> None:
    """Raise if a phone pattern yields numbers that are not valid for its country."""
    rnd = random.Random(1)
    for market in MARKETS:
        prefixes, digits, _zones = _phone_table(market)
        for prefix, count in set(zip(prefixes, digits, strict=True)):
            for _ in range(200):
                rest = "".join(str(rnd.randrange(10)) for _ in range(count))
                if market.country == "US":  # exchange codes start with 2-9, as in the generator
                    rest = str(rnd.randrange(2, 10)) + rest[1:]
                number = phonenumbers.parse("+" + prefix + rest)
                if not phonenumbers.is_valid_number(number) or (
                    phonenumbers.region_code_for_number(number) != market.country
                ):
                    raise AssertionError(f"invalid demo phone pattern +{prefix}+{count} digits")


def build_pools(seed: int) -> list[MarketPool]:
    """Return one pool per market, drawn from Faker with ``seed``."""
    pools = []
    for index, market in enumerate(MARKETS):
        fake = Faker(market.faker_locale)
        fake.seed_instance(seed * 101 + index)
        male = {fake.first_name_male() for _ in range(600)}
        female = {fake.first_name_female() for _ in range(600)}
        family = {fake.last_name() for _ in range(1200)}
        if market.country == "TR":
            streets = list(TURKISH_STREETS)
        else:
            streets = sorted({fake.street_name() for _ in range(300)})
        companies = sorted({fake.company() for _ in range(150)})
        postcodes = [fake.postcode() for _ in range(300)]
        prefixes, digits, zones = _phone_table(market)
        if market.country == "US":
            # Aligned with the phone prefixes: one draw gives area code, city and time zone.
            by_prefix = {f"1{code}": city for code, city, _zone, _w in US_AREAS}
            cities = [by_prefix[p] for p in prefixes]
        else:
            cities = list(market.cities)
        pools.append(
            MarketPool(
                market=market,
                male=_name_pool(male),
                female=_name_pool(female),
                family=_name_pool(family),
                streets_json=[_json_str(s) for s in streets],
                cities_json=[_json_str(c) for c in cities],
                postcodes=postcodes,
                companies=companies,
                phone_prefixes=prefixes,
                phone_digits=digits,
                us_zones=zones,
            )
        )
    return pools
