"""Reply templates: the variant that fits the customer, safe placeholders, actions, who edits what."""

import pytest

from rapport.factories import OrderFactory
from rapport.helpdesk import macros
from rapport.helpdesk.models import (
    Formality,
    Message,
    Priority,
    ReplyTemplate,
    ReplyTemplateVariant,
    Status,
)
from rapport.helpdesk.tests.helpers import conversation_for

pytestmark = pytest.mark.django_db


def make_template(owner=None, **variants):
    template = ReplyTemplate.objects.create(name="Greeting", owner=owner)
    for key, body in variants.items():
        language, _, formality = key.partition("_")
        ReplyTemplateVariant.objects.create(
            template=template, language=language, formality=formality, body=body
        )
    return template


def variant(template, language, formality):
    chosen = macros.choose_variant(
        list(template.variants.all()), language=language, formality=formality
    )
    return chosen.body if chosen else None


def test_variant_matches_language_and_form_of_address(db):
    t = make_template(de_formal="Sie", de_informal="du", en="you")
    assert variant(t, "de", Formality.FORMAL) == "Sie"
    assert variant(t, "de", Formality.INFORMAL) == "du"
    assert variant(t, "en", Formality.INFORMAL) == "you"


def test_variant_falls_back_to_the_other_formality_then_the_default_language(db, settings):
    settings.LANGUAGE_CODE = "en"
    t = make_template(de_formal="Sie", en="you")
    assert variant(t, "de", Formality.INFORMAL) == "Sie"
    assert variant(t, "fr", Formality.FORMAL) == "you"
    assert variant(t, "", Formality.FORMAL) == "you"


def test_variant_without_language_serves_any_language(db, settings):
    settings.LANGUAGE_CODE = "en"
    t = make_template(**{"": "generic", "de_formal": "Sie"})
    assert variant(t, "fr", Formality.FORMAL) == "generic"
    assert variant(t, "de", Formality.FORMAL) == "Sie"


def test_placeholders_are_filled_from_customer_order_and_agent(cast):
    cast.customer.salutation = "ms"
    cast.customer.save()
    OrderFactory(customer=cast.customer, number="ORD-1")
    OrderFactory(customer=cast.customer, number="ORD-2")
    conversation = conversation_for(cast.customer, team=cast.team_a)
    t = make_template(
        de_formal="{{ customer.greeting }}, Bestellung {{order.number}} zu {{ conversation.number }}. {{ agent.first_name }}"
    )
    body = macros.render_template(t, conversation=conversation, agent=cast.agent).body
    assert body == (
        f"Sehr geehrte Frau Schmidt, Bestellung ORD-2 zu {conversation.number}. "
        f"{cast.agent.first_name}"
    )


def test_unknown_placeholders_stay_visible_and_nothing_else_is_evaluated(cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    t = make_template(
        de_formal="{{ customer.portal_user.password }} {{ settings.SECRET_KEY }} {% debug %} {{ x }}"
    )
    body = macros.render_template(t, conversation=conversation, agent=cast.agent).body
    assert (
        body == "{{ customer.portal_user.password }} {{ settings.SECRET_KEY }} {% debug %} {{ x }}"
    )


def test_customer_data_that_looks_like_a_placeholder_is_not_expanded(cast):
    cast.customer.given_name = "{{ agent.full_name }}"
    cast.customer.form_of_address = "informal"
    cast.customer.save()
    conversation = conversation_for(cast.customer, team=cast.team_a)
    t = make_template(de_informal="{{ customer.first_name }}")
    body = macros.render_template(t, conversation=conversation, agent=cast.agent).body
    assert body == "{{ agent.full_name }}"


def test_render_endpoint_returns_the_filled_in_variant(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    t = make_template(de_formal="Hallo {{ customer.last_name }}")
    t.set_status = Status.PENDING
    t.save()
    data = agent_client.get(f"/helpdesk/{conversation.pk}/templates/{t.pk}/").json()
    assert data["body"] == "Hallo Schmidt"
    assert data["status"] == "pending"


def test_someone_elses_personal_template_cannot_be_used(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    t = make_template(owner=cast.other_agent, de_formal="private")
    assert agent_client.get(f"/helpdesk/{conversation.pk}/templates/{t.pk}/").status_code == 404


def test_sending_with_a_template_applies_its_actions(agent_client, cast):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    t = make_template(de_formal="Done")
    t.set_priority = Priority.LOW
    t.add_tags = "faq, shipping"
    t.set_status = Status.SOLVED
    t.save()
    form = agent_client.get(f"/helpdesk/{conversation.pk}/").context["reply_form"]
    agent_client.post(
        f"/helpdesk/{conversation.pk}/reply/",
        {
            "body": "Done, edited",
            "channel": "email",
            "template": t.pk,
            "loaded_at": form.initial["loaded_at"],
            "last_outbound": form.initial["last_outbound"],
        },
    )
    conversation.refresh_from_db()
    assert Message.objects.filter(conversation=conversation, body_text="Done, edited").exists()
    assert conversation.priority == Priority.LOW
    assert conversation.status == Status.SOLVED
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["faq", "shipping"]


def test_seeded_templates_have_german_and_english_variants(db):
    seeded = ReplyTemplate.objects.filter(owner=None)
    assert seeded.count() >= 3
    for template in seeded:
        languages = set(template.variants.values_list("language", "formality"))
        assert {("de", "formal"), ("de", "informal"), ("en", "")} <= languages


def variant_post(name, shared=False, **extra):
    data = {
        "name": name,
        "set_status": "",
        "set_priority": "",
        "add_tags": "",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "12",
        "variants-0-language": "en",
        "variants-0-formality": "",
        "variants-0-body": "Hello {{ customer.first_name }}",
    }
    if shared:
        data["shared"] = "on"
    data.update(extra)
    return data


def test_agent_creates_a_personal_template_even_when_asking_to_share(agent_client, cast):
    response = agent_client.post("/helpdesk/templates/new/", variant_post("Mine", shared=True))
    assert response.status_code == 302
    template = ReplyTemplate.objects.get(name="Mine")
    assert template.owner == cast.agent
    assert template.variants.get().body == "Hello {{ customer.first_name }}"


def test_manager_creates_a_shared_template(client, cast):
    client.force_login(cast.manager)
    client.post("/helpdesk/templates/new/", variant_post("Team wide", shared=True))
    assert ReplyTemplate.objects.get(name="Team wide").owner is None


def test_agent_cannot_edit_a_shared_template(agent_client, cast):
    shared = ReplyTemplate.objects.filter(owner=None).first()
    assert agent_client.get(f"/helpdesk/templates/{shared.pk}/").status_code == 404
    assert agent_client.post(f"/helpdesk/templates/{shared.pk}/delete/").status_code == 404


def test_template_without_any_text_is_refused_and_nothing_saved(agent_client, cast):
    response = agent_client.post(
        "/helpdesk/templates/new/", variant_post("Empty", **{"variants-0-body": ""})
    )
    assert response.status_code == 400
    assert not ReplyTemplate.objects.filter(name="Empty").exists()


def test_template_list_shows_shared_and_own_but_not_others_personal(agent_client, cast):
    make_template(owner=cast.other_agent, en="x").__class__.objects.filter(
        owner=cast.other_agent
    ).update(name="Not yours")
    make_template(owner=cast.agent, en="y").__class__.objects.filter(owner=cast.agent).update(
        name="Yours"
    )
    content = agent_client.get("/helpdesk/templates/").content.decode()
    assert "Yours" in content and "Thanks, we are on it" in content
    assert "Not yours" not in content
