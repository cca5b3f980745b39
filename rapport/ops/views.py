from datetime import timedelta

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from rapport.ops.models import WorkerHeartbeat


def health(request):
    """Answer 200 when the web process can reach its database; report when a worker was last seen."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    last = (
        WorkerHeartbeat.objects.order_by("-last_seen_at")
        .values_list("last_seen_at", flat=True)
        .first()
    )
    worker_ok = last is not None and timezone.now() - last < timedelta(minutes=3)
    return JsonResponse(
        {
            "status": "ok",
            "worker": "ok" if worker_ok else "unknown",
            "worker_last_seen": last.isoformat() if last else None,
        }
    )
