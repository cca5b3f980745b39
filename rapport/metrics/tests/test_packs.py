"""The fact packs give every figure a direct count gives, before and after rows change.

Random but seeded data covers every branch of the sets: open, solved, closed and reopened
conversations, merged duplicates, first responses late and on time, SLA clocks with
breaches, answers of every kind, revenue and non-revenue orders in two currencies, customers
inactive long enough to be lost. Then rows change the ways the product changes them
(``QuerySet.update``, deletes, merges, new rows) and the patched packs must still agree.
"""

import math
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from rapport.commerce.models import Order, OrderStatus
from rapport.customers.models import Customer, Tag
from rapport.factories import CustomerFactory
from rapport.feedback.models import SurveyInvitation, SurveyResponse
from rapport.helpdesk.models import Channel, Conversation, Status
from rapport.metrics import packs, trends, triggers
from rapport.metrics.models import FactChange, FactPack
from rapport.metrics.periods import Period
from rapport.metrics.queries import Scope, _compute, latest_answers, report, score_counts
from rapport.sla.models import SlaClock

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
PERIODS = [
    Period.from_dates(date(2026, 10, 1), date(2026, 10, 31)),
    Period.from_dates(date(2026, 1, 1), date(2026, 11, 20)),
    Period.from_dates(date(2026, 11, 20), date(2026, 11, 20)),
    Period.from_dates(date(2025, 11, 1), date(2026, 2, 28)),
]
SLICES = [
    (None, {}),
    ("channel", {}),
    ("team", {}),
    ("agent", {}),
    ("country", {}),
    ("language", {}),
    (None, {"channel": "email"}),
    ("agent", {"team": None}),
    (None, {"country": ""}),
    ("channel", {"language": "de"}),
]
FIELDS = ("value", "n", "numerator", "denominator", "ci_low", "ci_high")


def moment(rnd: random.Random, first: datetime, last: datetime) -> datetime:
    seconds = (last - first).total_seconds()
    return first + timedelta(seconds=rnd.random() * seconds)


@pytest.fixture
def world(cast):
    """Return seeded random customers, conversations, clocks, answers and orders."""
    rnd = random.Random(20261120)
    start, end = datetime(2024, 9, 1, tzinfo=UTC), NOW
    agents = [None, cast.agent.pk, cast.other_agent.pk]
    teams = [None, cast.team_a.pk, cast.team_b.pk]
    people = [cast.customer, cast.other_customer]
    for _index in range(28):
        people.append(
            CustomerFactory(
                country=rnd.choice(["DE", "AT", "GB", ""]),
                language=rnd.choice(["de", "en", ""]),
                created_at=moment(rnd, start, end),
            )
        )
    vip = Tag.objects.create(name="VIP")
    for person in people[::3]:
        person.tags.add(vip)
    conversations = []
    for index in range(160):
        created = moment(rnd, start, end)
        status = rnd.choice(list(Status.values))
        responded = created + timedelta(hours=rnd.uniform(0.1, 60)) if rnd.random() < 0.8 else None
        solved = created + timedelta(hours=rnd.uniform(1, 400))
        done = status in (Status.SOLVED, Status.CLOSED)
        conversation = Conversation.objects.create(
            customer=rnd.choice(people),
            subject=f"Case {index}",
            channel=rnd.choice(list(Channel.values)),
            status=status,
            language=rnd.choice(["de", "en", ""]),
            team_id=rnd.choice(teams),
            assignee_id=rnd.choice(agents),
            created_at=created,
            first_response_at=responded if responded and responded < NOW else None,
            solved_at=solved if (done or rnd.random() < 0.2) and solved < NOW else None,
            closed_at=solved + timedelta(days=2) if status == Status.CLOSED else None,
            agent_reply_count=rnd.choice([0, 1, 1, 2, 3]),
            reopen_count=rnd.choice([0, 0, 0, 1]),
            handling_seconds=rnd.choice([0, 120, 600, 1800, 3600]),
            first_response_business_seconds=rnd.choice([None, 600, 3600, 7200]),
            resolution_business_seconds=rnd.choice([None, 36000, 72000]),
            first_response_due_at=created + timedelta(hours=rnd.choice([4, 8, 24]))
            if rnd.random() < 0.7
            else None,
            resolution_due_at=created + timedelta(hours=rnd.choice([24, 72, 120]))
            if rnd.random() < 0.7
            else None,
        )
        conversations.append(conversation)
        if rnd.random() < 0.3:
            SlaClock.objects.create(
                conversation=conversation,
                first_response_breached_at=created if rnd.random() < 0.5 else None,
                resolution_breached_at=created if rnd.random() < 0.5 else None,
            )
    for duplicate in conversations[:5]:
        Conversation.objects.filter(pk=duplicate.pk).update(merged_into=conversations[-1])
    for index in range(120):
        kind = rnd.choice(["csat", "nps", "ces"])
        score = rnd.randint(*{"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}[kind])
        conversation = rnd.choice(conversations + [None])
        customer = conversation.customer if conversation else rnd.choice(people)
        invitation = SurveyInvitation.objects.create(
            customer=customer,
            conversation=conversation,
            kind=kind,
            trigger="manual",
            channel="email",
            dedupe_key=f"packs:{index}",
            send_after=start,
        )
        SurveyResponse.objects.create(
            invitation=invitation,
            customer=customer,
            conversation=conversation,
            kind=kind,
            score=score,
            channel="email",
            language=rnd.choice(["de", "en"]),
            answered_at=moment(rnd, start, end),
        )
    for index in range(150):
        Order.objects.create(
            customer=rnd.choice(people),
            number=f"P-{index}",
            ordered_at=moment(rnd, start, end),
            currency=rnd.choice(["EUR", "EUR", "EUR", "USD"]),
            status=rnd.choice(list(OrderStatus.values)),
            total=Decimal(rnd.randint(100, 99_999)) / 100,
        )
    # Spells that end or start exactly at a period's boundary (120-day rule, 1 October).
    for offset, number in ((120, "EDGE-1"), (1, "EDGE-2"), (121, "EDGE-3")):
        edge = CustomerFactory(
            country="AT", language="de", created_at=datetime(2024, 1, 5, tzinfo=UTC)
        )
        Order.objects.create(
            customer=edge,
            number=number,
            ordered_at=datetime(2026, 10, 1, 12, tzinfo=UTC) - timedelta(days=offset),
            currency="EUR",
            total=Decimal("10.00"),
        )
    return {"rnd": rnd, "people": people, "conversations": conversations}


def assert_same(direct: dict, counted: dict, where: str) -> None:
    assert set(direct) == set(counted), where
    for group, figures in direct.items():
        assert set(figures) == set(counted[group]), (where, group)
        for key, figure in figures.items():
            other = counted[group][key]
            for name in FIELDS:
                a, b = getattr(figure, name), getattr(other, name)
                if a is None or b is None:
                    assert a is None and b is None, (where, group, key, name, a, b)
                else:
                    # SQLite's julianday() rounds calendar times to the millisecond.
                    assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=2e-3), (
                        where,
                        group,
                        key,
                        name,
                        a,
                        b,
                    )
            assert figure.drill == other.drill, (where, group, key)


def check_all(facts) -> None:
    scope = Scope.of(None)
    for period in PERIODS:
        for by, filters in SLICES:
            direct = _compute(scope, period, by, filters, NOW)
            counted = _compute(scope, period, by, filters, NOW, facts)
            assert_same(direct, counted, f"{period.start.date()} by={by} {filters}")


@override_settings(METRICS_CHURN_INACTIVE_DAYS=120)
def test_packs_count_every_figure_as_the_tables_do(world):
    packs.clear_cache()
    packs.refresh()
    facts = packs.load()
    assert facts is not None
    check_all(facts)


@override_settings(METRICS_CHURN_INACTIVE_DAYS=120)
def test_changed_rows_are_patched_in_until_the_next_refresh_and_then_built_in(world, cast):
    packs.clear_cache()
    packs.refresh()
    assert not FactChange.objects.exists()
    rnd, people, conversations = world["rnd"], world["people"], world["conversations"]
    # Reopen, reassign, solve, move to another customer, as the helpdesk does: update().
    for conversation in rnd.sample(conversations[5:], 30):
        Conversation.objects.filter(pk=conversation.pk).update(
            status=rnd.choice(list(Status.values)),
            assignee_id=rnd.choice([None, cast.agent.pk]),
            solved_at=rnd.choice([None, NOW - timedelta(days=3)]),
            customer=rnd.choice(people),
        )
    Customer.objects.filter(pk=people[3].pk).update(country="FR", language="fr")
    Conversation.objects.filter(pk=conversations[7].pk).update(merged_into=conversations[8])
    conversations[9].delete()
    SlaClock.objects.filter(conversation__in=conversations[10:40]).update(
        resolution_breached_at=NOW
    )
    SurveyResponse.objects.filter(pk__in=SurveyResponse.objects.values("pk")[:10]).update(score=1)
    Order.objects.filter(pk__in=Order.objects.values("pk")[:10]).update(status=OrderStatus.RETURNED)
    Order.objects.create(
        customer=people[4],
        number="NEW-1",
        ordered_at=NOW - timedelta(days=1),
        currency="EUR",
        total=Decimal("12.50"),
    )
    newcomer = CustomerFactory(country="DE", language="de", created_at=NOW - timedelta(days=2))
    Conversation.objects.create(
        customer=newcomer, subject="New", created_at=NOW - timedelta(days=1)
    )
    assert FactChange.objects.exists()
    patched = packs.load()
    assert patched is not None
    check_all(patched)
    built = packs.refresh()
    assert built["conversations"] >= 1
    assert not FactChange.objects.exists()
    check_all(packs.load())


def test_a_report_for_managers_is_served_from_the_packs_and_equals_the_direct_one(world, cast):
    packs.clear_cache()
    direct = report(PERIODS[1], by="channel", user=cast.manager, now=NOW).as_dict()
    packs.refresh()
    counted = report(PERIODS[1], by="channel", user=cast.manager, now=NOW).as_dict()
    assert counted["total"]["figures"]["inquiry_volume"]["value"] > 0
    assert counted == direct


def test_agents_are_served_from_the_packs_only_for_what_they_see_in_full(world, cast, monkeypatch):
    packs.clear_cache()
    packs.refresh()
    period = PERIODS[1]
    own = {"agent": cast.agent.pk}
    team = {"team": cast.team_a.pk}
    from_packs = {
        "own": report(period, filters=own, user=cast.agent, now=NOW).as_dict(),
        "team": report(period, filters=team, user=cast.agent, now=NOW).as_dict(),
    }
    monkeypatch.setattr(packs, "load", lambda: pytest.fail("an agent read the packs"))
    for filters in ({}, {"agent": cast.other_agent.pk}, {"team": cast.team_b.pk}):
        report(period, filters=filters, user=cast.agent, now=NOW)
    monkeypatch.setattr(packs, "load", lambda: None)
    assert report(period, filters=own, user=cast.agent, now=NOW).as_dict() == from_packs["own"]
    assert report(period, filters=team, user=cast.agent, now=NOW).as_dict() == from_packs["team"]
    assert from_packs["own"]["total"]["figures"]["inquiry_volume"]["value"] > 0


def test_without_packs_or_with_too_many_changes_the_engine_counts_directly(world):
    packs.clear_cache()
    # No packs yet, but every row was logged as it was written: patched in from the log.
    assert packs.load() is not None
    # Rows that no pack holds and no change names (loaded before the triggers existed).
    FactChange.objects.all().delete()
    assert packs.load() is None
    packs.refresh()
    assert packs.load() is not None
    FactChange.objects.bulk_create(
        FactChange(source="conversations", row_id=n) for n in range(packs.PATCH_LIMIT + 1)
    )
    assert packs.load() is None


def test_triggers_log_changes_made_with_update_and_delete(world):
    assert triggers.installed()
    FactChange.objects.all().delete()
    conversation = world["conversations"][20]
    Conversation.objects.filter(pk=conversation.pk).update(status=Status.OPEN)
    logged = set(FactChange.objects.values_list("source", "row_id"))
    assert ("conversations", conversation.pk) in logged
    assert ("activity", conversation.customer_id) in logged
    FactChange.objects.all().delete()
    # Columns no figure reads do not log.
    Conversation.objects.filter(pk=conversation.pk).update(subject="Renamed")
    assert not FactChange.objects.exists()
    pk = conversation.pk
    conversation.delete()
    assert ("conversations", pk) in set(FactChange.objects.values_list("source", "row_id"))


def test_packs_built_under_other_settings_are_not_used(world):
    packs.clear_cache()
    packs.refresh()
    with override_settings(METRICS_CHURN_INACTIVE_DAYS=30):
        assert packs.load() is None
        packs.refresh()
        assert packs.load() is not None
    assert FactPack.objects.count() == 3


@pytest.mark.parametrize(
    "first,last", [(date(2026, 10, 1), date(2026, 10, 31)), (date(2025, 6, 1), date(2026, 11, 20))]
)
def test_trends_and_score_counts_from_the_packs_equal_the_direct_counts(
    world, monkeypatch, first, last
):
    packs.clear_cache()
    packs.refresh()
    period = Period.from_dates(first, last)
    figures = report(period, now=NOW).total.figures
    for filters in ({}, {"channel": "chat"}, {"team": None}, {"segment": "VIP"}):
        from_packs = trends.trend(None, first, last, filters=filters)
        scores = {
            k: score_counts(None, {**figures[k].drill, "filters": filters})
            for k in ("csat", "nps", "ces")
        }
        with monkeypatch.context() as patch:
            patch.setattr(packs, "load", lambda: None)
            assert trends.trend(None, first, last, filters=filters) == from_packs
            for kind, counted in scores.items():
                direct = score_counts(None, {**figures[kind].drill, "filters": filters})
                assert counted == direct
    assert sum(from_packs["volume"]) > 0


def test_the_periodic_refresh_waits_for_many_changes_or_a_long_wait(world, monkeypatch):
    packs.clear_cache()
    packs.refresh()
    assert packs.refresh_if_due() is None
    conversation = world["conversations"][30]
    Conversation.objects.filter(pk=conversation.pk).update(status=Status.OPEN)
    assert packs.refresh_if_due(now=NOW) is None
    assert packs.refresh_if_due(now=NOW + timedelta(minutes=10)) is None
    assert FactChange.objects.exists()
    assert packs.refresh_if_due(now=NOW + timedelta(minutes=31)) is not None
    assert not FactChange.objects.exists()
    monkeypatch.setattr(packs, "REFRESH_AFTER_ROWS", 3)
    Conversation.objects.filter(pk__in=[c.pk for c in world["conversations"][40:45]]).update(
        status=Status.PENDING
    )
    assert packs.refresh_if_due(now=NOW) is not None


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_load_is_kept_until_a_row_changes(cast):
    packs.clear_cache()
    customer = CustomerFactory(country="DE")
    Conversation.objects.create(customer=customer, subject="Kept", created_at=NOW)
    packs.refresh()
    first = packs.load()
    assert packs.load() is first
    Conversation.objects.create(customer=customer, subject="New", created_at=NOW)
    second = packs.load()
    assert second is not first
    counted = report(PERIODS[2], now=NOW).total.figures["inquiry_volume"].value
    assert counted == 2
    packs.clear_cache()


def test_a_bulk_load_logs_nothing_and_leaves_the_packs_to_be_rebuilt(world):
    packs.clear_cache()
    packs.refresh()
    with packs.bulk_load():
        assert not triggers.installed()
        CustomerFactory(country="DE")
    assert triggers.installed()
    assert not FactPack.objects.exists() and not FactChange.objects.exists()
    # The rows written meanwhile are in no pack and no log: counted directly until rebuilt.
    assert packs.load() is None
    assert packs.refresh_if_due() is not None
    assert packs.load() is not None


def test_the_latest_low_answers_from_the_packs_are_those_the_tables_give(world, monkeypatch):
    packs.clear_cache()
    packs.refresh()
    figures = report(PERIODS[1], now=NOW).total.figures
    for kind, most in (("csat", 2), ("nps", 6)):
        for limit in (1, 3, 10):
            drill = figures[kind].drill
            found = [a.pk for a in latest_answers(None, drill, max_score=most, limit=limit)]
            with monkeypatch.context() as patch:
                patch.setattr(packs, "load", lambda: None)
                direct = [a.pk for a in latest_answers(None, drill, max_score=most, limit=limit)]
            assert found == direct
            assert len(found) == min(limit, len(direct))
    assert found
