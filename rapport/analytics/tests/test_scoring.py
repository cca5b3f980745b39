"""Scoring every customer: fits recorded, one row per buying customer, failures change nothing."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from rapport.analytics import scoring
from rapport.analytics.models import CustomerValue, FitKind, FitOutcome, Segment, ValueModelFit
from rapport.analytics.scoring import score_customers
from rapport.commerce.models import Order, OrderStatus
from rapport.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def buy(customer, days_ago: float, total: str = "50.00", **fields) -> Order:
    return Order.objects.create(
        customer=customer,
        ordered_at=timezone.now() - timedelta(days=days_ago),
        total=Decimal(total),
        currency=fields.pop("currency", "EUR"),
        status=fields.pop("status", OrderStatus.PAID),
        **fields,
    )


@pytest.fixture
def shoppers(db):
    """Sixty customers with a year or two of varied, reproducible purchase histories."""
    rng = random.Random(7)
    customers = []
    for n in range(60):
        customer = CustomerFactory(family_name=f"Shopper{n:02d}")
        first = rng.randint(60, 700)
        gap = rng.choice([14, 30, 45, 90, 180])
        stops = rng.randint(0, first)
        day = first
        while day >= stops:
            buy(
                customer, day + rng.random() / 2, f"{rng.randint(15, 240)}.{rng.randint(0, 99):02d}"
            )
            day -= max(1, int(rng.expovariate(1 / gap)))
        customers.append(customer)
    return customers


def test_every_customer_with_revenue_orders_gets_one_row_of_sane_scores(shoppers):
    stats = score_customers()
    assert stats.ok, stats.error
    assert stats.customers == CustomerValue.objects.count() == 60
    for value in CustomerValue.objects.all():
        assert 0 <= value.p_alive <= 1
        assert value.clv >= 0 and value.expected_average_value > 0
        assert value.expected_purchases_1y >= value.expected_purchases_90d >= 0
        assert 1 <= value.r_score <= 5 and value.segment in Segment.values
        assert value.frequency + 1 <= value.orders
        assert value.recency_days <= value.age_days
        assert value.currency == "EUR" and value.p_alive_previous is None


def test_the_stored_counts_match_the_customers_orders(shoppers):
    customer = shoppers[0]
    score_customers()
    value = CustomerValue.objects.get(customer=customer)
    orders = Order.objects.filter(customer=customer)
    assert value.orders == orders.count()
    assert value.total_value == sum(o.total for o in orders)
    first = min(o.ordered_at for o in orders).date()
    assert value.first_order_at.date() == first
    assert value.last_order_at.date() == max(o.ordered_at for o in orders).date()


def test_the_fits_are_recorded_with_parameters_and_log_likelihood(shoppers):
    stats = score_customers()
    fits = ValueModelFit.objects.filter(pk__in=stats.fit_ids).order_by("pk")
    assert [f.kind for f in fits] == [FitKind.BGNBD, FitKind.GAMMA_GAMMA]
    assert set(fits[0].params) == {"r", "alpha", "a", "b"}
    assert all(f.outcome == FitOutcome.OK and f.log_likelihood < 0 for f in fits)
    assert fits[0].unit_days == 7 and fits[0].customers == 60
    assert CustomerValue.objects.filter(fit=fits[0]).count() == 60


def test_the_pareto_model_can_be_chosen(shoppers):
    stats = score_customers(model="pareto")
    assert stats.ok, stats.error
    assert ValueModelFit.objects.get(pk=stats.fit_ids[0]).kind == FitKind.PARETO_NBD


def test_customers_without_revenue_orders_get_no_row(shoppers):
    nobody = CustomerFactory()
    cancelled = CustomerFactory()
    buy(cancelled, 30, status=OrderStatus.CANCELLED)
    score_customers()
    assert not CustomerValue.objects.filter(customer__in=[nobody, cancelled]).exists()


def test_a_customer_whose_orders_were_all_refunded_loses_the_row(shoppers):
    score_customers()
    Order.objects.filter(customer=shoppers[3]).update(status=OrderStatus.REFUNDED)
    stats = score_customers()
    assert stats.removed == 1
    assert not CustomerValue.objects.filter(customer=shoppers[3]).exists()


def test_orders_in_another_currency_are_left_out_and_counted(shoppers):
    swiss = CustomerFactory()
    buy(swiss, 40, "80.00", currency="CHF")
    buy(swiss, 10, "90.00", currency="CHF")
    stats = score_customers()
    assert stats.other_currency_orders == 2
    assert not CustomerValue.objects.filter(customer=swiss).exists()


def test_orders_after_the_calibration_end_are_ignored(shoppers):
    late = CustomerFactory()
    buy(late, 2)
    stats = score_customers(calibration_end=timezone.now() - timedelta(days=5))
    assert stats.ok, stats.error
    assert not CustomerValue.objects.filter(customer=late).exists()


def test_the_baseline_is_the_p_alive_of_a_month_ago_not_of_last_night(shoppers):
    first = timezone.now() - timedelta(days=40)
    score_customers(now=first)
    before = dict(CustomerValue.objects.values_list("customer_id", "p_alive"))
    CustomerValue.objects.update(p_alive=0.99)  # what the first scoring stored, say
    score_customers(now=first + timedelta(days=1))
    one = CustomerValue.objects.get(customer=shoppers[5])
    assert (one.p_alive_previous, one.p_alive_previous_at) == (0.99, first)
    assert one.p_alive == pytest.approx(before[shoppers[5].pk])
    # Nightly scorings keep that baseline until it is a month old, then move it on.
    CustomerValue.objects.update(p_alive=0.5)
    score_customers(now=first + timedelta(days=2))
    assert CustomerValue.objects.get(customer=shoppers[5]).p_alive_previous == 0.99
    score_customers(now=first + timedelta(days=29))
    moved = CustomerValue.objects.get(customer=shoppers[5])
    assert moved.p_alive_previous == pytest.approx(before[shoppers[5].pk])
    assert moved.p_alive_previous_at == first + timedelta(days=2)


def test_the_margin_setting_scales_the_clv(shoppers, settings):
    settings.CLV_MARGIN = 0.3
    score_customers()
    low = dict(CustomerValue.objects.values_list("customer_id", "clv"))
    settings.CLV_MARGIN = 0.6
    score_customers()
    customer = max(low, key=low.get)
    assert CustomerValue.objects.get(customer_id=customer).clv == pytest.approx(
        2 * low[customer], abs=Decimal("0.02")
    )


def test_a_failed_fit_is_recorded_and_leaves_the_old_scores_in_place(shoppers):
    score_customers()
    kept = list(CustomerValue.objects.order_by("pk").values())
    Order.objects.exclude(customer__in=shoppers[:3]).update(status=OrderStatus.CANCELLED)
    stats = score_customers()
    assert not stats.ok and "customers" in stats.error
    failed = ValueModelFit.objects.get(pk=stats.fit_ids[-1])
    assert failed.outcome == FitOutcome.FAILED and failed.error == stats.error
    assert list(CustomerValue.objects.order_by("pk").values()) == kept


def test_a_failed_spend_fit_keeps_the_purchase_fit_and_the_old_scores(shoppers, monkeypatch):
    from rapport.analytics.clv import gamma_gamma
    from rapport.analytics.clv.fitting import ClvError

    def refuse(*args, **kwargs):
        raise ClvError("No repeat spend to fit.")

    monkeypatch.setattr(gamma_gamma, "fit", refuse)
    stats = score_customers()
    assert not stats.ok
    kinds = list(ValueModelFit.objects.filter(pk__in=stats.fit_ids).values_list("kind", "outcome"))
    assert (FitKind.BGNBD, FitOutcome.OK) in kinds
    assert (FitKind.GAMMA_GAMMA, FitOutcome.FAILED) in kinds
    assert not CustomerValue.objects.exists()


def test_no_orders_at_all_is_a_recorded_failure_not_a_crash(db):
    stats = score_customers()
    assert not stats.ok and stats.error
    assert ValueModelFit.objects.get().outcome == FitOutcome.FAILED


def test_a_margin_outside_zero_to_one_is_refused_clearly(shoppers, settings):
    settings.CLV_MARGIN = 1.5
    stats = score_customers()
    assert not stats.ok and "CLV_MARGIN" in stats.error


def test_valuable_customers_are_flagged_for_the_at_risk_list(shoppers):
    score_customers()
    valuable = CustomerValue.objects.filter(valuable=True)
    assert 0 < valuable.count() < 60
    top = CustomerValue.objects.order_by("-clv").first()
    assert top.valuable


def test_the_nightly_task_scores_the_customers(shoppers):
    from rapport.analytics.tasks import nightly_score_customers

    nightly_score_customers.call_local()
    assert CustomerValue.objects.count() == 60


def test_the_clv_score_command_scores_the_customers(shoppers, capsys):
    call_command("clv", "score")
    assert CustomerValue.objects.count() == 60
    assert "60" in capsys.readouterr().out


def test_reading_orders_uses_compact_arrays(shoppers):
    arrays, other = scoring.read_orders(timezone.now(), "EUR")
    assert arrays.customer_ids.dtype.itemsize + arrays.days.dtype.itemsize == 16
    assert len(arrays.amounts) == Order.objects.count() and other == 0
