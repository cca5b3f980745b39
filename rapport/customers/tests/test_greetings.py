from datetime import UTC, datetime

import pytest

from rapport.customers.greetings import greeting
from rapport.customers.models import Customer, FormOfAddress, Salutation


def make(**kwargs) -> Customer:
    defaults = {"form_of_address": FormOfAddress.FORMAL}
    return Customer(**{**defaults, **kwargs})


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        (
            make(
                given_name="Anna",
                family_name="Schmidt",
                title="Dr.",
                salutation=Salutation.MS,
                language="de",
            ),
            "Sehr geehrte Frau Dr. Schmidt",
        ),
        (
            make(given_name="Jörg", family_name="Müller", salutation=Salutation.MR, language="de"),
            "Sehr geehrter Herr Müller",
        ),
        (
            make(
                given_name="Anna",
                family_name="Schmidt",
                form_of_address=FormOfAddress.INFORMAL,
                language="de",
            ),
            "Hallo Anna",
        ),
        (
            make(
                given_name="John",
                family_name="Smith",
                title="Dr.",
                salutation=Salutation.MR,
                language="en",
            ),
            "Dear Dr Smith",
        ),
        (
            make(given_name="Jane", family_name="Smith", salutation=Salutation.MS, language="en"),
            "Dear Ms Smith",
        ),
        (
            make(given_name="Kim", family_name="Lee", salutation=Salutation.MX, language="en"),
            "Dear Kim Lee",
        ),
        (
            make(given_name="Kim", family_name="Berg", salutation=Salutation.MX, language="de"),
            "Guten Tag Kim Berg",
        ),
        (
            make(given_name="Marie", family_name="Dubois", salutation=Salutation.MS, language="fr"),
            "Madame Dubois",
        ),
        (
            make(given_name="Ayşe", family_name="Yılmaz", salutation=Salutation.MS, language="tr"),
            "Sayın Yılmaz Hanım",
        ),
        (
            make(
                given_name="Elizabeth",
                preferred_name="Liz",
                family_name="Ray",
                form_of_address=FormOfAddress.INFORMAL,
                language="en",
            ),
            "Hi Liz",
        ),
        (make(given_name="", family_name="", language="de"), "Guten Tag"),
    ],
)
def test_greeting_follows_language_form_of_address_salutation_and_title(customer, expected):
    assert greeting(customer) == expected


def test_greeting_can_be_rendered_in_another_language_than_the_preferred_one():
    customer = make(
        given_name="Anna", family_name="Schmidt", salutation=Salutation.MS, language="de"
    )
    assert greeting(customer, language="en") == "Dear Ms Schmidt"


def test_unknown_language_falls_back_to_english():
    customer = make(given_name="Sven", family_name="Olsen", salutation=Salutation.MR, language="sv")
    assert greeting(customer) == "Dear Mr Olsen"


def test_local_time_uses_the_customers_time_zone():
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert make(time_zone="America/New_York").local_time(moment).hour == 8
    assert make(time_zone="Europe/Berlin").local_time(moment).hour == 14
    assert make(time_zone="").local_time(moment) is None
    assert make(time_zone="Not/AZone").local_time(moment) is None
