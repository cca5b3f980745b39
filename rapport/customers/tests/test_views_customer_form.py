import pytest
from django.urls import reverse

from rapport.customers.models import Customer, CustomFieldDefinition
from rapport.factories import OrganizationFactory
from rapport.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db

CREATE = reverse("customers:create")


def valid(**overrides) -> dict:
    data = {
        "title": "Dr.",
        "given_name": "Clara",
        "family_name": "Weiß",
        "salutation": "ms",
        "form_of_address": "formal",
        "language": "de",
        "country": "DE",
        "time_zone": "Europe/Berlin",
        "lifecycle_stage": "lead",
        "emails": "clara@example.org\nc.weiss@example.com",
        "phones": "030 1234567",
        "tags": "Newsletter, VIP ",
        "birthday": "1980-02-03",
    }
    data.update(overrides)
    return data


def test_create_form_offers_all_profile_fields_and_named_choices(agent_client, cast):
    html = agent_client.get(CREATE).content.decode()
    for name in (
        "given_name",
        "family_name",
        "emails",
        "phones",
        "language",
        "country",
        "time_zone",
        "account_manager",
        "tags",
        "organization",
        "is_vip",
    ):
        assert f'name="{name}"' in html
    assert '<option value="de">German</option>' in html
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in html


def test_creating_a_customer_saves_profile_contacts_and_tags(agent_client, cast):
    org = OrganizationFactory(name="Acme GmbH")
    response = agent_client.post(
        CREATE,
        valid(
            organization=f"Acme GmbH #{org.pk}",
            account_manager=str(cast.manager.pk),
            is_vip="on",
        ),
    )
    customer = Customer.objects.get(family_name="Weiß")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.organization == org and customer.account_manager == cast.manager
    assert customer.is_vip and str(customer.birthday) == "1980-02-03"
    assert sorted(customer.contact_points.values_list("normalized", flat=True)) == [
        "+49301234567",
        "c.weiss@example.com",
        "clara@example.org",
    ]
    assert sorted(customer.tags.values_list("name", flat=True)) == ["Newsletter", "VIP"]


def test_organization_can_be_given_by_its_exact_name(agent_client, cast):
    org = OrganizationFactory(name="Kaffeehaus Müller")
    agent_client.post(CREATE, valid(organization="kaffeehaus müller"))
    assert Customer.objects.get(family_name="Weiß").organization == org


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("emails", "clara@example.org\nnot-an-email", "is not a valid email address"),
        ("phones", "12", "is not a valid phone number"),
        ("time_zone", "Mars/Olympus", "is not a known time zone"),
        ("language", "xx", "is not a known language code"),
        ("country", "XX", "is not a known country code"),
        ("birthday", "2999-01-01", "The birthday must lie between 1900 and today."),
        ("organization", "Nobody Inc", "There is no organization"),
    ],
)
def test_invalid_input_is_shown_next_to_the_field_and_nothing_is_saved(
    agent_client, cast, field, value, message
):
    response = agent_client.post(CREATE, valid(**{field: value}))
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in str(e) for e in form.errors[field])
    assert message in response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert not Customer.objects.filter(family_name="Weiß").exists()
    assert not TimelineEvent.objects.filter(title="Customer created").exists()


def test_a_customer_needs_a_name(agent_client, cast):
    response = agent_client.post(CREATE, valid(given_name="", family_name=""))
    assert response.context["form"].errors["family_name"]


def test_custom_fields_are_rendered_by_type_and_errors_shown_next_to_them(agent_client, cast):
    CustomFieldDefinition.objects.create(key="size", label="Shoe size", field_type="number")
    CustomFieldDefinition.objects.create(
        key="plan", label="Plan", field_type="choice", choices=["basic", "pro"], required=True
    )
    html = agent_client.get(CREATE).content.decode()
    assert 'name="cf_size"' in html and '<option value="pro">pro</option>' in html
    response = agent_client.post(CREATE, valid(cf_size="big", cf_plan=""))
    form = response.context["form"]
    assert form.errors["cf_size"] and form.errors["cf_plan"]
    assert not Customer.objects.filter(family_name="Weiß").exists()
    agent_client.post(CREATE, valid(cf_size="42", cf_plan="pro"))
    assert Customer.objects.get(family_name="Weiß").custom_fields == {"size": 42, "plan": "pro"}


def test_editing_changes_the_profile_and_records_it(agent_client, cast):
    url = reverse("customers:edit", args=[cast.customer.pk])
    form = agent_client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data.update(preferred_name="Annie", country="AT", tags="Gold")
    response = agent_client.post(url, data)
    assert response.status_code == 302
    cast.customer.refresh_from_db()
    assert cast.customer.preferred_name == "Annie" and cast.customer.country == "AT"
    assert list(cast.customer.tags.values_list("name", flat=True)) == ["Gold"]
    assert TimelineEvent.objects.filter(customer=cast.customer, title="Profile changed").exists()


def test_edit_with_an_invalid_time_zone_changes_nothing(agent_client, cast):
    url = reverse("customers:edit", args=[cast.customer.pk])
    response = agent_client.post(
        url, {"given_name": "X", "family_name": "Y", "time_zone": "Nowhere"}
    )
    assert response.status_code == 400 and response.context["form"].errors["time_zone"]
    cast.customer.refresh_from_db()
    assert cast.customer.given_name == "Anna"


def test_edit_form_has_no_contact_fields(agent_client, cast):
    html = agent_client.get(reverse("customers:edit", args=[cast.customer.pk])).content.decode()
    assert 'name="emails"' not in html and 'value="Anna"' in html


def test_organization_suggestions_list_matching_names(agent_client, cast):
    org = OrganizationFactory(name="Bäckerei Lutz")
    OrganizationFactory(name="Other")
    response = agent_client.get(
        reverse("customers:organization_suggest"), {"organization": "backer"}
    )
    assert response.content.decode().strip() == (
        f'<option value="Bäckerei Lutz #{org.pk}">Bäckerei Lutz</option>'
    )
