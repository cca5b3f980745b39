"""Operational writes."""

import os
import socket

from django.db import DatabaseError, connection
from django.utils import timezone

from rapport.ops.models import WorkerHeartbeat


def record_heartbeat() -> WorkerHeartbeat:
    """Note that a worker on this host is alive and processing jobs."""
    name = f"{socket.gethostname()}:{os.getpid()}"
    beat, _created = WorkerHeartbeat.objects.update_or_create(
        worker=name, defaults={"last_seen_at": timezone.now()}
    )
    return beat


def optimize_database() -> list[str]:
    """Refresh the query planner's statistics where they are missing or stale; return the tables.

    SQLite plans from ``sqlite_stat1``; a database that was filled (a large import, a restore)
    without fresh statistics gets poor plans, and list pages take seconds instead of
    milliseconds. Tables with an index that has no statistics, or whose size changed by more
    than ``STALE_FACTOR`` since they were analysed, are analysed in full (a row limit such as
    ``analysis_limit=1000`` guesses about 1,000 customers per country at a million customers,
    and the planner then sorts 350,000 rows; the full pass takes about 2 s per million rows),
    then ``PRAGMA optimize`` does what SQLite itself judges useful. Cheap when nothing
    changed, so it runs hourly and belongs after imports. PostgreSQL's autovacuum keeps its
    statistics itself: nothing to do there.
    """
    if connection.vendor != "sqlite":
        return []
    analysed = []
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=0")
        for table in _stale_tables(cursor):
            cursor.execute(f'ANALYZE "{table}"')  # a name from sqlite_master, not user input
            analysed.append(table)
        # 0x10002: also check tables this connection has not used (SQLite >= 3.46; older
        # versions ignore the bit and check only the tables this connection queried).
        cursor.execute("PRAGMA optimize=0x10002")
    return analysed


#: Re-analyse a table when its row count grew or shrank by this factor since its statistics.
STALE_FACTOR = 2


def _stale_tables(cursor) -> list[str]:
    """Return the tables with an index that has no statistics or whose size has changed."""
    cursor.execute(
        "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index'"
        " AND tbl_name NOT LIKE 'sqlite_%' ORDER BY tbl_name, name"
    )
    indexes: dict[str, set[str]] = {}
    for table, index, sql in cursor.fetchall():
        # A partial index may be empty, and ANALYZE records nothing for an empty index.
        partial = " WHERE " in (sql or "").upper()
        indexes.setdefault(table, set()).update(() if partial else (index,))
    cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
    analysed: dict[str, set[str]] = {}
    recorded: dict[str, int] = {}
    if cursor.fetchone():
        cursor.execute("SELECT tbl, idx, CAST(stat AS INTEGER) FROM sqlite_stat1")
        for table, index, rows in cursor.fetchall():
            analysed.setdefault(table, set()).add(index)
            recorded[table] = max(recorded.get(table, 0), rows or 0)
    stale = []
    for table, names in indexes.items():
        try:
            # The rowid span estimates the size in O(log n), without counting the rows.
            cursor.execute(
                f'SELECT (SELECT MAX(rowid) FROM "{table}") - (SELECT MIN(rowid) FROM "{table}") + 1'  # noqa: S608
            )
        except DatabaseError:  # a WITHOUT ROWID table: leave it to PRAGMA optimize
            continue
        rows, known = cursor.fetchone()[0] or 0, recorded.get(table, 0)
        if rows == 0:  # ANALYZE records nothing for an empty table
            continue
        if not names <= analysed.get(table, set()) or (
            max(rows, known) > max(min(rows, known), 100) * STALE_FACTOR
        ):
            stale.append(table)
    return stale
