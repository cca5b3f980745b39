"""Customer value jobs: refit the models and rescore every customer once a night."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from rapport.analytics.scoring import score_customers

logger = logging.getLogger(__name__)


# After the loyalty sweeps (01:10-01:50 UTC), when few orders arrive. The lock keeps a slow
# run and the next night's from writing the scores at the same time.
@db_periodic_task(crontab(minute="20", hour="2"))
@lock_task("analytics-score-customers")
def nightly_score_customers() -> None:
    stats = score_customers()
    if not stats.ok:
        # The failed fit is recorded (dashboard, admin); the previous scores stay in place.
        logger.warning("Customer value scoring failed: %s", stats.error)
