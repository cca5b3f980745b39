"""The demo data: realistic, internally consistent, and usable afterwards (SQLite and PostgreSQL)."""

import stat
from collections import Counter
from decimal import Decimal

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import validate_email
from django.db.models import Count, Sum

from rapport.accounts.models import Role, User
from rapport.commerce.models import Order, OrderLine
from rapport.commerce.money import format_money
from rapport.customers.actions import ContactInput, create_customer
from rapport.customers.models import ContactPoint, Customer, fold
from rapport.demo.actions import create_demo_staff, load_demo_data
from rapport.demo.generator import _format_total
from rapport.demo.pools import MARKETS, US_AREAS, check_phone_patterns
from rapport.timeline.models import TimelineEvent

ZONES = {
    "DE": {"Europe/Berlin"},
    "AT": {"Europe/Vienna"},
    "CH": {"Europe/Zurich"},
    "GB": {"Europe/London"},
    "US": {zone for _code, _city, zone, _w in US_AREAS},
    "FR": {"Europe/Paris"},
    "ES": {"Europe/Madrid"},
    "IT": {"Europe/Rome"},
    "PL": {"Europe/Warsaw"},
    "TR": {"Europe/Istanbul"},
}
LANGUAGE = {m.country: m.language for m in MARKETS}


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    create_demo_staff()
    return load_demo_data(customers=300, seed=7, events_per_customer=6)


def test_load_writes_the_requested_customers_with_their_rows(demo):
    assert Customer.objects.count() == 300
    assert demo.customers == 300
    assert ContactPoint.objects.count() == demo.contact_points >= 300
    assert Order.objects.count() == demo.orders > 0
    assert OrderLine.objects.count() == demo.order_lines >= demo.orders
    assert TimelineEvent.objects.count() == demo.events
    assert Customer.objects.filter(contact_points__isnull=True).count() == 0


def test_every_phone_is_valid_e164_for_the_customers_country(demo):
    phones = ContactPoint.objects.filter(kind="phone").select_related("customer")
    assert phones.count() > 150
    for point in phones:
        number = phonenumbers.parse(point.value)
        assert phonenumbers.is_valid_number(number), point.value
        assert point.value == point.normalized
        assert point.value == phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.E164
        )
        assert phonenumbers.region_code_for_number(number) == point.customer.country


def test_phone_patterns_of_every_market_are_valid():
    check_phone_patterns()


def test_every_email_is_valid_lowercase_and_unique(demo):
    emails = list(ContactPoint.objects.filter(kind="email").values_list("value", "normalized"))
    assert len(emails) > 250
    for value, normalized in emails:
        validate_email(value)
        assert normalized == value.lower()
        assert value.isascii()
    assert len({n for _v, n in emails}) == len(emails)


def test_language_country_and_time_zone_agree(demo):
    for country, language, zone in Customer.objects.values_list("country", "language", "time_zone"):
        assert LANGUAGE[country] == language
        assert zone in ZONES[country]


def test_at_least_seven_languages_are_present(demo):
    assert Customer.objects.values("language").distinct().count() >= 7


def test_keys_and_salutations_are_consistent(demo):
    for customer in Customer.objects.all():
        assert customer.family_key == fold(customer.family_name)
        assert customer.given_key == fold(customer.given_name)
        assert customer.salutation in {"mr", "ms", "mx"}
        assert customer.created_at <= customer.updated_at


def test_order_totals_equal_the_sum_of_their_lines(demo):
    orders = Order.objects.annotate(line_sum=Sum("lines__line_total"))
    for order in orders:
        assert isinstance(order.total, Decimal)
        assert order.total == order.line_sum
    for line in OrderLine.objects.all()[:500]:
        assert line.line_total == line.unit_price * line.quantity


def test_leads_have_no_orders_and_buyers_do(demo):
    assert not Order.objects.filter(customer__lifecycle_stage="lead").exists()
    buyers = Customer.objects.exclude(lifecycle_stage="lead")
    assert buyers.exists()
    assert buyers.filter(orders__isnull=True).count() == 0


def test_repeat_purchases_are_skewed(demo):
    counts = Counter(
        Customer.objects.annotate(n=Count("orders")).filter(n__gt=0).values_list("n", flat=True)
    )
    buyers = sum(counts.values())
    assert counts[1] > buyers / 2
    assert sum(v for n, v in counts.items() if n >= 5) >= 3


def test_every_order_has_an_order_event(demo):
    assert TimelineEvent.objects.filter(kind="order").count() == Order.objects.count()
    assert TimelineEvent.objects.filter(kind="profile").count() == 300


def test_the_same_seed_gives_the_same_names(db):
    load_demo_data(customers=50, seed=11, orders=False)
    first = list(Customer.objects.order_by("id").values_list("given_name", "family_name"))
    Customer.objects.all().delete()
    load_demo_data(customers=50, seed=11, orders=False)
    second = list(Customer.objects.order_by("id").values_list("given_name", "family_name"))
    assert first == second


def test_ids_and_sequences_work_after_a_load(demo, cast):
    customer = create_customer(
        actor=cast.agent,
        profile={"given_name": "Neu", "family_name": "Kundin", "country": "DE"},
        contacts=ContactInput(emails=["neu.kundin@example.org"], phones=["+49 151 23456789"]),
    )
    assert customer.pk > Customer.objects.exclude(pk=customer.pk).order_by("-pk")[0].pk
    assert customer.contact_points.count() == 2


def test_if_empty_twice_creates_the_admin_once(db, settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("demo", "--if-empty", "--customers", "30", "--seed", "3")
    out = capsys.readouterr().out
    admin = User.objects.get(username="admin")
    assert admin.role == Role.ADMIN and admin.is_superuser
    password_line = next(line for line in out.splitlines() if "password:" in line)
    assert admin.check_password(password_line.split("password:")[1].strip())
    path = tmp_path / "demo-admin.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert User.objects.filter(role__in=[Role.MANAGER, Role.AGENT, Role.MARKETER]).count() >= 3
    assert Customer.objects.count() == 30

    call_command("demo", "--if-empty", "--customers", "30")
    out = capsys.readouterr().out
    assert "skipped" in out and str(path) in out
    assert User.objects.filter(username="admin").count() == 1
    assert Customer.objects.count() == 30


def test_order_titles_format_money_like_babel():
    for cents in (0, 5, 1290, 123450, 123456789):
        amount = Decimal(cents) / 100
        assert _format_total(cents, "en") == format_money(amount, "EUR", "en")
        assert _format_total(cents, "de") == format_money(amount, "EUR", "de")


def test_negative_count_is_refused(db):
    with pytest.raises(ValueError):
        load_demo_data(customers=-1)


def test_no_orders_makes_everyone_a_lead(db):
    load_demo_data(customers=40, seed=5, orders=False)
    assert not Order.objects.exists()
    assert set(Customer.objects.values_list("lifecycle_stage", flat=True)) == {"lead"}


def test_demo_customers_pass_the_profile_validation(demo):
    from rapport.customers.actions import clean_profile

    for customer in Customer.objects.all()[:100]:
        try:
            clean_profile(
                {
                    "given_name": customer.given_name,
                    "family_name": customer.family_name,
                    "language": customer.language,
                    "country": customer.country,
                    "time_zone": customer.time_zone,
                    "salutation": customer.salutation,
                    "form_of_address": customer.form_of_address,
                    "preferred_channel": customer.preferred_channel,
                    "lifecycle_stage": customer.lifecycle_stage,
                    "birthday": customer.birthday,
                }
            )
        except ValidationError as exc:  # pragma: no cover - shows which field
            pytest.fail(f"customer {customer.pk}: {exc}")
