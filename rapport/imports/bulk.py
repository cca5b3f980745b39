"""Fast batch writes (imports, mail intake): one prepared statement run with ``executemany``.

``bulk_create`` spends ~5 µs of Python per column per row preparing values; an import of a
hundred thousand customers writes a few million values. Here the caller hands over values
that are already in database form (strings, numbers, None, values passed through
``prepare``), the statement is built once and the driver does the rest. Ids of new rows
are allocated before the insert, so no RETURNING is needed: on PostgreSQL from the table's
sequence, on SQLite above the highest id ever used (the write lock is held: SQLite
transactions here begin IMMEDIATE). Other databases fall back to ``bulk_create``.
"""

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection, models

FAST_VENDORS = ("sqlite", "postgresql")
BULK_CHECKPOINT_PAGES = 20_000


def prepare(model: type[models.Model], field_name: str, value: Any) -> Any:
    """Return ``value`` as the database driver takes it for ``model.field_name``."""
    return model._meta.get_field(field_name).get_db_prep_save(value, connection)


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Return ``count`` new primary keys for ``model``; call inside the writing transaction."""
    if count == 0:
        return []
    table = model._meta.db_table
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [quoted, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT max(id) FROM {quoted}")  # noqa: S608 - table name from the model
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
    return list(range(start, start + count))


def insert_rows(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: list[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert ``rows`` (tuples of prepared values in ``field_names`` order) into ``model``'s table."""
    if not rows:
        return
    if connection.vendor not in FAST_VENDORS:
        objs = [model(**dict(zip(field_names, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, ignore_conflicts=ignore_conflicts)
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in field_names)
    placeholders = ", ".join(["%s"] * len(field_names))
    verb = "INSERT"
    suffix = ""
    if ignore_conflicts:
        if connection.vendor == "sqlite":
            verb = "INSERT OR IGNORE"
        else:
            suffix = " ON CONFLICT DO NOTHING"
    sql = f"{verb} INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders}){suffix}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def update_objects(objs: Sequence[models.Model], field_names: Sequence[str]) -> None:
    """Write ``field_names`` of ``objs`` (rows of one model) back: one prepared UPDATE, run
    with ``executemany``.

    ``bulk_update`` builds a CASE expression per field over all rows, which costs more than
    the update itself for a few hundred rows; this sends each row's values as parameters.
    """
    if not objs:
        return
    model = type(objs[0])
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in field_names]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    pk = model._meta.pk
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(pk.column)} = %s"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def select_in(
    model: type[models.Model],
    field_names: Sequence[str],
    key: str,
    values: Sequence[Any],
    *,
    where: dict[str, Any] | None = None,
) -> list[tuple]:
    """Return ``field_names`` of ``model``'s rows whose ``key`` is one of ``values`` (strings).

    ``values`` must already be in database form; ``where`` adds equality conditions.
    """
    if not values:
        return []
    quote = connection.ops.quote_name
    column = model._meta.get_field
    columns = ", ".join(quote(column(name).column) for name in field_names)
    conditions = [f"{quote(column(key).column)} IN ({', '.join(['%s'] * len(values))})"]
    params = list(values)
    for name, value in (where or {}).items():
        conditions.append(f"{quote(column(name).column)} = %s")
        params.append(value)
    sql = f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {' AND '.join(conditions)}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@contextlib.contextmanager
def bulk_load() -> Iterator[None]:
    """Let SQLite's write-ahead log grow during a bulk load instead of checkpointing per batch.

    Checkpoints (copying the log into the database file, with a sync) otherwise run every
    1,000 pages, roughly at every batch's commit; this saves about a tenth of an import's time.
    The previous setting is restored afterwards; the next commit checkpoints as usual.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(previous)}")
