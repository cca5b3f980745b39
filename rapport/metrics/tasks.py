"""KPI jobs: the weekly report email to managers, and keeping the KPI fact packs fresh."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from rapport.metrics import packs
from rapport.metrics.weekly import send_weekly_reports


@db_periodic_task(crontab(minute="*/5"))
def refresh_fact_packs() -> None:
    """Rebuild the KPI fact packs holding changed rows, when enough changed or long enough ago."""
    packs.refresh_if_due()


# Every hour of Monday morning (UTC): the first run sends, later runs retry failed sends and
# find nothing else to do, because each recipient's week is recorded once sent.
@db_periodic_task(crontab(minute="10", hour="5-11", day_of_week="1"))
def weekly_kpi_reports() -> None:
    if settings.METRICS_WEEKLY_REPORT:
        send_weekly_reports()
