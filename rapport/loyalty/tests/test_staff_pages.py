"""Staff pages: the loyalty panel on the 360 page and in the conversation, history, adjustments."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from rapport.helpdesk.tests.helpers import conversation_for
from rapport.loyalty import actions
from rapport.loyalty.models import EntryKind, LedgerEntry, Member
from rapport.loyalty.queries import balance_differences, loyalty_panel
from rapport.loyalty.views.staff import ENTRIES_PER_PAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(programme, cast, voucher_reward):
    """Anna: a Gold member with 800 points left and an open EUR 5 voucher."""
    member = actions.enroll_customer(customer=cast.customer)  # 100 sign-up points
    actions.adjust_points(member=member, points=1200, reason="Welcome gift", actor=cast.admin)
    member.refresh_from_db()
    actions.redeem_reward(member=member, reward=voucher_reward, request_ref="r-1")
    gold = programme.tiers.get(name="Gold")
    Member.objects.filter(pk=member.pk).update(tier=gold)
    member.refresh_from_db()
    return member


def member_url(member, action=""):
    return f"/loyalty/members/{member.pk}/" + (f"{action}/" if action else "")


def test_the_360_page_shows_tier_benefits_balance_vouchers_and_a_link_to_the_history(
    agent_client, cast, member
):
    member.programme.tiers.filter(name="Gold").update(free_shipping=True)
    content = agent_client.get(f"/customers/{cast.customer.pk}/").content.decode()
    assert "Gold" in content and "free shipping" in content
    assert "loyalty-balance" in content and ">800 " in content
    code = member.vouchers.get().code
    # Agents see which voucher it is, not a code they could hand to someone else.
    assert code not in content and f"•••• {code[-4:]}" in content
    assert "Welcome gift" in content
    assert member_url(member) in content


def test_the_conversation_sidebar_shows_the_tier(agent_client, cast, member):
    conversation = conversation_for(cast.customer, team=cast.team_a)
    content = agent_client.get(f"/helpdesk/{conversation.pk}/").content.decode()
    assert "loyalty-panel" in content and "Gold" in content
    assert member_url(member) in content


def test_a_customer_who_is_not_a_member_is_shown_as_such(agent_client, cast, programme):
    content = agent_client.get(f"/customers/{cast.customer.pk}/").content.decode()
    assert "Not a member of the loyalty programme." in content


def test_the_panel_lists_the_last_five_entries_newest_first(programme, cast, member):
    for n in range(6):
        actions.adjust_points(member=member, points=1, reason=f"extra {n}", actor=cast.admin)
    panel = loyalty_panel(cast.customer)
    assert [e.reason for e in panel["entries"]] == [f"extra {n}" for n in (5, 4, 3, 2, 1)]


def test_the_panel_counts_only_points_expiring_within_sixty_days(programme, cast):
    member = actions.enroll_customer(customer=cast.customer)  # 100 sign-up points
    first = member.entries.get()
    now = timezone.now()
    LedgerEntry.objects.filter(pk=first.pk).update(expires_at=now + timedelta(days=10))
    actions.adjust_points(member=member, points=40, reason="Goodwill", actor=cast.admin)
    assert loyalty_panel(cast.customer, now=now)["expiring"] == 100
    LedgerEntry.objects.filter(pk=first.pk).update(expires_at=now + timedelta(days=90))
    assert loyalty_panel(cast.customer, now=now)["expiring"] == 0


def test_the_member_page_shows_the_whole_ledger_paged_newest_first(agent_client, cast, member):
    for n in range(ENTRIES_PER_PAGE + 5):
        actions.adjust_points(member=member, points=1, reason=f"line {n}", actor=cast.admin)
    first = agent_client.get(member_url(member))
    assert first.status_code == 200
    page = first.context["entries"]
    assert page.paginator.count == ENTRIES_PER_PAGE + 5 + 3
    assert page[0].reason == f"line {ENTRIES_PER_PAGE + 4}"
    last = agent_client.get(member_url(member) + "?page=2").context["entries"]
    assert last[len(last) - 1].kind == EntryKind.EARN  # the sign-up bonus


def test_a_manager_adjusts_points_with_a_reason_and_the_history_shows_who_and_why(
    client, cast, member
):
    client.force_login(cast.manager)
    response = client.post(member_url(member, "adjust"), {"points": "-300", "reason": "Typo"})
    assert response.status_code == 302
    entry = member.entries.latest("id")
    assert (entry.kind, entry.points, entry.reason, entry.actor) == (
        EntryKind.ADJUST,
        -300,
        "Typo",
        cast.manager,
    )
    member.refresh_from_db()
    assert member.balance == 500
    content = client.get(member_url(member)).content.decode()
    assert "Typo" in content and cast.manager.get_full_name() in content
    assert balance_differences()[1] == 0


def test_an_agent_sees_the_panel_but_no_adjustment_form_and_cannot_post_one(
    agent_client, cast, member
):
    content = agent_client.get(member_url(member)).content.decode()
    assert "loyalty-panel" in content and "Adjust points" not in content
    response = agent_client.post(member_url(member, "adjust"), {"points": "50", "reason": "x"})
    assert response.status_code == 403
    assert not member.entries.filter(actor=cast.agent).exists()


def test_an_agent_with_the_permission_may_adjust(agent_client, cast, member):
    cast.agent.user_permissions.add(Permission.objects.get(codename="adjust_points"))
    assert "Adjust points" in agent_client.get(member_url(member)).content.decode()
    response = agent_client.post(member_url(member, "adjust"), {"points": "50", "reason": "Late"})
    assert response.status_code == 302
    assert member.entries.filter(actor=cast.agent, points=50, reason="Late").exists()


@pytest.mark.parametrize(
    ("points", "reason", "message"),
    [
        ("0", "Zero", "Points must not be zero."),
        ("abc", "Letters", "Enter a whole number."),
        ("1.5", "Half", "Enter a whole number."),
        ("50", "", "This field is required."),
        ("999999999999", "Huge", "points at once are refused"),
        ("-5000", "Too much", "balance"),
    ],
)
def test_a_bad_adjustment_is_refused_clearly_and_nothing_is_written(
    client, cast, member, points, reason, message
):
    client.force_login(cast.manager)
    before = LedgerEntry.objects.count()
    response = client.post(member_url(member, "adjust"), {"points": points, "reason": reason})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert LedgerEntry.objects.count() == before
    assert balance_differences()[1] == 0


def test_an_adjustment_of_a_closed_membership_is_refused(client, cast, member):
    Member.objects.filter(pk=member.pk).update(status="closed")
    client.force_login(cast.manager)
    response = client.post(member_url(member, "adjust"), {"points": "5", "reason": "x"})
    assert response.status_code == 400
    assert "This membership is closed." in response.content.decode()


def test_customers_and_strangers_cannot_reach_the_staff_pages(client, cast, member):
    for path in (member_url(member), "/loyalty/reports/"):
        assert client.get(path).status_code == 302  # to the login page
    client.force_login(cast.portal_user)
    for path in (member_url(member), "/loyalty/reports/"):
        assert client.get(path).status_code == 403
    response = client.post(member_url(member, "adjust"), {"points": "5", "reason": "me"})
    assert response.status_code == 403
    assert not member.entries.filter(reason="me").exists()


def test_the_portal_customer_sees_no_staff_panel(cast, member):
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = cast.portal_user
    rendered = Template("{% load loyalty %}{% loyalty_panel customer %}").render(
        Context({"request": request, "customer": cast.customer})
    )
    assert rendered.strip() == ""


def test_without_a_programme_the_panel_is_left_out(agent_client, cast, db):
    content = agent_client.get(f"/customers/{cast.customer.pk}/").content.decode()
    assert "loyalty-panel" not in content


def test_an_unknown_member_is_not_found(agent_client, programme):
    assert agent_client.get("/loyalty/members/999999/").status_code == 404


def test_adjusting_needs_csrf(cast, member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.manager)
    response = client.post(member_url(member, "adjust"), {"points": "5", "reason": "x"})
    assert response.status_code == 403
