"""Background jobs of imports: each takes a job id and calls the action."""

from huey.contrib.djhuey import db_task

from rapport.imports import actions


@db_task(retries=2, retry_delay=30)
def run_import(job_id: int) -> None:
    """Run the import job ``job_id`` (idempotent: a finished job is left alone)."""
    actions.run_import_job(job_id=job_id)
