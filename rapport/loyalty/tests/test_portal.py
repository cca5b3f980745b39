"""The customer's loyalty pages: overview, joining, history, rewards, redeeming, vouchers."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from rapport.loyalty import actions
from rapport.loyalty.models import EntryKind, LedgerEntry, Member, Reward, RewardKind, Voucher
from rapport.loyalty.queries import balance_differences

TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def portal_client(client, cast):
    client.force_login(cast.portal_user)
    return client


@pytest.fixture
def member(programme, cast):
    return actions.enroll_customer(customer=cast.customer)


def give(member, points, cast):
    actions.adjust_points(member=member, points=points, reason="Goodwill", actor=cast.admin)
    member.refresh_from_db()


def assert_verified():
    _checked, differing, shown = balance_differences()
    assert differing == 0, shown


def page(response) -> str:
    return response.content.decode()


# --- Overview and joining ------------------------------------------------------------------


def test_the_overview_shows_balance_tier_and_the_spend_missing_to_the_next_tier(
    portal_client, member, order
):
    actions.accrue_order(order=order(lines=[(Decimal("380.00"), "")]))
    html = page(portal_client.get("/portal/loyalty/"))
    assert "480" in html  # 100 sign-up + 380
    assert "Bronze" in html
    progress = html.split('data-test="progress"')[1].split("</p>")[0]
    assert "120" in progress and "Silver" in progress


def test_the_overview_shows_the_benefits_of_the_tier(portal_client, member, programme):
    gold = programme.tiers.get(name="Bronze")
    gold.free_shipping = True
    gold.save()
    html = page(portal_client.get("/portal/loyalty/"))
    assert "Free shipping" in html


def test_the_overview_shows_points_expiring_soon(portal_client, member, order):
    from datetime import timedelta

    from django.utils import timezone

    bought = order(ordered_at=timezone.now())
    actions.accrue_order(order=bought, now=timezone.now() - timedelta(days=730 - 20))
    html = page(portal_client.get("/portal/loyalty/"))
    assert 'data-test="expiring"' in html
    assert "100 points expire" in html


def test_a_customer_who_is_not_a_member_sees_a_join_button(portal_client, programme):
    html = page(portal_client.get("/portal/loyalty/"))
    assert "/portal/loyalty/join/" in html


def test_joining_makes_the_customer_a_member_with_the_sign_up_bonus(portal_client, programme, cast):
    response = portal_client.post("/portal/loyalty/join/")
    assert response.status_code == 302
    assert Member.objects.get(customer=cast.customer).balance == 100
    portal_client.post("/portal/loyalty/join/")
    assert Member.objects.filter(customer=cast.customer).count() == 1
    assert_verified()


def test_joining_needs_a_post(portal_client, programme, cast):
    assert portal_client.get("/portal/loyalty/join/").status_code == 405
    assert not Member.objects.filter(customer=cast.customer).exists()


def test_without_a_programme_the_page_says_so(portal_client, db, cast):
    html = page(portal_client.get("/portal/loyalty/"))
    assert "no loyalty programme" in html


def test_visitors_are_sent_to_the_portal_sign_in(client, programme):
    response = client.get("/portal/loyalty/")
    assert response.status_code == 302
    assert "/portal/login/" in response["Location"]


def test_staff_cannot_open_the_customers_loyalty_pages(client, cast, programme):
    client.force_login(cast.agent)
    assert client.get("/portal/loyalty/").status_code == 403


def test_the_portal_navigation_links_to_the_points(portal_client, programme):
    assert 'href="/portal/loyalty/"' in page(portal_client.get("/portal/"))


# --- History ---------------------------------------------------------------------------------


def test_the_history_lists_entries_newest_first_in_words(portal_client, member, order, cast):
    bought = order()
    actions.accrue_order(order=bought)
    give(member, 7, cast)
    html = page(portal_client.get("/portal/loyalty/history/"))
    assert f"Earned with order {bought.number}" in html
    assert "Correction by our team: Goodwill" in html
    assert html.index("Goodwill") < html.index(bought.number)


def test_the_history_is_paged(portal_client, member, cast):
    for number in range(25):
        give(member, number + 1, cast)
    first = page(portal_client.get("/portal/loyalty/history/"))
    second = page(portal_client.get("/portal/loyalty/history/?page=2"))
    assert first.count("Correction by our team") == 20
    # 25 adjustments and the older sign-up bonus: 20 entries on the first page, 6 on the second.
    assert second.count("Correction by our team") == 5
    assert "Bonus" in second and "Bonus" not in first


def test_the_history_shows_only_my_entries(portal_client, member, cast, programme):
    other = actions.enroll_customer(customer=cast.other_customer)
    actions.adjust_points(member=other, points=5, reason="Bens secret", actor=cast.admin)
    assert "Bens secret" not in page(portal_client.get("/portal/loyalty/history/"))


# --- Rewards and redeeming -------------------------------------------------------------------


def test_rewards_are_split_into_affordable_and_not_yet(portal_client, member, programme, cast):
    Reward.objects.create(programme=programme, name="Tote bag", kind=RewardKind.PRODUCT, cost=50)
    Reward.objects.create(
        programme=programme, name="Big voucher", kind=RewardKind.VOUCHER, cost=5000, value=50
    )
    html = page(portal_client.get("/portal/loyalty/rewards/"))
    assert "/portal/loyalty/rewards/" in html
    assert "4,900 more points needed" in html or "4900 more points needed" in html
    overview = page(portal_client.get("/portal/loyalty/"))
    can, cannot = overview.split("Not yet")
    assert "Tote bag" in can and "Big voucher" in cannot


def test_redeeming_asks_for_confirmation_first(portal_client, member, voucher_reward, cast):
    give(member, 500, cast)
    response = portal_client.get(f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/")
    assert response.status_code == 200
    assert 'name="token"' in page(response)
    assert not Voucher.objects.exists()
    member.refresh_from_db()
    assert member.balance == 600


def test_redeeming_spends_the_points_and_shows_the_voucher_code(
    portal_client, member, voucher_reward, cast
):
    give(member, 500, cast)
    response = portal_client.post(
        f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/", {"token": TOKEN}
    )
    voucher = Voucher.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/loyalty/vouchers/{voucher.pk}/"
    html = page(portal_client.get(response["Location"]))
    assert voucher.code in html
    assert "Valid until" in html
    member.refresh_from_db()
    assert member.balance == 100
    assert_verified()


def test_a_double_click_redeems_once(portal_client, member, voucher_reward, cast):
    give(member, 1000, cast)
    url = f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/"
    first = portal_client.post(url, {"token": TOKEN})
    second = portal_client.post(url, {"token": TOKEN})
    assert first["Location"] == second["Location"]
    assert Voucher.objects.count() == 1
    member.refresh_from_db()
    assert member.balance == 600
    assert_verified()


def test_redeeming_without_enough_points_says_so_and_spends_nothing(
    portal_client, member, voucher_reward
):
    response = portal_client.post(
        f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/", {"token": TOKEN}
    )
    assert response.status_code == 400
    assert "does not cover 500 points" in page(response)
    member.refresh_from_db()
    assert member.balance == 100
    assert not Voucher.objects.exists()
    assert not LedgerEntry.objects.filter(kind=EntryKind.REDEEM).exists()
    assert_verified()


def test_redeeming_a_reward_out_of_stock_says_so_and_spends_nothing(
    portal_client, member, voucher_reward, cast
):
    voucher_reward.stock = 0
    voucher_reward.save()
    give(member, 500, cast)
    response = portal_client.post(
        f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/", {"token": TOKEN}
    )
    assert response.status_code == 400
    assert "out of stock" in page(response)
    member.refresh_from_db()
    assert member.balance == 600
    assert not Voucher.objects.exists()


def test_a_form_without_its_token_redeems_nothing(portal_client, member, voucher_reward, cast):
    give(member, 500, cast)
    url = f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/"
    for data in ({}, {"token": "x' OR 1=1"}, {"token": "A" * 32}):
        response = portal_client.post(url, data)
        assert response.status_code == 400
        assert "confirm again" in page(response)
    assert not Voucher.objects.exists()


def test_a_reward_above_my_tier_is_refused_with_a_message(
    portal_client, member, programme, voucher_reward, cast
):
    voucher_reward.min_tier = programme.tiers.get(name="Gold")
    voucher_reward.save()
    give(member, 500, cast)
    response = portal_client.post(
        f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/", {"token": TOKEN}
    )
    assert response.status_code == 400
    assert "Gold members and above" in page(response)
    assert not Voucher.objects.exists()


def test_redeeming_needs_the_csrf_token(client, cast, member, voucher_reward):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.portal_user)
    give(member, 500, cast)
    response = strict.post(f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/", {"token": TOKEN})
    assert response.status_code == 403
    assert not Voucher.objects.exists()


def test_an_inactive_or_other_programmes_reward_is_not_found(portal_client, member, voucher_reward):
    voucher_reward.is_active = False
    voucher_reward.save()
    url = f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/"
    assert portal_client.get(url).status_code == 404
    assert portal_client.post(url, {"token": TOKEN}).status_code == 404
    assert portal_client.get("/portal/loyalty/rewards/999999/redeem/").status_code == 404


def test_redeeming_before_joining_is_not_found(portal_client, programme, voucher_reward):
    url = f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/"
    assert portal_client.post(url, {"token": TOKEN}).status_code == 404


# --- Vouchers --------------------------------------------------------------------------------


def test_my_vouchers_lists_my_codes(portal_client, member, voucher_reward, cast):
    give(member, 500, cast)
    voucher = actions.redeem_reward(member=member, reward=voucher_reward)
    html = page(portal_client.get("/portal/loyalty/vouchers/"))
    assert voucher.code in html


def test_another_customers_voucher_is_not_found(portal_client, member, voucher_reward, cast):
    other = actions.enroll_customer(customer=cast.other_customer)
    actions.adjust_points(member=other, points=500, reason="x", actor=cast.admin)
    other.refresh_from_db()
    theirs = actions.redeem_reward(member=other, reward=voucher_reward)
    assert portal_client.get(f"/portal/loyalty/vouchers/{theirs.pk}/").status_code == 404
    assert theirs.code not in page(portal_client.get("/portal/loyalty/vouchers/"))


def test_a_used_voucher_says_when_it_was_used(portal_client, member, voucher_reward, cast):
    give(member, 500, cast)
    voucher = actions.redeem_reward(member=member, reward=voucher_reward)
    actions.consume_voucher(code=voucher.code, order_ref="A-1", currency="EUR")
    html = page(portal_client.get(f"/portal/loyalty/vouchers/{voucher.pk}/"))
    assert "Used on" in html


def test_the_pages_render_in_german(portal_client, member):
    response = portal_client.get("/portal/loyalty/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert 'lang="de"' in page(response)


def test_the_list_pages_take_the_same_number_of_queries_for_more_rows(
    portal_client, member, voucher_reward, cast
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    give(member, 5000, cast)
    actions.redeem_reward(member=member, reward=voucher_reward)
    counts = []
    for _round in range(2):
        with CaptureQueriesContext(connection) as few:
            portal_client.get("/portal/loyalty/vouchers/")
            portal_client.get("/portal/loyalty/history/")
        counts.append(len(few))
        for _more in range(4):
            actions.redeem_reward(member=member, reward=voucher_reward)
    assert counts[0] == counts[1]


def test_the_confirmation_says_how_many_points_are_missing(portal_client, member, voucher_reward):
    html = page(portal_client.get(f"/portal/loyalty/rewards/{voucher_reward.pk}/redeem/"))
    assert "400 more points needed" in html
    assert "disabled" in html
