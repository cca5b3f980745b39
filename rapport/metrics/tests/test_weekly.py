"""The weekly KPI report email: who gets it, what it says, and that a week is sent only once."""

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.factories import UserFactory
from rapport.feedback.models import SurveyKind
from rapport.metrics import tasks, weekly
from rapport.metrics.models import WeeklyReport

# Wednesday 18 November 2026: last week is Monday 9 to Sunday 15 November.
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
WEEK = (date(2026, 11, 9), date(2026, 11, 15))


def on(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def week(cast, conversation, answer):
    """Last week: two conversations and CSAT 5, 5, 1; the week before: CSAT 1, 1."""
    conversation(created_at=on(10))
    conversation(created_at=on(12))
    for score in (5, 5, 1):
        answer(SurveyKind.CSAT, score, answered_at=on(11))
    for score in (1, 1):
        answer(SurveyKind.CSAT, score, answered_at=on(4))


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_last_week_runs_from_monday_to_sunday():
    assert weekly.last_week(NOW) == WEEK


def test_last_week_is_taken_in_the_site_time_zone():
    # Sunday 23:30 UTC is already Monday 00:30 in Berlin: the week just ended is last week.
    assert weekly.last_week(datetime(2026, 11, 15, 23, 30, tzinfo=UTC)) == WEEK


def test_on_a_monday_last_week_is_the_week_just_ended():
    assert weekly.last_week(datetime(2026, 11, 16, 7, 0, tzinfo=UTC)) == WEEK


def test_managers_and_administrators_receive_the_report(cast):
    assert weekly.send_weekly_reports(now=NOW) == 2
    assert sent_to() == ["admin@example.com", "manager@example.com"]


def test_agents_marketers_and_inactive_managers_receive_nothing(cast):
    UserFactory(username="gone", role=Role.MANAGER, is_active=False)
    weekly.send_weekly_reports(now=NOW)
    assert "agent@example.com" not in sent_to()
    assert "marketer@example.com" not in sent_to()
    assert "gone@example.com" not in sent_to()


def test_a_manager_without_an_email_address_is_skipped(cast):
    cast.manager.email = ""
    cast.manager.save()
    assert weekly.send_weekly_reports(now=NOW) == 1
    assert sent_to() == ["admin@example.com"]


def test_a_second_run_in_the_same_week_sends_nothing(cast):
    assert weekly.send_weekly_reports(now=NOW) == 2
    assert weekly.send_weekly_reports(now=NOW + timedelta(days=2)) == 0
    assert len(mail.outbox) == 2
    assert WeeklyReport.objects.filter(week_start=WEEK[0], sent_at__isnull=False).count() == 2


def test_the_next_week_is_sent_again(cast):
    weekly.send_weekly_reports(now=NOW)
    assert weekly.send_weekly_reports(now=NOW + timedelta(days=7)) == 2
    assert len(mail.outbox) == 4


def test_a_report_being_sent_by_another_worker_is_not_sent_again(cast):
    WeeklyReport.objects.create(week_start=WEEK[0], recipient=cast.admin, claimed_at=timezone.now())
    assert weekly.send_weekly_reports(now=NOW) == 1
    assert sent_to() == ["manager@example.com"]


def test_a_claim_left_by_a_dead_worker_is_taken_over(cast):
    stale = timezone.now() - weekly.CLAIM_TIMEOUT - timedelta(minutes=1)
    WeeklyReport.objects.create(week_start=WEEK[0], recipient=cast.admin, claimed_at=stale)
    assert weekly.send_weekly_reports(now=NOW) == 2


def test_a_failed_send_is_retried_by_the_next_run_and_the_others_still_go_out(cast):
    real_send = weekly.EmailMultiAlternatives.send

    def fail_for_admin(message, *args, **kwargs):
        if message.to == ["admin@example.com"]:
            raise OSError("mail server down")
        return real_send(message, *args, **kwargs)

    with mock.patch.object(weekly.EmailMultiAlternatives, "send", fail_for_admin):
        assert weekly.send_weekly_reports(now=NOW) == 1
    assert sent_to() == ["manager@example.com"]
    assert weekly.send_weekly_reports(now=NOW) == 1
    assert sent_to() == ["admin@example.com", "manager@example.com"]


def test_the_report_compares_last_week_with_the_week_before(cast, week):
    weekly.send_weekly_reports(now=NOW)
    message = next(m for m in mail.outbox if m.to == ["manager@example.com"])
    assert message.subject == "Weekly KPI report: 09/11/2026 to 15/11/2026"
    assert "compared with the week from 02/11/2026 to 08/11/2026" in message.body
    assert "Customer satisfaction (CSAT): 66.7 % (previous week: 0.0, change: +66.7; n = 3)" in (
        message.body
    )
    assert "Inquiry volume: 2" in message.body


def test_the_report_says_whether_the_csat_change_is_beyond_noise(cast, week):
    weekly.send_weekly_reports(now=NOW)
    body = mail.outbox[0].body
    line = next(line for line in body.splitlines() if line.startswith("Customer satisfaction"))
    assert line.endswith("beyond noise") or line.endswith("within noise")


def test_the_report_lists_at_most_three_biggest_changes(cast, week, conversation):
    conversation(created_at=on(3))
    weekly.send_weekly_reports(now=NOW)
    body = mail.outbox[0].body
    section = body.split("Biggest changes")[1].split("Backlog and service levels")[0]
    changes = [line for line in section.splitlines() if line.startswith("- ")]
    assert 1 <= len(changes) <= 3
    assert "Inquiry volume: 1 → 2 (+1)" in section


def test_the_report_shows_backlog_and_sla(cast, week):
    weekly.send_weekly_reports(now=NOW)
    section = mail.outbox[0].body.split("Backlog and service levels")[1]
    assert "- Backlog at the end of the period: 2" in section
    assert "- SLA attainment:" in section


def test_the_report_links_to_the_dashboard_with_an_absolute_url(cast, settings):
    settings.SITE_URL = "https://crm.example.org/"
    weekly.send_weekly_reports(now=NOW)
    message = mail.outbox[0]
    link = "https://crm.example.org/metrics/?period=custom&from=2026-11-09&to=2026-11-15"
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert link.replace("&", "&amp;") in html


def test_the_report_is_written_in_the_managers_language(cast, week):
    cast.manager.language = "de"
    cast.manager.save()
    weekly.send_weekly_reports(now=NOW)
    message = next(m for m in mail.outbox if m.to == ["manager@example.com"])
    assert "09.11.2026" in message.subject
    assert "66,7" in message.body
    english = next(m for m in mail.outbox if m.to == ["admin@example.com"])
    assert "66.7" in english.body


def test_the_html_report_is_escaped(cast, week, settings):
    settings.SITE_URL = 'https://crm.example.org/"><script>alert(1)</script>'
    weekly.send_weekly_reports(now=NOW)
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_the_task_sends_the_reports(cast, settings):
    settings.METRICS_WEEKLY_REPORT = True
    tasks.weekly_kpi_reports.call_local()
    assert len(mail.outbox) == 2


def test_the_task_sends_nothing_when_switched_off(cast, settings):
    settings.METRICS_WEEKLY_REPORT = False
    tasks.weekly_kpi_reports.call_local()
    assert mail.outbox == []
    assert not WeeklyReport.objects.exists()


def test_the_task_runs_on_monday_mornings():
    # Huey checks its schedule against naive UTC times.
    validate = tasks.weekly_kpi_reports.task_class().validate_datetime
    monday, tuesday = on(16, 5), on(17, 5)
    assert validate(monday.replace(minute=10, tzinfo=None))
    assert not validate(tuesday.replace(minute=10, tzinfo=None))


def test_the_command_sends_the_reports(cast, capsys):
    call_command("metrics_weekly")
    assert len(mail.outbox) == 2
    assert "2 weekly report(s) sent." in capsys.readouterr().out


def test_the_command_dry_run_lists_recipients_and_sends_nothing(cast, capsys):
    call_command("metrics_weekly", "--dry-run")
    out = capsys.readouterr().out
    assert "manager@example.com: Weekly KPI report" in out
    assert "nothing was sent" in out
    assert mail.outbox == []
    assert not WeeklyReport.objects.exists()


def test_the_command_sends_one_unrecorded_copy_to_an_address(cast):
    call_command("metrics_weekly", "--to", "boss@example.org")
    assert sent_to() == ["boss@example.org"]
    assert not WeeklyReport.objects.exists()
    call_command("metrics_weekly")
    assert len(mail.outbox) == 3


def test_the_command_previews_a_copy_without_sending(cast, capsys):
    call_command("metrics_weekly", "--to", "manager@example.com", "--dry-run")
    assert "Key figures of the week" in capsys.readouterr().out
    assert mail.outbox == []


def test_the_command_refuses_a_bad_address(cast):
    with pytest.raises(CommandError, match="is not an email address"):
        call_command("metrics_weekly", "--to", "not-an-address")
    assert mail.outbox == []
