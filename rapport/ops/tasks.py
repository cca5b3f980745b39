"""Background jobs of the operations app."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from rapport.ops.actions import optimize_database, record_heartbeat


@db_task(retries=3, retry_delay=5)
def heartbeat() -> None:
    """Record that a worker picked up a job (enqueued on demand, e.g. by the health check)."""
    record_heartbeat()


@db_periodic_task(crontab(minute="*"))
def periodic_heartbeat() -> None:
    record_heartbeat()


@db_periodic_task(crontab(minute="17"))
def periodic_optimize_database() -> None:
    """Refresh the query planner's statistics where data changed (a no-op most hours)."""
    optimize_database()
