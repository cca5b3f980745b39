"""The loyalty emails and jobs: tier changes, expiry reminders, contact hours, sent once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import trans_real

from rapport.customers.models import FormOfAddress, Salutation
from rapport.loyalty import actions, notifications
from rapport.loyalty.letters import notice_letter
from rapport.loyalty.models import LoyaltyNotice, Member, NoticeKind, NoticeStatus
from rapport.loyalty.queries import balance_differences
from rapport.loyalty.tests.conftest import NOW

# A few German texts as the catalogue will have them (rapport/locale is merged by the lead),
# so that the formal and informal variants can be told apart here.
GERMAN = {
    "formal\x04You have reached %(tier)s": "Sie haben %(tier)s erreicht",
    "informal\x04You have reached %(tier)s": "Du hast %(tier)s erreicht",
    "formal\x04%(points)s points expire on %(date)s": "%(points)s Punkte verfallen am %(date)s",
    "informal\x04%(points)s points expire on %(date)s": "%(points)s Punkte verfallen am %(date)s",
    "formal\x04%(points)s of your points expire on %(date)s. Redeem them for a reward "
    "before then:": "%(points)s Ihrer Punkte verfallen am %(date)s. Lösen Sie sie vorher ein:",
    "informal\x04%(points)s of your points expire on %(date)s. Redeem them for a reward "
    "before then:": "%(points)s deiner Punkte verfallen am %(date)s. Löse sie vorher ein:",
}


@pytest.fixture
def german():
    catalog = trans_real.translation("de")._catalog
    saved = {key: catalog[key] for key in GERMAN if key in catalog}
    for key, text in GERMAN.items():
        catalog[key] = text
    yield
    for key in GERMAN:
        catalog[key] = saved.get(key, key)


@pytest.fixture
def member(programme, cast):
    customer = cast.customer
    customer.salutation = Salutation.MS
    customer.language = "en"
    customer.time_zone = "Europe/Berlin"
    customer.save()
    return actions.enroll_customer(customer=customer)


def assert_verified():
    _checked, differing, shown = balance_differences()
    assert differing == 0, shown


def reach_silver(order, now=NOW):
    actions.accrue_order(order=order(lines=[(Decimal("600.00"), "")], ordered_at=now), now=now)


# --- Tier changes ----------------------------------------------------------------------------


def test_a_tier_reached_in_the_daily_run_queues_its_email(member, order):
    reach_silver(order)
    assert notifications.recalculate_recent_tiers(now=NOW) == 1
    notice = LoyaltyNotice.objects.get()
    assert notice.kind == NoticeKind.TIER_CHANGED
    assert notice.data["tier_name"] == "Silver" and notice.data["upgraded"]
    assert Member.objects.get(pk=member.pk).tier.name == "Silver"


def test_the_daily_tier_run_twice_queues_one_email(member, order):
    reach_silver(order)
    notifications.recalculate_recent_tiers(now=NOW)
    assert notifications.recalculate_recent_tiers(now=NOW) == 0
    assert LoyaltyNotice.objects.count() == 1


def test_members_without_recent_activity_are_left_alone(member, order):
    long_ago = NOW - timedelta(days=100)
    reach_silver(order, now=long_ago)
    member.entries.update(created_at=long_ago)  # the sign-up bonus too
    assert notifications.recalculate_recent_tiers(now=NOW) == 0
    assert not LoyaltyNotice.objects.exists()


def test_a_tier_lost_when_purchases_leave_the_twelve_months_is_told_politely(member, order):
    year_ago = NOW - timedelta(days=365)
    reach_silver(order, now=year_ago)
    actions.recalculate_tier(member=member, now=year_ago)
    notifications.recalculate_recent_tiers(now=NOW + timedelta(days=1))
    notice = LoyaltyNotice.objects.get()
    assert notice.data["tier_name"] == "Bronze" and not notice.data["upgraded"]
    subject, text, _html = notice_letter(notice)
    assert subject == "Your tier is now Bronze"
    assert "last twelve months" in text


def test_the_tier_email_in_english_greets_formally_and_lists_benefits(member, order, programme):
    silver = programme.tiers.get(name="Silver")
    silver.free_shipping = True
    silver.save()
    reach_silver(order)
    notifications.recalculate_recent_tiers(now=NOW)
    subject, text, html = notice_letter(LoyaltyNotice.objects.get())
    assert subject == "You have reached Silver"
    assert text.startswith("Dear Ms Schmidt,")
    assert "Free shipping" in text and "1.25 times the points" in text
    assert "/portal/loyalty/" in text and "<li>Free shipping</li>" in html


def test_the_tier_email_in_german_uses_sie_for_formal_customers(member, order, german):
    member.customer.language = "de"
    member.customer.save()
    reach_silver(order)
    notifications.recalculate_recent_tiers(now=NOW)
    subject, text, _html = notice_letter(LoyaltyNotice.objects.get())
    assert subject == "Sie haben Silver erreicht"
    assert text.startswith("Sehr geehrte Frau Schmidt,")


def test_the_tier_email_in_german_uses_du_for_informal_customers(member, order, german):
    member.customer.language = "de"
    member.customer.form_of_address = FormOfAddress.INFORMAL
    member.customer.save()
    reach_silver(order)
    notifications.recalculate_recent_tiers(now=NOW)
    subject, text, _html = notice_letter(LoyaltyNotice.objects.get())
    assert subject == "Du hast Silver erreicht"
    assert text.startswith("Hallo Anna,")


# --- Expiry reminders ------------------------------------------------------------------------


def earn_expiring(order, days_left: int, amount="250.00"):
    """Earn points that expire ``days_left`` days after NOW (24 months after earning)."""
    earned_at = actions.months_later(NOW + timedelta(days=days_left), -24)
    bought = order(lines=[(Decimal(amount), "")], ordered_at=earned_at)
    actions.accrue_order(order=bought, now=earned_at)


def test_points_expiring_within_thirty_days_queue_a_reminder_with_the_points_and_date(
    member, order
):
    earn_expiring(order, days_left=20)
    assert notifications.queue_expiry_reminders(now=NOW) == 1
    notice = LoyaltyNotice.objects.get()
    assert notice.kind == NoticeKind.POINTS_EXPIRING
    assert notice.data["points"] == 250
    subject, text, _html = notice_letter(notice)
    assert subject == "250 points expire on 10 Dec 2026"
    assert "Redeem them for a reward" in text


def test_points_expiring_later_are_not_reminded_yet(member, order):
    earn_expiring(order, days_left=45)
    assert notifications.queue_expiry_reminders(now=NOW) == 0


def test_spent_points_are_not_reminded(member, order, voucher_reward):
    earn_expiring(order, days_left=20, amount="400.00")
    member.refresh_from_db()
    # 500 spent oldest first: the sign-up bonus is newer, so the expiring 400 go first.
    actions.redeem_reward(member=member, reward=voucher_reward, now=NOW)
    assert notifications.queue_expiry_reminders(now=NOW) == 0
    assert_verified()


def test_a_reminder_is_queued_once_per_expiry_date(member, order):
    earn_expiring(order, days_left=20)
    notifications.queue_expiry_reminders(now=NOW)
    assert notifications.queue_expiry_reminders(now=NOW + timedelta(days=1)) == 0
    assert LoyaltyNotice.objects.count() == 1


def test_the_reminder_in_german_uses_the_german_date_and_form(member, order, german):
    member.customer.language = "de"
    member.customer.form_of_address = FormOfAddress.INFORMAL
    member.customer.save()
    earn_expiring(order, days_left=20)
    notifications.queue_expiry_reminders(now=NOW)
    subject, text, _html = notice_letter(LoyaltyNotice.objects.get())
    assert subject == "250 Punkte verfallen am 10. Dezember 2026"
    assert "deiner Punkte" in text and text.startswith("Hallo Anna,")


# --- Sending ---------------------------------------------------------------------------------


def test_notices_wait_for_the_customers_local_daytime(member, order):
    night = datetime(2026, 11, 20, 3, tzinfo=UTC)  # 04:00 in Berlin, a Friday
    reach_silver(order, now=night)
    notifications.recalculate_recent_tiers(now=night)
    notice = LoyaltyNotice.objects.get()
    assert notice.send_after == datetime(2026, 11, 20, 8, tzinfo=UTC)  # 09:00 in Berlin
    assert notifications.send_due_notices(now=night) == 0
    assert not mail.outbox
    assert notifications.send_due_notices(now=notice.send_after) == 1
    assert len(mail.outbox) == 1


def test_a_due_notice_is_emailed_once(member, order):
    reach_silver(order)
    notifications.recalculate_recent_tiers(now=NOW)
    assert notifications.send_due_notices(now=NOW + timedelta(hours=1)) == 1
    assert notifications.send_due_notices(now=NOW + timedelta(hours=2)) == 0
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["anna@example.org"]
    assert sent.subject == "You have reached Silver"
    assert LoyaltyNotice.objects.get().status == NoticeStatus.SENT


def test_a_customer_without_an_email_address_is_skipped(member, order):
    member.customer.contact_points.all().delete()
    reach_silver(order)
    notifications.recalculate_recent_tiers(now=NOW)
    assert notifications.send_due_notices(now=NOW + timedelta(hours=1)) == 0
    notice = LoyaltyNotice.objects.get()
    assert notice.status == NoticeStatus.SKIPPED and notice.skip_reason == "no_address"
    assert not mail.outbox


def test_a_failed_send_is_recorded_and_not_retried_twice(member, order, monkeypatch):
    reach_silver(order)
    notifications.recalculate_recent_tiers(now=NOW)

    def refuse(self, *args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    assert notifications.send_due_notices(now=NOW + timedelta(hours=1)) == 0
    notice = LoyaltyNotice.objects.get()
    assert notice.status == NoticeStatus.FAILED and notice.skip_reason == "send_failed"


# --- The daily jobs --------------------------------------------------------------------------


def test_the_daily_jobs_expire_points_recalculate_tiers_and_remind(member, order, monkeypatch):
    from rapport.loyalty import tasks

    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    earn_expiring(order, days_left=-1, amount="50.00")  # expired yesterday
    earn_expiring(order, days_left=10, amount="30.00")
    reach_silver(order)
    tasks.daily_expire_points.call_local()
    tasks.daily_recalculate_tiers.call_local()
    tasks.daily_expiry_reminders.call_local()
    member.refresh_from_db()
    assert member.balance == 100 + 30 + 600
    assert member.tier.name == "Silver"
    kinds = sorted(LoyaltyNotice.objects.values_list("kind", flat=True))
    assert kinds == [NoticeKind.POINTS_EXPIRING, NoticeKind.TIER_CHANGED]
    assert_verified()


def test_letters_leave_the_active_language_alone(member, order):
    reach_silver(order)
    notifications.recalculate_recent_tiers(now=NOW)
    with translation.override("en"):
        notice_letter(LoyaltyNotice.objects.get())
        assert translation.get_language() == "en"
