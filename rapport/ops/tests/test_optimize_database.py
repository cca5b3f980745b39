import pytest
from django.db import connection

from rapport.factories import CustomerFactory
from rapport.ops.actions import optimize_database

pytestmark = pytest.mark.django_db


def stat_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone():
            return set()
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL analyses by itself")
def test_optimize_database_analyses_filled_tables_without_statistics_once():
    CustomerFactory.create_batch(3)
    analysed = optimize_database()
    assert "customers_customer" in analysed
    assert "customers_customer" in stat_tables()
    assert "customers_customer" not in optimize_database()  # fresh statistics: nothing to do


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL analyses by itself")
def test_optimize_database_analyses_a_table_again_when_it_has_grown():
    CustomerFactory.create_batch(3)
    optimize_database()
    CustomerFactory.create_batch(250)
    assert "customers_customer" in optimize_database()


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite needs the statistics")
def test_optimize_database_leaves_postgresql_alone():
    assert optimize_database() == []
