"""The database triggers that tell the KPI fact packs which rows changed.

Installed after every ``migrate`` (``apps.MetricsConfig.ready``), not in one migration: on
SQLite a later migration that rebuilds a table drops the triggers on it, and installing them
again after each ``migrate`` is idempotent. ``installed()`` lets the engine refuse packs when a
trigger is missing rather than serve stale figures.
"""

from dataclasses import dataclass

from django.db import connections

CHANGES = "metrics_factchange"


@dataclass(frozen=True)
class Watch:
    """One table: the columns whose change matters, and what to log for a row (source, column)."""

    name: str
    table: str
    columns: tuple[str, ...]
    logs: tuple[tuple[str, str], ...]


WATCHES = (
    Watch(
        "conv",
        "helpdesk_conversation",
        (
            "status",
            "channel",
            "team_id",
            "assignee_id",
            "language",
            "customer_id",
            "created_at",
            "first_response_at",
            "solved_at",
            "closed_at",
            "agent_reply_count",
            "reopen_count",
            "handling_seconds",
            "first_response_business_seconds",
            "resolution_business_seconds",
            "first_response_due_at",
            "resolution_due_at",
            "merged_into_id",
        ),
        (("conversations", "id"), ("activity", "customer_id")),
    ),
    Watch(
        "clock",
        "sla_slaclock",
        ("first_response_breached_at", "resolution_breached_at", "conversation_id"),
        (("conversations", "conversation_id"),),
    ),
    Watch(
        "customer",
        "customers_customer",
        ("country", "language", "created_at"),
        (("customers", "id"),),
    ),
    Watch(
        "order",
        "commerce_order",
        ("customer_id", "ordered_at", "total", "currency", "status"),
        (("activity", "customer_id"),),
    ),
    Watch(
        "answer",
        "feedback_surveyresponse",
        ("kind", "score", "answered_at", "conversation_id", "customer_id", "language"),
        (("responses", "id"),),
    ),
)


def _values(logs, row: str) -> str:
    return ", ".join(f"('{source}', {row}.{column})" for source, column in logs)


def _sqlite(watch: Watch) -> list[str]:
    insert = f"INSERT INTO {CHANGES} (source, row_id) VALUES "
    name = f"metrics_{watch.name}"
    columns = ", ".join(watch.columns)
    return [
        f"CREATE TRIGGER IF NOT EXISTS {name}_ins AFTER INSERT ON {watch.table} BEGIN "
        f"{insert}{_values(watch.logs, 'NEW')}; END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_upd AFTER UPDATE OF {columns} ON {watch.table} "
        f"BEGIN {insert}{_values(watch.logs, 'OLD')}, {_values(watch.logs, 'NEW')}; END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_del AFTER DELETE ON {watch.table} BEGIN "
        f"{insert}{_values(watch.logs, 'OLD')}; END",
    ]


def _postgresql(watch: Watch) -> list[str]:
    insert = f"INSERT INTO {CHANGES} (source, row_id) VALUES "
    name = f"metrics_{watch.name}"
    columns = ", ".join(watch.columns)
    return [
        f"CREATE OR REPLACE FUNCTION {name}_change() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {insert}{_values(watch.logs, 'OLD')}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {insert}{_values(watch.logs, 'NEW')}; END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        f"DROP TRIGGER IF EXISTS {name}_change ON {watch.table}",
        f"CREATE TRIGGER {name}_change AFTER INSERT OR DELETE OR UPDATE OF {columns} "
        f"ON {watch.table} FOR EACH ROW EXECUTE FUNCTION {name}_change()",
    ]


def names(vendor: str) -> set[str]:
    """Return the names the triggers have on ``vendor``."""
    if vendor == "sqlite":
        return {f"metrics_{w.name}_{op}" for w in WATCHES for op in ("ins", "upd", "del")}
    return {f"metrics_{w.name}_change" for w in WATCHES}


def install(using: str = "default") -> None:
    """Create the triggers (again) on database ``using``; a no-op where they exist."""
    connection = connections[using]
    build = {"sqlite": _sqlite, "postgresql": _postgresql}.get(connection.vendor)
    if build is None:
        return
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for watch in WATCHES:
            if watch.table in tables and CHANGES in tables:
                for statement in build(watch):
                    cursor.execute(statement)


def drop(using: str = "default") -> None:
    """Remove the triggers from database ``using`` (a bulk load; see ``packs.bulk_load``)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in names("sqlite"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif connection.vendor == "postgresql":
            for watch in WATCHES:
                cursor.execute(
                    f"DROP TRIGGER IF EXISTS metrics_{watch.name}_change ON {watch.table}"
                )


def installed(using: str = "default") -> bool:
    """Return whether every trigger exists on database ``using``."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            return False
        found = {row[0] for row in cursor.fetchall()}
    return names(connection.vendor) <= found
