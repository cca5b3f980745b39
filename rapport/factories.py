"""Factories for tests: one per model, producing valid, realistic rows."""

from decimal import Decimal

import factory
from django.utils import timezone

from rapport.accounts.models import Role, Team, User
from rapport.commerce.models import Order, OrderLine, OrderStatus, Product
from rapport.customers.models import ContactKind, ContactPoint, Customer, Organization
from rapport.timeline.models import EventKind, TimelineEvent


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.AGENT
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Faker("company")
    country = "DE"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    language = "de"
    country = "DE"
    time_zone = "Europe/Berlin"


class ContactPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPoint

    customer = factory.SubFactory(CustomerFactory)
    kind = ContactKind.EMAIL
    value = factory.Sequence(lambda n: f"person{n}@example.org")
    normalized = factory.LazyAttribute(lambda c: c.value.lower())
    is_primary = True


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Faker("word")
    category = "Audio"
    price = Decimal("49.90")
    currency = "EUR"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"R-{n:06d}")
    ordered_at = factory.LazyFunction(timezone.now)
    status = OrderStatus.PAID
    currency = "EUR"
    total = Decimal("49.90")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    name = "Item"
    quantity = 1
    unit_price = Decimal("49.90")
    line_total = Decimal("49.90")


class TimelineEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEvent

    customer = factory.SubFactory(CustomerFactory)
    kind = EventKind.NOTE
    title = "A note"
