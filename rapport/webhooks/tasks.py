"""Background jobs of outgoing webhooks: send one delivery, and the sweep that retries due ones."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from rapport.webhooks.actions import deliver_webhook, send_due_deliveries


@db_task()
def send_webhook_delivery(delivery_id: int) -> None:
    deliver_webhook(delivery_id)


@db_periodic_task(crontab(minute="*"))
def periodic_send_due_webhooks() -> None:
    send_due_deliveries()
