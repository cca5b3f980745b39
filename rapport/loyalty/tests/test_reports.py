"""Loyalty reports, checked against figures computed by hand.

November 2026 (Europe/Berlin) is the period. Anna (Gold since 10 November) earned 1,000
points in October; in November she earned 300, redeemed 500, lost 100 to expiry and 50 to
a return, and got 20 by hand: 670 left. Ben earned 200 (for EUR 600) in September and a
return took back 250 in November: a debt of 50, which is no liability. Carl joined at the
very start of November and earned 100. Dora joined in December.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from rapport.commerce.models import OrderStatus
from rapport.factories import CustomerFactory
from rapport.loyalty.models import EntryKind, EntrySource, LedgerEntry, Member, TierChange
from rapport.loyalty.queries import balance_differences
from rapport.loyalty.reports import loyalty_report
from rapport.metrics.periods import Period

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOVEMBER = Period.from_dates(date(2026, 11, 1), date(2026, 11, 30))


def at(month, day, hour=12):
    return datetime(2026, month, day, hour, tzinfo=BERLIN)


def post(member, kind, points, when, amount=None):
    """Write an entry at ``when`` and keep the balance (what the actions do, back-dated)."""
    LedgerEntry.objects.create(
        member=member,
        programme=member.programme,
        kind=kind,
        points=points,
        reason=kind,
        source=EntrySource.SYSTEM,
        amount=amount,
        created_at=when,
    )
    Member.objects.filter(pk=member.pk).update(balance=member.balance + points)
    member.refresh_from_db()


@pytest.fixture
def people(programme, cast):
    tiers = {tier.name: tier for tier in programme.tiers.all()}
    carl, dora, eve = (CustomerFactory(given_name=name) for name in ("Carl", "Dora", "Eve"))

    def member(customer, joined, tier, changed=None, before=None):
        created = Member.objects.create(
            programme=programme,
            customer=customer,
            joined_at=joined,
            tier=tiers.get(tier),
            tier_changed_at=changed,
        )
        if changed is not None:
            move(created, before, tier, changed)
        return created

    def move(member, old, new, when):
        TierChange.objects.create(
            member=member,
            from_tier=tiers.get(old),
            to_tier=tiers[new],
            from_rank=tiers[old].rank if old else None,
            to_rank=tiers[new].rank,
            changed_at=when,
        )

    anna = member(cast.customer, at(1, 1), "Gold", at(11, 10), before="Bronze")
    move(anna, "Silver", "Bronze", at(10, 1))  # before the period: not counted
    ben = member(cast.other_customer, at(3, 1), "Bronze", at(11, 15), before="Silver")
    carl_member = member(carl, NOVEMBER.start, "Bronze", at(11, 26))  # joined: no move
    dora_member = member(dora, at(12, 2), None)

    post(anna, EntryKind.EARN, 1000, at(10, 15))
    post(anna, EntryKind.EARN, 300, at(11, 5))
    post(anna, EntryKind.REDEEM, -500, at(11, 10))
    post(anna, EntryKind.EXPIRE, -100, at(11, 12))
    post(anna, EntryKind.REVERSE, -50, at(11, 20))
    post(anna, EntryKind.ADJUST, 20, at(11, 21))
    post(anna, EntryKind.EARN, 999, NOVEMBER.end)  # the first instant after the period
    post(ben, EntryKind.EARN, 200, at(9, 1), amount=Decimal("600"))
    post(ben, EntryKind.REVERSE, -250, at(11, 15))
    post(carl_member, EntryKind.EARN, 100, NOVEMBER.start)
    post(dora_member, EntryKind.EARN, 40, at(12, 3))
    return {"carl": carl, "dora": dora, "eve": eve}


def test_members_activity_and_points_of_the_period(programme, people):
    report = loyalty_report(programme, NOVEMBER)
    assert report.members == 3  # Dora joined after the period
    assert report.active_members == 2  # Anna and Carl; Ben's return is no activity
    assert report.points_issued == 400
    assert report.points_redeemed == 500
    assert report.points_expired == 100
    assert report.points_reversed == 300
    assert report.points_adjusted == 20
    assert report.redemption_rate == 1.25
    assert balance_differences()[1] == 0


def test_outstanding_liability_is_the_points_held_at_the_end_times_the_point_value(
    programme, people
):
    report = loyalty_report(programme, NOVEMBER)
    assert report.outstanding_points == 670 + 100  # Anna and Carl; Ben's debt counts as none
    assert report.liability == Decimal("7.70")


def test_tier_distribution_now_and_movement_in_the_period(programme, people):
    report = loyalty_report(programme, NOVEMBER)
    assert report.tier_distribution == [
        ("Gold", 2, 1),
        ("Silver", 1, 0),
        ("Bronze", 0, 2),
        ("", None, 1),
    ]
    # Anna moved from Bronze to Gold in November (her October move does not count), Ben
    # from Silver to Bronze; Carl entered his first tier, which is joining, not moving.
    assert (report.tiers_up, report.tiers_down) == (1, 1)


def test_repeat_purchases_and_order_value_of_members_and_non_members(
    programme, people, order, cast
):
    order(((Decimal("100"), ""),), ordered_at=at(11, 2))
    order(((Decimal("50"), ""),), ordered_at=at(11, 3))
    order(((Decimal("1000"), ""),), ordered_at=at(11, 4), status=OrderStatus.CANCELLED)
    order(((Decimal("500"), ""),), ordered_at=at(11, 4), currency="USD")
    order(((Decimal("30"), ""),), ordered_at=at(11, 6), customer=people["carl"])
    order(((Decimal("40"), ""),), ordered_at=at(11, 7), customer=people["dora"])
    order(((Decimal("60"), ""),), ordered_at=at(11, 8), customer=people["dora"])
    order(((Decimal("100"), ""),), ordered_at=at(11, 9), customer=people["eve"])
    order(((Decimal("20"), ""),), ordered_at=at(11, 10), customer=people["eve"])
    order(((Decimal("500"), ""),), ordered_at=at(10, 31), customer=people["eve"])
    report = loyalty_report(programme, NOVEMBER)
    members, others = report.members_buying, report.others_buying
    assert (members.orders, members.revenue, members.buyers, members.repeat_buyers) == (
        3,
        Decimal("180"),
        2,
        1,
    )
    assert members.repeat_rate == 0.5 and members.order_value == Decimal("60.00")
    assert (others.orders, others.revenue, others.buyers, others.repeat_buyers) == (
        4,
        Decimal("220"),
        2,
        2,
    )
    assert others.repeat_rate == 1.0 and others.order_value == Decimal("55.00")


def test_an_empty_programme_reports_zeros_and_no_rates(programme):
    report = loyalty_report(programme, NOVEMBER)
    assert report.members == report.points_issued == report.outstanding_points == 0
    assert report.redemption_rate is None
    assert report.members_buying.repeat_rate is None
    assert report.members_buying.order_value is None


# --- The page ------------------------------------------------------------------------------


def test_a_manager_sees_the_report_and_downloads_it_as_csv(client, cast, programme, people):
    client.force_login(cast.manager)
    response = client.get("/loyalty/reports/?from=2026-11-01&to=2026-11-30")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Points issued" in content and "7.70" in content
    csv = client.get("/loyalty/reports/?from=2026-11-01&to=2026-11-30&format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert "Points issued,400,2026-11-01,2026-11-30,EUR" in lines
    assert "Outstanding liability at the end,7.70,2026-11-01,2026-11-30,EUR" in lines
    assert "Members in tier Gold now,1,2026-11-01,2026-11-30,EUR" in lines


@pytest.mark.parametrize(
    "query", ["?from=2026-11-30&to=2026-11-01", "?from=yesterday&to=2026-11-30", "?from=2026-11-01"]
)
def test_a_bad_period_is_refused_clearly(client, cast, programme, query):
    client.force_login(cast.admin)
    response = client.get("/loyalty/reports/" + query)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    csv = client.get("/loyalty/reports/" + query + "&format=csv")
    assert not csv["Content-Type"].startswith("text/csv")


def test_agents_and_marketers_cannot_see_the_reports(client, cast, programme):
    for user in (cast.agent, cast.marketer):
        client.force_login(user)
        assert client.get("/loyalty/reports/").status_code == 403


def test_without_a_programme_the_report_says_so(client, cast, db):
    client.force_login(cast.manager)
    response = client.get("/loyalty/reports/")
    assert "There is no active loyalty programme." in response.content.decode()


def test_the_managers_navigation_links_to_the_reports(client, cast, programme):
    client.force_login(cast.manager)
    assert 'href="/loyalty/reports/"' in client.get("/loyalty/reports/").content.decode()
    client.force_login(cast.agent)
    assert 'href="/loyalty/reports/"' not in client.get("/customers/").content.decode()
