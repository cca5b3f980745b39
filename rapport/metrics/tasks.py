"""KPI jobs: the weekly report email to managers."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from rapport.metrics.weekly import send_weekly_reports


# Every hour of Monday morning (UTC): the first run sends, later runs retry failed sends and
# find nothing else to do, because each recipient's week is recorded once sent.
@db_periodic_task(crontab(minute="10", hour="5-11", day_of_week="1"))
def weekly_kpi_reports() -> None:
    if settings.METRICS_WEEKLY_REPORT:
        send_weekly_reports()
