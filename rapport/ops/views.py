from django.db import connection
from django.http import JsonResponse


def health(request):
    """Answer 200 when the web process can reach its database (for load balancers)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
