"""Routing new conversations: language, team by rule, VIP to account manager, automatic assignment."""

import pytest

from rapport.accounts.models import Role
from rapport.factories import CustomerFactory, TeamFactory, UserFactory
from rapport.helpdesk import actions
from rapport.helpdesk.models import (
    AssignmentMode,
    Channel,
    EventKind,
    Priority,
    RoutingRule,
    TeamQueue,
)
from rapport.helpdesk.routing import detect_language

pytestmark = pytest.mark.django_db


def receive(customer, text="Meine Lieferung ist nicht angekommen.", subject="Lieferung", **kw):
    kw.setdefault("channel", Channel.EMAIL)
    conversation = actions.receive_message(
        customer=customer, subject=subject, body_text=text, **kw
    ).message.conversation
    conversation.refresh_from_db()
    return conversation


def routed(conversation) -> list[dict]:
    return conversation.events.get(kind=EventKind.ROUTED).data["reasons"]


def reason(conversation, code) -> dict:
    return next(r for r in routed(conversation) if r["code"] == code)


@pytest.fixture
def billing(db):
    team = TeamFactory(name="Invoices")
    TeamQueue.objects.create(team=team, assignment=AssignmentMode.LEAST_LOADED)
    return team


def agent(username, team, languages=("de",), **kw):
    user = UserFactory(username=username, role=Role.AGENT, spoken_languages=list(languages), **kw)
    user.teams.add(team)
    return user


def test_keyword_rule_sends_the_conversation_to_its_team_and_says_why(cast, billing):
    RoutingRule.objects.create(name="Billing", keywords="Rechnung, invoice", team=billing)
    conversation = receive(cast.customer, "Meine Rechnung ist doppelt abgebucht worden.")
    assert conversation.team == billing
    assert reason(conversation, "rule") == {
        "code": "rule",
        "rule": "Billing",
        "rule_id": RoutingRule.objects.get().pk,
        "keyword": "Rechnung",
    }
    team_event = conversation.events.get(kind=EventKind.TEAM)
    assert "Billing" in team_event.data["reason"]


def test_first_matching_rule_by_position_wins(cast, billing):
    other = TeamFactory(name="Escalations")
    RoutingRule.objects.create(name="Late", position=20, keywords="Rechnung", team=other)
    RoutingRule.objects.create(name="Early", position=10, keywords="rechnung", team=billing)
    RoutingRule.objects.create(
        name="Off", position=1, keywords="rechnung", team=other, is_active=False
    )
    assert receive(cast.customer, "Rechnung falsch").team == billing


def test_rule_by_channel_and_language_must_all_hold(cast, billing):
    RoutingRule.objects.create(
        name="English chat", channel=Channel.CHAT, language="en", team=billing
    )
    assert receive(cast.customer, channel=Channel.CHAT).team is None  # customer speaks German
    cast.other_customer.language = "en"
    cast.other_customer.save()
    assert receive(cast.other_customer, "Hello there", channel=Channel.CHAT).team == billing
    assert receive(cast.other_customer, "Hello there", channel=Channel.EMAIL).team is None


def test_rule_by_vip_and_customer_tag(cast, billing):
    from rapport.customers.models import Tag

    gold = Tag.objects.create(name="gold")
    RoutingRule.objects.create(name="Gold", customer_tag=gold, team=billing)
    assert receive(cast.customer).team is None
    cast.customer.tags.add(gold)
    assert receive(cast.customer).team == billing
    vip_team = TeamFactory(name="VIP desk")
    RoutingRule.objects.create(name="VIP", position=1, vip_only=True, team=vip_team)
    cast.customer.is_vip = True
    cast.customer.save()
    assert receive(cast.customer).team == vip_team


def test_rule_can_set_priority_and_tags(cast, billing):
    RoutingRule.objects.create(
        name="Outage",
        keywords="down",
        team=billing,
        set_priority=Priority.URGENT,
        add_tags="outage, p1",
    )
    conversation = receive(cast.customer, "The shop is down!")
    assert conversation.priority == Priority.URGENT
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["outage", "p1"]


def test_vip_customer_goes_to_the_account_manager(cast, billing):
    RoutingRule.objects.create(name="All", team=billing)
    agent("hilde", billing)
    cast.customer.is_vip = True
    cast.customer.account_manager = cast.manager
    cast.customer.save()
    conversation = receive(cast.customer)
    assert conversation.assignee == cast.manager
    assert reason(conversation, "vip_account_manager")["agent"]


def test_least_loaded_agent_who_speaks_the_language_gets_the_conversation(cast, billing):
    RoutingRule.objects.create(name="All", team=billing)
    busy = agent("busy", billing)
    free = agent("free", billing)
    agent("english_only", billing, languages=("en",))
    for _ in range(2):
        c = receive(CustomerFactory())
        actions.assign_conversation(conversation=c, actor=None, assignee=busy)
    conversation = receive(cast.customer)
    assert conversation.assignee == free
    assert reason(conversation, "least_loaded")["language"] == "de"


def test_round_robin_takes_turns(cast, billing):
    TeamQueue.objects.filter(team=billing).update(assignment=AssignmentMode.ROUND_ROBIN)
    RoutingRule.objects.create(name="All", team=billing)
    first = agent("first", billing)
    second = agent("second", billing)
    got = [receive(CustomerFactory()).assignee for _ in range(3)]
    assert got == [first, second, first]


def test_away_agents_are_skipped_and_nobody_available_leaves_it_in_the_team_queue(cast, billing):
    RoutingRule.objects.create(name="All", team=billing)
    agent("away", billing, is_available=False)
    agent("french", billing, languages=("fr",))
    UserFactory(username="marketing", role=Role.MARKETER, spoken_languages=["de"]).teams.add(
        billing
    )
    conversation = receive(cast.customer)
    assert conversation.team == billing
    assert conversation.assignee is None
    assert reason(conversation, "nobody_available")["language"] == "de"


def test_team_with_manual_assignment_assigns_nobody(cast, billing):
    TeamQueue.objects.filter(team=billing).update(assignment=AssignmentMode.MANUAL)
    RoutingRule.objects.create(name="All", team=billing)
    agent("ready", billing)
    assert receive(cast.customer).assignee is None


def test_language_is_detected_from_the_text_when_the_customer_has_none(cast):
    customer = CustomerFactory(language="")
    conversation = receive(
        customer,
        "Hello, the jacket I ordered last week arrived in the wrong size. Can I exchange it?",
        subject="Wrong size",
    )
    assert conversation.language == "en"
    assert reason(conversation, "language")["source"] == "detected"


def test_the_first_detected_language_becomes_the_customer_s_preference(cast):
    customer = CustomerFactory(language="")
    receive(
        customer, "Guten Tag, meine Jacke kam in der falschen Größe an. Kann ich sie umtauschen?"
    )
    customer.refresh_from_db()
    assert customer.language == "de"
    change = customer.timeline_events.get(kind="profile")
    assert change.data["changes"]["language"] == ["", "de"]
    # From then on the stored preference decides, whatever a later message is written in.
    later = receive(customer, "Hello, the jacket arrived in the wrong size. Can I exchange it?")
    assert later.language == "de" and reason(later, "language")["source"] == "customer"


def test_an_undetected_language_leaves_the_preference_empty(cast):
    customer = CustomerFactory(language="")
    receive(customer, "ok super danke", subject="")
    customer.refresh_from_db()
    assert customer.language == ""


def test_customers_stored_language_wins_over_detection(cast):
    conversation = receive(cast.customer, "Hello, the jacket arrived in the wrong size, sorry.")
    assert conversation.language == "de"
    assert reason(conversation, "language")["source"] == "customer"


def test_very_short_text_is_not_guessed(cast):
    customer = CustomerFactory(language="")
    conversation = receive(customer, "ok super danke", subject="")
    assert conversation.language == ""
    assert reason(conversation, "language")["source"] == "unknown"
    assert detect_language("ok super danke") == ("", 0.0)


def test_detection_knows_german_and_english():
    assert (
        detect_language("Guten Tag, meine Rechnung ist leider falsch, bitte korrigieren Sie das.")[
            0
        ]
        == "de"
    )
    assert (
        detect_language("Good morning, my invoice is wrong, could you please correct it?")[0]
        == "en"
    )


def test_no_matching_rule_leaves_the_conversation_in_the_general_queue(cast, billing):
    RoutingRule.objects.create(name="Billing", keywords="Rechnung", team=billing)
    conversation = receive(cast.customer, "Wo ist mein Paket?")
    assert conversation.team is None and conversation.assignee is None
    assert reason(conversation, "no_team")


def test_routing_reasons_are_shown_on_the_conversation_page(agent_client, cast):
    RoutingRule.objects.create(name="First level", keywords="Paket", team=cast.team_a)
    conversation = receive(cast.customer, "Wo ist mein Paket?")
    content = agent_client.get(f"/helpdesk/{conversation.pk}/").content.decode()
    assert "rule “First level” matched keyword “Paket”" in content
    assert "language de from the customer" in content
