"""Operational writes."""

import os
import socket

from django.utils import timezone

from rapport.ops.models import WorkerHeartbeat


def record_heartbeat() -> WorkerHeartbeat:
    """Note that a worker on this host is alive and processing jobs."""
    name = f"{socket.gethostname()}:{os.getpid()}"
    beat, _created = WorkerHeartbeat.objects.update_or_create(
        worker=name, defaults={"last_seen_at": timezone.now()}
    )
    return beat
