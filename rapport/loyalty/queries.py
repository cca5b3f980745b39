"""Reads of the loyalty programme: differences between kept balances and the ledger."""

from django.db import connection

from rapport.loyalty.models import LedgerEntry, Member


def balance_differences(limit: int = 100) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Return (members checked, members differing, the first ``limit`` differences).

    A difference is (member id, kept balance, sum of the member's ledger entries). One pass
    over the entries in member order (the ``loyalty_entry_sum`` index holds both columns),
    merged with the members in the same order.
    """
    members = Member._meta.db_table
    entries = LedgerEntry._meta.db_table
    sql = f"""
        SELECT m.id, m.balance, COALESCE(s.total, 0)
        FROM {members} m
        LEFT JOIN (
            SELECT member_id, SUM(points) AS total FROM {entries} GROUP BY member_id
        ) s ON s.member_id = m.id
        WHERE m.balance <> COALESCE(s.total, 0)
        ORDER BY m.id
    """  # noqa: S608 - table names from the models, no user input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        differing = cursor.fetchall()
        cursor.execute(f"SELECT COUNT(*) FROM {members}")  # noqa: S608
        checked = cursor.fetchone()[0]
    return checked, len(differing), [tuple(row) for row in differing[:limit]]
