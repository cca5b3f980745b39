"""Tier changes: kept as history, told in the timeline, and the service benefits they bring.

Gold (rank 2) promises a dedicated account manager: reaching it gives the customer one from
the programme's account manager team. Faster service is the helpdesk's configuration (an
SLA policy or routing rule with "loyalty tier at least"), which the loyalty panel shows.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from rapport.customers.actions import merge_customers
from rapport.factories import CustomerFactory, TeamFactory, UserFactory
from rapport.helpdesk import actions as helpdesk
from rapport.helpdesk.models import Channel, EventKind, RoutingRule
from rapport.loyalty import actions
from rapport.loyalty.models import Member, TierChange
from rapport.loyalty.queries import balance_differences, loyalty_panel
from rapport.loyalty.tests.conftest import NOW
from rapport.sla.models import BusinessCalendar, SlaPolicy
from rapport.timeline.models import EventKind as TimelineKind
from rapport.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db

GOLD = 2


@pytest.fixture
def key_accounts(programme, cast):
    """Gold promises an account manager; the key account team has Kim (2 customers) and Lu."""
    programme.tiers.filter(rank=GOLD).update(account_manager=True)
    team = TeamFactory(name="Key accounts")
    kim = UserFactory(username="kim", first_name="Kim", last_name="Koch")
    lu = UserFactory(username="lu", first_name="Lu", last_name="Lang")
    UserFactory(username="gone", is_active=False).teams.add(team)
    for user in (kim, lu):
        user.teams.add(team)
    CustomerFactory.create_batch(2, account_manager=kim)
    CustomerFactory(account_manager=lu)
    programme.account_manager_team = team
    programme.save()
    return kim, lu


def gold_member(customer, order, amount="2500"):
    member = actions.enroll_customer(customer=customer)
    actions.accrue_order(order=order(((Decimal(amount), ""),), customer=customer), now=NOW)
    member.refresh_from_db()
    return member


def loyalty_titles(customer):
    return list(
        TimelineEvent.objects.filter(customer=customer, kind=TimelineKind.LOYALTY)
        .order_by("id")
        .values_list("title", flat=True)
    )


def test_a_tier_change_is_kept_with_its_qualifying_figures_and_told_in_the_timeline(
    cast, programme, order
):
    member = gold_member(cast.customer, order)
    actions.recalculate_tier(member=member, now=NOW)
    change = TierChange.objects.get(member=member)
    assert (change.from_rank, change.to_rank, change.direction) == (0, GOLD, "up")
    # 2,500 points for the order and 100 for signing up.
    assert (change.spend, change.points, change.changed_at) == (Decimal("2500"), 2600, NOW)
    assert "Moved up from loyalty tier Bronze to Gold" in loyalty_titles(cast.customer)
    actions.recalculate_tier(member=member, now=NOW)  # nothing changed: nothing recorded
    assert TierChange.objects.filter(member=member).count() == 1


def test_a_member_whose_spend_leaves_the_twelve_months_moves_down_and_it_is_recorded(
    cast, programme, order
):
    member = gold_member(cast.customer, order)
    actions.recalculate_tier(member=member, now=NOW)
    later = NOW + timedelta(days=400)
    actions.recalculate_tier(member=member, now=later)
    down = TierChange.objects.filter(member=member).latest("changed_at")
    assert (down.from_rank, down.to_rank, down.direction, down.changed_at) == (
        GOLD,
        0,
        "down",
        later,
    )
    assert "Moved down from loyalty tier Gold to Bronze" in loyalty_titles(cast.customer)


def test_reaching_gold_gives_the_least_loaded_active_key_account_manager(
    cast, programme, order, key_accounts
):
    kim, lu = key_accounts
    member = gold_member(cast.customer, order)
    actions.recalculate_tier(member=member, now=NOW)
    cast.customer.refresh_from_db()
    assert cast.customer.account_manager == lu  # one customer against Kim's two
    assert "Account manager Lu Lang assigned for loyalty tier Gold" in loyalty_titles(cast.customer)
    profile = TimelineEvent.objects.get(customer=cast.customer, kind=TimelineKind.PROFILE)
    assert "account_manager" in profile.data["changes"]
    panel = loyalty_panel(cast.customer)
    assert "dedicated account manager" in panel["benefits"]


def test_a_customer_with_an_account_manager_keeps_them_and_a_move_down_takes_none_away(
    cast, programme, order, key_accounts
):
    kim, _lu = key_accounts
    cast.customer.account_manager = kim
    cast.customer.save()
    member = gold_member(cast.customer, order)
    actions.recalculate_tier(member=member, now=NOW)
    actions.recalculate_tier(member=member, now=NOW + timedelta(days=400))
    cast.customer.refresh_from_db()
    assert member.tier.rank == 0 and cast.customer.account_manager == kim


def test_without_an_account_manager_team_the_panel_says_the_promise_waits(
    agent_client, cast, programme, order
):
    programme.tiers.filter(rank=GOLD).update(account_manager=True)
    member = gold_member(cast.customer, order)
    actions.recalculate_tier(member=member, now=NOW)
    cast.customer.refresh_from_db()
    assert cast.customer.account_manager is None
    content = agent_client.get(f"/customers/{cast.customer.pk}/").content.decode()
    assert "none yet: the tier promises one" in content


def test_a_rule_for_gold_gives_their_conversations_to_their_account_manager(
    cast, programme, order, key_accounts
):
    _kim, lu = key_accounts
    RoutingRule.objects.create(
        name="Gold to account manager",
        position=1,
        min_loyalty_rank=GOLD,
        team=cast.team_a,
        to_account_manager=True,
    )
    actions.recalculate_tier(member=gold_member(cast.customer, order), now=NOW)
    silver = actions.enroll_customer(customer=cast.other_customer)
    cast.other_customer.account_manager = lu
    cast.other_customer.save()

    def receive(customer):
        conversation = helpdesk.receive_message(
            customer=customer, subject="Frage", body_text="Eine Frage.", channel=Channel.EMAIL
        ).message.conversation
        conversation.refresh_from_db()
        return conversation

    gold_conversation = receive(cast.customer)
    assert gold_conversation.assignee == lu
    reasons = gold_conversation.events.get(kind=EventKind.ROUTED).data["reasons"]
    assert {
        "code": "rule_account_manager",
        "rule": "Gold to account manager",
        "agent": "Lu Lang",
    } in reasons
    # Bronze with an account manager but not VIP: the rule does not match, the queue assigns.
    assert silver.tier.rank == 0
    assert (
        receive(cast.other_customer).events.get(kind=EventKind.ROUTED).data["reasons"][-1]["code"]
        != "rule_account_manager"
    )


def test_the_panel_shows_the_helpdesk_s_sla_policies_for_the_tier(cast, programme, order):
    calendar = BusinessCalendar.objects.create(name="24/7", always_open=True)
    SlaPolicy.objects.create(
        name="Gold service",
        calendar=calendar,
        first_response_minutes=60,
        resolution_minutes=480,
        min_loyalty_rank=GOLD,
    )
    member = actions.enroll_customer(customer=cast.customer)
    assert "SLA policy: Gold service" not in loyalty_panel(cast.customer)["benefits"]
    Member.objects.filter(pk=member.pk).update(tier=programme.tiers.get(rank=GOLD))
    assert "SLA policy: Gold service" in loyalty_panel(cast.customer)["benefits"]


def test_bonuses_redemptions_and_adjustments_show_in_the_timeline_but_order_points_do_not(
    cast, programme, order, voucher_reward
):
    member = actions.enroll_customer(customer=cast.customer)
    actions.accrue_order(order=order(((Decimal("600"), ""),)), now=NOW)
    member.refresh_from_db()
    actions.redeem_reward(member=member, reward=voucher_reward, request_ref="t-1")
    actions.adjust_points(member=member, points=-5, reason="Goodwill undone", actor=cast.manager)
    assert loyalty_titles(cast.customer) == [
        "Earned 100 loyalty points: sign-up",
        "Redeemed 500 loyalty points for EUR 5 off",
        "Loyalty points adjusted by -5: Goodwill undone",
    ]
    adjusted = TimelineEvent.objects.filter(customer=cast.customer).latest("id")
    assert adjusted.actor == cast.manager


def test_the_same_adjustment_form_sent_twice_adjusts_once(client, cast, programme):
    member = actions.enroll_customer(customer=cast.customer)
    client.force_login(cast.manager)
    page = client.get(f"/loyalty/members/{member.pk}/")
    ref = page.context["form"].initial["request_ref"]
    assert f'value="{ref}"' in page.content.decode()
    url = f"/loyalty/members/{member.pk}/adjust/"
    form = {"points": "40", "reason": "Late delivery", "request_ref": ref}
    assert client.post(url, form).status_code == 302
    again = client.post(url, form, follow=True)
    assert "This adjustment was already made" in again.content.decode()
    member.refresh_from_db()
    assert member.balance == 140 and member.entries.filter(points=40).count() == 1
    # The same reference with other points is not a replay: refused, nothing written.
    refused = client.post(url, {**form, "points": "400"})
    assert refused.status_code == 400
    assert "used for another adjustment" in refused.content.decode()
    member.refresh_from_db()
    assert member.balance == 140
    assert balance_differences()[1] == 0


def test_merging_customers_keeps_the_merged_member_s_tier_history(cast, programme, order):
    survivor = actions.enroll_customer(customer=cast.customer)
    merged = gold_member(cast.other_customer, order)
    actions.recalculate_tier(member=merged, now=NOW)
    merge_customers(actor=cast.admin, survivor=cast.customer, merged=cast.other_customer)
    assert TierChange.objects.get().member_id == survivor.pk
