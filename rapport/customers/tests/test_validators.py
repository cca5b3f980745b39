import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from rapport.customers import validators


@pytest.mark.parametrize(
    "value",
    [
        "anna@example.org",
        "Anna.Mueller+crm@Mail.Example.DE",
        "a_b-c@sub-domain.example.co.uk",
        "x@y.museum",
        "no-at-sign",
        "two@@example.org",
        "dot.@example.org",
        ".dot@example.org",
        "a..b@example.org",
        "a@-example.org",
        "a@example-.org",
        "a@example",
        "a@example.c",
        "müller@example.de",
        "a@exämple.de",
        "a b@example.org",
        '"quoted"@example.org',
        "a@[127.0.0.1]",
        "user@localhost",
        "a@example.123",
        "x" * 250 + "@example.org",
        "",
    ],
)
def test_email_verdicts_equal_djangos(value):
    try:
        validate_email(value.strip())
        django_ok = True
    except ValidationError:
        django_ok = False
    try:
        normalized = validators.normalize_email(value)
        ours_ok = True
    except ValidationError:
        ours_ok = False
    assert ours_ok == django_ok
    if ours_ok:
        assert normalized == value.strip().lower()


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("030 1234567", "DE", "+49301234567"),
        ("+49 (0)30 1234567", None, "+49301234567"),
        ("0043 664 1234567", "DE", "+436641234567"),
        ("020 7946 0958", "GB", "+442079460958"),
    ],
)
def test_phone_numbers_are_stored_as_e164(raw, region, expected):
    assert validators.normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["123", "+49 12", "call me", "", "+999 1234567"])
def test_invalid_phone_numbers_are_rejected(raw):
    with pytest.raises(ValidationError) as info:
        validators.normalize_phone(raw, "DE")
    assert info.value.code == "invalid_phone"


def test_time_zone_language_and_country_codes_are_checked_and_normalised():
    assert validators.validate_time_zone("Europe/Berlin") == "Europe/Berlin"
    assert validators.validate_language("de-AT") == "de"
    assert validators.validate_country("at") == "AT"
    for func, bad in (
        (validators.validate_time_zone, "Europe/Atlantis"),
        (validators.validate_language, "klingon"),
        (validators.validate_country, "EU"),
    ):
        with pytest.raises(ValidationError):
            func(bad)


def test_social_handles_are_normalised_per_platform():
    assert validators.normalize_social("instagram", "@Anna.Shop") == "instagram:anna.shop"
    with pytest.raises(ValidationError):
        validators.normalize_social("myspace", "anna")
    with pytest.raises(ValidationError):
        validators.normalize_social("x", "has spaces")
