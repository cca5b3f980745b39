"""Tier benefits in the helpdesk: routing rules and SLA policies with "loyalty tier at least"."""

import pytest

from rapport.factories import TeamFactory
from rapport.helpdesk import actions as helpdesk
from rapport.helpdesk.models import Channel, EventKind, Priority, RoutingRule
from rapport.loyalty import actions
from rapport.loyalty.models import Member, MemberStatus
from rapport.loyalty.queries import tier_rank_of
from rapport.sla.models import BusinessCalendar, SlaPolicy

pytestmark = pytest.mark.django_db

GOLD = 2


@pytest.fixture
def helpdesk_setup(programme, cast):
    """Gold and above: the VIP team and an urgent SLA policy; everybody else: the standard one."""
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="24/7", always_open=True)
    vip_team = TeamFactory(name="VIP desk")
    RoutingRule.objects.create(
        name="Gold customers",
        position=1,
        min_loyalty_rank=GOLD,
        team=vip_team,
        set_priority=Priority.HIGH,
    )
    gold_policy = SlaPolicy.objects.create(
        name="Gold",
        position=1,
        calendar=calendar,
        first_response_minutes=30,
        resolution_minutes=240,
        min_loyalty_rank=GOLD,
        escalate_notify_lead=False,
    )
    standard = SlaPolicy.objects.create(
        name="Standard",
        position=10,
        calendar=calendar,
        first_response_minutes=480,
        resolution_minutes=2880,
        escalate_notify_lead=False,
    )
    return vip_team, gold_policy, standard


def make_member(customer, programme, tier_name):
    member = actions.enroll_customer(customer=customer)
    Member.objects.filter(pk=member.pk).update(tier=programme.tiers.get(name=tier_name))
    return member


def receive(customer):
    conversation = helpdesk.receive_message(
        customer=customer,
        subject="Lieferung",
        body_text="Meine Lieferung ist nicht angekommen.",
        channel=Channel.EMAIL,
    ).message.conversation
    conversation.refresh_from_db()
    return conversation


def test_a_gold_member_s_new_conversation_gets_the_gold_policy_and_the_vip_team(
    cast, programme, helpdesk_setup
):
    vip_team, gold_policy, _standard = helpdesk_setup
    make_member(cast.customer, programme, "Gold")
    conversation = receive(cast.customer)
    assert conversation.team == vip_team
    assert conversation.priority == Priority.HIGH
    assert conversation.sla_policy == gold_policy
    reasons = conversation.events.get(kind=EventKind.ROUTED).data["reasons"]
    rule = next(r for r in reasons if r["code"] == "rule")
    assert rule["rule"] == "Gold customers" and rule["loyalty_rank"] == GOLD


def test_a_silver_member_and_a_non_member_get_the_standard_treatment(
    cast, programme, helpdesk_setup
):
    vip_team, _gold, standard = helpdesk_setup
    make_member(cast.customer, programme, "Silver")
    for customer in (cast.customer, cast.other_customer):
        conversation = receive(customer)
        assert conversation.team != vip_team
        assert conversation.sla_policy == standard


def test_a_tier_above_the_minimum_also_matches(cast, programme, helpdesk_setup):
    vip_team, _gold, _standard = helpdesk_setup
    RoutingRule.objects.filter(name="Gold customers").update(min_loyalty_rank=1)
    make_member(cast.customer, programme, "Gold")
    assert receive(cast.customer).team == vip_team


def test_a_closed_membership_or_an_inactive_programme_has_no_tier(cast, programme):
    member = make_member(cast.customer, programme, "Gold")
    assert tier_rank_of(cast.customer) == GOLD
    Member.objects.filter(pk=member.pk).update(status=MemberStatus.CLOSED)
    assert tier_rank_of(cast.customer) is None
    Member.objects.filter(pk=member.pk).update(status=MemberStatus.ACTIVE)
    programme.is_active = False
    programme.save()
    assert tier_rank_of(cast.customer) is None
    assert tier_rank_of(cast.other_customer) is None


def test_rules_and_policies_without_the_condition_never_ask_the_loyalty_app(
    cast, programme, monkeypatch
):
    import rapport.loyalty.queries as queries

    def refuse(customer):
        raise AssertionError("asked the loyalty app")

    monkeypatch.setattr(queries, "tier_rank_of", refuse)
    RoutingRule.objects.create(name="Any", team=TeamFactory(name="All"))
    receive(cast.customer)
