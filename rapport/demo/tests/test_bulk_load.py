"""The bulk-load helpers: which indexes stay during a load, and multi-row batches."""

from rapport.demo.generator import _batches, _cheap_to_keep, _index_columns


def test_index_columns_are_parsed_in_key_order():
    sql = 'CREATE INDEX "x" ON "t" ("country", "created_at" DESC, "id") WHERE "is_vip"'
    assert _index_columns(sql) == ["country", "created_at", "id"]


def test_indexes_updated_in_key_order_stay_during_a_load():
    keep = [
        'CREATE INDEX "a" ON "customers_customer" ("created_at")',
        'CREATE INDEX "b" ON "customers_customer" ("organization_id")',
        'CREATE INDEX "c" ON "customers_customer" ("country", "created_at", "id")',
        'CREATE INDEX "d" ON "customers_customer" ("family_key", "id") WHERE "is_vip"',
        'CREATE INDEX "e" ON "timeline_timelineevent" ("customer_id", "occurred_at" DESC)',
    ]
    rebuild = [
        'CREATE INDEX "f" ON "customers_customer" ("family_key", "given_key", "id")',
        'CREATE INDEX "g" ON "customers_customer" ("country", "family_key", "given_key", "id")',
        'CREATE INDEX "h" ON "customers_contactpoint" ("kind", "normalized")',
    ]
    assert all(_cheap_to_keep(sql) for sql in keep)
    assert not any(_cheap_to_keep(sql) for sql in rebuild)


def test_batches_cover_every_row_once():
    rows = [(n, f"v{n}") for n in range(250)]
    batches = _batches("INSERT INTO t (a, b) VALUES (?, ?)", rows, 100)
    assert [count for _sql, _params, count in batches] == [200, 50]
    full_sql, full_params, _count = batches[0]
    assert full_sql.count("(?, ?)") == 100
    flat = [value for params in full_params for value in params]
    flat += [value for row in batches[1][1] for value in row]
    assert flat == [value for row in rows for value in row]
