"""The demo data generator: realistic, internally consistent rows written in bulk with raw SQL.

Rows are built from the pools in ``pools.py`` with one seeded ``random.Random`` and written
chunk by chunk with ``cursor.executemany`` through Django's connection, with explicit ids so
contact points, orders, lines and events reference their customer without a round trip. The
derived columns that ``save()`` would fill (``family_key``, ``given_key``, ``normalized``,
``name_key``) are computed here the same way. On SQLite the load runs with
``synchronous=OFF`` and a large page cache; on PostgreSQL the id sequences are reset afterwards.

Only ``rapport.demo.actions`` calls this module.
"""

import json
import math
import multiprocessing
import os
import queue
import random
import sqlite3
import tempfile
import threading
import time
import traceback
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.commerce.actions import ORDER_RECORDED
from rapport.commerce.models import Order, OrderLine, Product
from rapport.customers.actions import CONSENT_GIVEN, CONSENT_WITHDRAWN, CUSTOMER_CREATED
from rapport.customers.models import (
    ConsentPurpose,
    ConsentRecord,
    ConsentSource,
    ContactPoint,
    Customer,
    CustomFieldDefinition,
    CustomFieldType,
    Organization,
    Tag,
    fold,
)
from rapport.demo import pools as pool_module
from rapport.demo.texts import ACTIVITIES, INDUSTRIES, MESSAGES, NOTES, PRODUCTS, TAGS
from rapport.ops.actions import optimize_database
from rapport.timeline.messages import label as choice_label
from rapport.timeline.messages import message
from rapport.timeline.models import TimelineEvent

#: Days of history: orders spread over about four years before today.
HISTORY_DAYS = 4 * 365
#: Customers whose last order is older than this are "churned" (lapsed buyers).
CHURN_AFTER_DAYS = 540
CHUNK = 10_000
INBOUND = '{"direction": "in"}'
LANGUAGES = ("de", "en", "fr", "es", "it", "pl", "tr")
CUSTOMERS, CONTACTS, TAG_LINKS = (
    "customers_customer",
    "customers_contactpoint",
    "customers_customer_tags",
)
CUSTOMER_TABLES = (CUSTOMERS, CONTACTS, TAG_LINKS)
ORDER_TABLES = ("commerce_order", "commerce_orderline")
EVENT_TABLES = ("timeline_timelineevent", "customers_consentrecord")
#: Index columns whose values arrive in (nearly) ascending order: ids follow creation order.
ASCENDING = frozenset({"id", "customer_id", "order_id", "created_at"})
#: Index columns with few distinct values (or mostly NULL): each value is a separate run.
FEW_VALUES = frozenset(
    {
        "account_manager_id",
        "organization_id",
        "tag_id",
        "actor_id",
        "product_id",
        "recorded_by_id",
        "country",
        "language",
        "lifecycle_stage",
    }
)
INSERT_EVENTS = (
    "INSERT INTO timeline_timelineevent (customer_id, kind, occurred_at, actor_id, channel,"
    " title, body, data, source_type, source_id, dedupe_key, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
OUTBOUND = '{"direction": "out"}'

ADDRESS_FIELDS = (
    ("street", "Street and number", "Straße und Hausnummer", 1),
    ("postal_code", "Postal code", "Postleitzahl", 2),
    ("city", "City", "Ort", 3),
)


@dataclass
class DemoStats:
    """What a demo load wrote and how long each part took (seconds)."""

    customers: int = 0
    contact_points: int = 0
    organizations: int = 0
    orders: int = 0
    order_lines: int = 0
    events: int = 0
    consents: int = 0
    tag_links: int = 0
    seconds: dict[str, float] = field(
        default_factory=lambda: {
            "setup": 0.0,
            "customers": 0.0,
            "orders": 0.0,
            "events": 0.0,
            "statistics": 0.0,
        }
    )

    #: Of ``seconds``, the time spent building indexes after the load (SQLite, empty tables).
    index_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def customers_per_second(self) -> float:
        return self.customers / self.seconds["customers"] if self.seconds["customers"] else 0.0

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds["events"] if self.seconds["events"] else 0.0

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def as_dict(self) -> dict:
        return {
            "customers": self.customers,
            "contact_points": self.contact_points,
            "organizations": self.organizations,
            "orders": self.orders,
            "order_lines": self.order_lines,
            "events": self.events,
            "consents": self.consents,
            "tag_links": self.tag_links,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "index_seconds": {k: round(v, 3) for k, v in self.index_seconds.items()},
            "customers_per_second": round(self.customers_per_second),
            "events_per_second": round(self.events_per_second),
            "total_seconds": round(self.total_seconds, 3),
        }


def _max_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our table names
    return int(cursor.fetchone()[0])


def _index_columns(sql: str) -> list[str]:
    """Return the column names of a ``CREATE INDEX`` statement, in key order."""
    inside = sql.split(" ON ", 1)[1]
    inside = inside[inside.index("(") + 1 : inside.index(")")]
    return [part.split()[0].strip('"') for part in inside.split(",")]


def _cheap_to_keep(sql: str) -> bool:
    """Return whether rows written in id order update this index (nearly) in key order.

    That is the case when the key starts with an ascending column (``customer_id``,
    ``created_at``) or with columns of few distinct values followed by an ascending column or
    by nothing (the rowid, which ascends): each distinct value then receives appends at one
    place, like ``(country, created_at, id)`` or ``(organization_id)``. Partial indexes (VIP
    customers, customers with an account manager) hold few rows and are cheap too.
    """
    if " WHERE " in sql.upper():
        return True
    for column in _index_columns(sql):
        if column in ASCENDING:
            return True
        if column not in FEW_VALUES:
            return False
    return True


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _format_total(cents: int, language: str) -> str:
    """Return an EUR amount as babel formats it for the UI languages ("€1,234.50", "1.234,50 €")."""
    if language == "de":
        return f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}\xa0€"
    return f"€{cents // 100:,}.{cents % 100:02d}"


class DemoGenerator:
    """Generate and write ``customers`` demo customers with everything that belongs to them."""

    def __init__(
        self,
        *,
        customers: int,
        seed: int,
        orders: bool = True,
        events_per_customer: int = 0,
        staff_ids: list[int] | None = None,
        manager_ids: list[int] | None = None,
        progress: Callable[[int, int, DemoStats], None] | None = None,
        using: str = "default",
    ):
        self.total = customers
        self.seed = seed
        self.with_orders = orders
        self.events_per_customer = events_per_customer
        self.staff_ids = staff_ids or []
        self.manager_ids = manager_ids or self.staff_ids
        self.progress = progress
        self.using = using
        self.connection = connections[using]
        self.vendor = self.connection.vendor
        self.rnd = random.Random(seed)
        self.stats = DemoStats()
        # Compact purchase plans, one entry per customer of this run (index = id - first id).
        self.plan_lang = array("B")
        self.plan_created_day = array("H")
        self.plan_created_time = array("H")
        self.plan_order_days = array("H")
        self.plan_offsets = array("L", [0])
        self.dropped: dict[str, list[str]] = {}
        self.email_seen: dict[str, int] = {}
        # SQLite keeps Django's naive-UTC text format; PostgreSQL gets an explicit offset.
        self.tz_suffix = "" if self.vendor == "sqlite" else "+00:00"
        self.now = timezone.now().replace(microsecond=0)
        # The active UI language decides how amounts in order titles are written.
        self.language = "de" if (translation.get_language() or "en").startswith("de") else "en"

    # --- setup ------------------------------------------------------------------------------

    def _prepare(self, cursor) -> None:
        started = time.perf_counter()
        self.pools = pool_module.build_pools(self.seed)
        rnd = self.rnd
        market_weights = [(i, p.market.weight) for i, p in enumerate(self.pools)]
        self.market_table = pool_module.expand(market_weights, 1000)
        # Day strings: day 0 is HISTORY_DAYS + 30 days ago, today is ``self.today``.
        self.today = HISTORY_DAYS + 30
        start = (self.now - timedelta(days=self.today)).date()
        self.days = [(start + timedelta(days=d)).isoformat() for d in range(self.today + 1)]
        # Times of day, weighted towards shop hours (UTC); seconds vary.
        hour_weights = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 9, 8, 8, 8, 9, 10, 11, 10, 7, 4, 2]
        self.times = [
            f" {h:02d}:{rnd.randrange(60):02d}:{rnd.randrange(60):02d}{self.tz_suffix}"
            for h in pool_module.expand([(h, w) for h, w in enumerate(hour_weights)], 4096)
        ]
        # Birthdays: ages 18 to 85, most between 25 and 60.
        today = self.now.date()
        self.birthdays = []
        for _i in range(20000):
            age = 18 + (rnd.random() + rnd.random() + rnd.random()) / 3 * 67
            self.birthdays.append((today - timedelta(days=int(age * 365.25))).isoformat())
        # How many events customers have relative to the average: heavy-tailed, mean 1.
        raw = [rnd.paretovariate(2.2) for _i in range(4096)]
        mean = sum(raw) / len(raw)
        self.activity_weights = [w / mean for w in raw]
        self._prepare_reference_rows(cursor)
        self.stats.seconds["setup"] += time.perf_counter() - started

    def _prepare_reference_rows(self, cursor) -> None:
        """Create tags, address custom fields, products and organisations; remember their ids."""
        now = self.now
        for name in TAGS:
            Tag.objects.using(self.using).get_or_create(name=name)
        self.tag_ids = dict(
            Tag.objects.using(self.using).filter(name__in=TAGS).values_list("name", "id")
        )
        for key, label, label_de, position in ADDRESS_FIELDS:
            CustomFieldDefinition.objects.using(self.using).get_or_create(
                key=key,
                defaults={
                    "label": label,
                    "label_de": label_de,
                    "field_type": CustomFieldType.TEXT,
                    "position": position,
                },
            )
        for sku, name, category, price, _weight in PRODUCTS:
            Product.objects.using(self.using).get_or_create(
                sku=sku,
                defaults={
                    "name": name,
                    "category": category,
                    "price": price,
                    "currency": "EUR",
                    "created_at": now - timedelta(days=self.today),
                },
            )
        by_sku = {
            p.sku: p
            for p in Product.objects.using(self.using).filter(sku__in=[p[0] for p in PRODUCTS])
        }
        catalogue = []
        for sku, _name, _category, _price, weight in PRODUCTS:
            product = by_sku[sku]
            cents = int(product.price * 100)
            catalogue.append(((product.id, sku, product.name, cents, _money(cents)), weight))
        self.product_table = pool_module.expand(catalogue, 2000)
        self._create_organizations(cursor)

    def _create_organizations(self, cursor) -> None:
        rnd = self.rnd
        count = max(len(self.pools), self.total // 40)
        first_id = _max_id(cursor, Organization._meta.db_table) + 1
        rows = []
        self.org_ids_by_market: list[list[tuple[int, str]]] = [[] for _p in self.pools]
        created = self.days[30] + " 09:00:00" + self.tz_suffix
        for n in range(count):
            market_index = self.market_table[int(rnd.random() * len(self.market_table))]
            pool = self.pools[market_index]
            name = pool.companies[int(rnd.random() * len(pool.companies))]
            slug = pool_module.email_part(name.split(",")[0].split(" ")[0]) or "company"
            domain = f"{slug}{n}.example"
            org_id = first_id + n
            vat = f"{pool.market.country}{rnd.randrange(10**8, 10**9)}"
            manager = (
                self.manager_ids[int(rnd.random() * len(self.manager_ids))]
                if self.manager_ids and rnd.random() < 0.3
                else None
            )
            industry = INDUSTRIES[int(rnd.random() * len(INDUSTRIES))]
            rows.append(
                (org_id, name, fold(name)[:200], domain, vat, pool.market.country, industry)
                + (manager, created, created)
            )
            self.org_ids_by_market[market_index].append((org_id, domain))
        cursor.executemany(
            f"INSERT INTO {Organization._meta.db_table} (id, name, name_key, domain, vat_id,"  # noqa: S608
            " country, industry, account_manager_id, created_at, updated_at, external_id,"
            " phone, notes) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, '', '')",
            rows,
        )
        self.stats.organizations = count

    # --- the load ---------------------------------------------------------------------------

    def run(self) -> DemoStats:
        connection = self.connection
        connection.ensure_connection()
        # Pragmas cannot change inside a transaction (as in tests); the load then runs without.
        sqlite = self.vendor == "sqlite" and not connection.in_atomic_block
        with connection.cursor() as cursor:
            if sqlite:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-1000000")
                # The generator writes only ids it has written before; SQLite would look each
                # one up, and its fast table copy (see _customers_from_child) needs this off.
                cursor.execute("PRAGMA foreign_keys=OFF")
            try:
                with transaction.atomic(using=self.using):
                    self._prepare(cursor)
                self.first_customer = self.next_customer = _max_id(cursor, "customers_customer") + 1
                self.next_order = _max_id(cursor, Order._meta.db_table) + 1
                self.next_consent = _max_id(cursor, ConsentRecord._meta.db_table) + 1
                if self.vendor == "sqlite":
                    self._drop_indexes(cursor, CUSTOMER_TABLES + ORDER_TABLES + EVENT_TABLES)
                self._pass(cursor, "customers", CUSTOMER_TABLES, self._customer_chunk)
                if self.with_orders:
                    self._pass(cursor, "orders", ORDER_TABLES, self._order_chunk)
                self._pass(cursor, "events", EVENT_TABLES, self._event_chunk)
            finally:
                # Normally each pass rebuilds its tables' indexes; this is for a failed load.
                self._create_indexes(cursor, tuple(self.dropped))
                if sqlite:
                    cursor.execute("PRAGMA foreign_keys=ON")
                    cursor.execute("PRAGMA synchronous=NORMAL")
                    cursor.execute("PRAGMA cache_size=-65536")
            # Fresh statistics: without them SQLite's planner picks poor indexes on the new rows
            # (for example contact_lookup instead of the customer_id index). Full ones: a
            # sample (analysis_limit) misjudges the filters at a million customers.
            started = time.perf_counter()
            if self.vendor == "sqlite":
                if self.using == DEFAULT_DB_ALIAS:
                    optimize_database()
                else:
                    cursor.execute("PRAGMA analysis_limit=0")
                    cursor.execute("ANALYZE")
            elif self.vendor == "postgresql" and not connection.in_atomic_block:
                cursor.execute("ANALYZE")
            self.stats.seconds["statistics"] += time.perf_counter() - started
            if self.vendor == "postgresql":
                models = [
                    Customer,
                    ContactPoint,
                    Organization,
                    Order,
                    OrderLine,
                    TimelineEvent,
                    ConsentRecord,
                    Customer.tags.through,
                ]
                for sql in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)
        return self.stats

    def _pass(self, cursor, phase: str, tables: tuple[str, ...], chunk) -> None:
        """Run ``chunk(writer, start, size)`` over all customers, rebuild ``tables``' indexes.

        The time, including the index build, counts towards ``phase``. The customers pass on
        SQLite (outside a transaction) generates its rows in a child process; see
        ``_customers_from_child``.
        """
        base = self.stats.seconds[phase]
        started = time.perf_counter()

        def report(done: int) -> None:
            if self.progress and phase == "customers":
                self.stats.seconds[phase] = base + time.perf_counter() - started
                self.progress(done, self.total, self.stats)

        if phase == "customers" and self._can_fork():
            self._customers_from_child(report)
        else:
            with BulkWriter(self.connection) as writer:
                done = 0
                while done < self.total:
                    size = min(CHUNK, self.total - done)
                    chunk(writer, done, size)
                    done += size
                    report(done)
        indexing = time.perf_counter()
        self._create_indexes(cursor, tables)
        self.stats.index_seconds[phase] = (
            self.stats.index_seconds.get(phase, 0.0) + time.perf_counter() - indexing
        )
        self.stats.seconds[phase] = base + time.perf_counter() - started

    # --- the customers pass in a child process ----------------------------------------------

    def _can_fork(self) -> bool:
        """Return whether the customers can be generated in a forked child process.

        Only for SQLite outside a transaction (the bulk path with its own transactions), with
        more than one chunk and more than one CPU, where ``fork`` exists (not on Windows).
        """
        name = str(self.connection.settings_dict["NAME"])
        return (
            self.vendor == "sqlite"
            and not self.connection.in_atomic_block
            and CONTACTS in self.dropped
            and name != ":memory:"
            and not name.startswith("file:")
            and self.total > CHUNK
            and (os.cpu_count() or 1) > 1
            and "fork" in multiprocessing.get_all_start_methods()
        )

    def _customers_from_child(self, report: Callable[[int], None]) -> None:
        """Generate the customers in a forked child; insert them here, chunk by chunk.

        One core builds the rows while the other writes them: the child sends each chunk's
        customer and tag rows, already batched into multi-row ``VALUES`` parameter tuples,
        through a pipe (which holds the child at most one chunk ahead). The contact points it
        writes itself, into a side SQLite file with the same table and indexes, and builds
        their indexes there while this process builds the customers' indexes; this process
        then copies the finished table in one ``INSERT ... SELECT *``, which SQLite runs as a
        page-order transfer of the rows and of each index (no sorting, no B-tree searches).
        Last the child sends what the later passes need: the purchase plans, the random
        generator's state and the counts. The rows are the ones this process would generate;
        the child shares no database connection with it.
        """
        connection = self.connection
        directory = Path(str(connection.settings_dict["NAME"])).resolve().parent
        handle, side_path = tempfile.mkstemp(prefix="demo-contacts-", suffix=".db", dir=directory)
        os.close(handle)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT type, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL"
                " ORDER BY type DESC",
                [CONTACTS],
            )
            schema = [sql for _type, sql in cursor.fetchall()]
        schema += self.dropped[CONTACTS]
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(
            target=self._child_main,
            args=(sender, side_path, schema),
            name="demo-generator",
            daemon=True,
        )
        child.start()
        sender.close()

        def receive(expected: str):
            try:
                kind, payload = receiver.recv()
            except EOFError:
                raise RuntimeError("the demo generator process ended early") from None
            if kind == "error":
                raise RuntimeError(f"the demo generator process failed:\n{payload}")
            if kind != expected:
                raise RuntimeError(f"the demo generator process sent {kind!r}, not {expected!r}")
            return payload

        try:
            with BulkWriter(connection, background=False) as writer:
                done = 0
                while done < self.total:
                    done, batches = receive("chunk")
                    writer.write_batches(batches)
                    self.stats.customers = done  # for the progress report; the child counts
                    report(done)
            self._apply_child_state(receive("state"))
            # The child builds the contact points' indexes meanwhile.
            started = time.perf_counter()
            with connection.cursor() as cursor:
                self._create_indexes(cursor, (CUSTOMERS, TAG_LINKS))
            self.stats.index_seconds["customers"] = time.perf_counter() - started
            self.stats.contact_points = receive("contacts")
            started = time.perf_counter()
            with connection.cursor() as cursor:
                # Empty indexes on the empty table: the copy below fills them in order.
                self._create_indexes(cursor, (CONTACTS,))
                cursor.execute("ATTACH DATABASE %s AS demo_side", [side_path])
                try:
                    cursor.execute("BEGIN IMMEDIATE")
                    cursor.execute(
                        f"INSERT INTO {CONTACTS} SELECT * FROM demo_side.{CONTACTS}"  # noqa: S608
                    )
                    cursor.execute("COMMIT")
                finally:
                    cursor.execute("DETACH DATABASE demo_side")
            # Counted as index time: the transfer writes the contact points and their indexes.
            self.stats.index_seconds["customers"] += time.perf_counter() - started
        finally:
            receiver.close()
            child.join(timeout=30)
            if child.is_alive():
                child.kill()
                child.join()
            Path(side_path).unlink(missing_ok=True)

    def _child_main(self, sender, side_path: str, schema: list[str]) -> None:
        """In the child: generate every chunk, send the customers, write the contact points."""
        try:
            side = sqlite3.connect(side_path, isolation_level=None)
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-500000"):
                side.execute(f"PRAGMA {pragma}")
            side.execute("PRAGMA temp_store=MEMORY")
            table_sql, *index_sql = schema
            side.execute(table_sql)
            side.execute("BEGIN")
            collector = _BatchCollector(local={CONTACTS: side})
            done = 0
            while done < self.total:
                size = min(CHUNK, self.total - done)
                self._customer_chunk(collector, done, size)
                done += size
                sender.send(("chunk", (done, collector.take())))
            side.execute("COMMIT")
            sender.send(
                (
                    "state",
                    {
                        "rnd": self.rnd.getstate(),
                        "next_customer": self.next_customer,
                        "plan": (
                            self.plan_lang,
                            self.plan_created_day,
                            self.plan_created_time,
                            self.plan_order_days,
                            self.plan_offsets,
                        ),
                        "counts": (self.stats.customers, self.stats.tag_links),
                    },
                )
            )
            for sql in index_sql:
                side.execute(sql)
            side.close()
            sender.send(("contacts", self.stats.contact_points))
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises
            sender.send(("error", traceback.format_exc()))
        finally:
            sender.close()

    def _apply_child_state(self, state: dict) -> None:
        self.rnd.setstate(state["rnd"])
        self.next_customer = state["next_customer"]
        (
            self.plan_lang,
            self.plan_created_day,
            self.plan_created_time,
            self.plan_order_days,
            self.plan_offsets,
        ) = state["plan"]
        self.stats.customers, self.stats.tag_links = state["counts"]

    def _drop_indexes(self, cursor, tables: tuple[str, ...]) -> None:
        """Drop the indexes of those ``tables`` that are empty; remember how to build them.

        Building an index once from sorted data is far cheaper than updating its B-tree row
        by row in random order, so a load into an empty database drops them first (SQLite
        only). Indexes whose entries arrive in key order stay (see ``_cheap_to_keep``): updating
        them costs the writer less than a separate pass over the table after the load.
        """
        for table in dict.fromkeys(tables):
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - our table names
            if cursor.fetchone():
                continue
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                " AND sql IS NOT NULL",
                [table],
            )
            for name, sql in cursor.fetchall():
                if _cheap_to_keep(sql):
                    continue
                cursor.execute(f'DROP INDEX "{name}"')
                self.dropped.setdefault(table, []).append(sql)

    def _create_indexes(self, cursor, tables: tuple[str, ...]) -> None:
        for table in tables:
            for sql in self.dropped.pop(table, []):
                cursor.execute(sql)

    def _customer_chunk(self, writer: "BulkWriter", start: int, size: int) -> None:
        """Write ``size`` customers with contact points and tags; remember their purchase plans."""
        rnd = self.rnd.random
        pools = self.pools
        market_table = self.market_table
        n_markets = len(market_table)
        days = self.days
        times = self.times
        n_times = len(times)
        birthdays = self.birthdays
        n_birthdays = len(birthdays)
        today = self.today
        total = self.total
        position = start
        email_seen = self.email_seen
        with_orders = self.with_orders
        manager_ids = self.manager_ids
        org_ids_by_market = self.org_ids_by_market
        tag_ids = [self.tag_ids[t] for t in TAGS]
        b2b_tag = self.tag_ids["b2b"]
        n_tags = len(tag_ids)
        log = math.log
        language_index = {code: i for i, code in enumerate(LANGUAGES)}
        channels = ("email",) * 10 + ("phone",) * 3 + ("sms",) + ("chat",) * 2 + ("",) * 2
        n_channels = len(channels)
        customers = []
        contacts = []
        tag_links = []
        plan_lang = self.plan_lang.append
        plan_day = self.plan_created_day.append
        plan_time = self.plan_created_time.append
        plan_orders = self.plan_order_days.extend
        plan_offsets = self.plan_offsets.append
        n_orders_total = len(self.plan_order_days)
        append_customer = customers.append
        append_contact = contacts.append
        customer_id = self.next_customer
        for _n in range(size):
            market_index = market_table[int(rnd() * n_markets)]
            pool = pools[market_index]
            market = pool.market
            u = rnd()
            if u < 0.49:
                names, salutation = pool.male, "mr"
            elif u < 0.985:
                names, salutation = pool.female, "ms"
            else:
                names, salutation = (pool.male if u < 0.9925 else pool.female), "mx"
            g = int(rnd() * len(names.names))
            family = pool.family
            f = int(rnd() * len(family.names))
            given_name = names.names[g]
            family_name = family.names[f]
            title = (
                market.titles[int(rnd() * len(market.titles))] if rnd() < market.title_share else ""
            )
            # Birthday: 75% known; the young prefer the informal form more often.
            if rnd() < 0.75:
                b = int(rnd() * n_birthdays)
                birthday = birthdays[b]
                young = birthday > "1995"
            else:
                birthday = None
                young = False
            formal_share = market.formal_share - (0.2 if young else 0.0)
            form = "formal" if rnd() < formal_share else "informal"
            # Phone prefix (and for the US the area code's city and time zone).
            p = int(rnd() * len(pool.phone_prefixes))
            if pool.us_zones:
                zone = pool.us_zones[p]
                city = pool.cities_json[p]
            else:
                zone = market.time_zones[0][0]
                city = pool.cities_json[int(rnd() * len(pool.cities_json))]

            # Customers arrive over the years, more in recent ones; ids follow creation order.
            created_day = int(today * ((position + rnd()) / total) ** 0.66)
            position += 1
            # Purchase plan: most buy once, some repeatedly, a few are loyal; some lapse.
            order_days: list[int] = []
            if with_orders and rnd() >= 0.22:
                u = rnd()
                if u < 0.62:
                    n_orders = 1
                elif u < 0.9:
                    n_orders = 2 + int(rnd() * rnd() * 4)
                elif u < 0.97:
                    n_orders = 5 + int(rnd() * 5)
                else:
                    n_orders = 10 + int(rnd() * rnd() * 31)
                day = created_day + 1 + int(rnd() * rnd() * 30)
                if n_orders > 1:
                    gap = (
                        60 + rnd() * 300
                        if n_orders <= 5
                        else (30 + rnd() * 120 if n_orders < 10 else 12 + rnd() * 45)
                    )
                    # Lapsed buyers stop a year and a half or more before today.
                    stop = today - CHURN_AFTER_DAYS - int(rnd() * 700) if rnd() < 0.3 else today
                    if stop < day:
                        stop = today
                    while day <= stop and n_orders:
                        order_days.append(day)
                        n_orders -= 1
                        day += 1 + int(-gap * log(1 - rnd()))
                elif day <= today:
                    order_days.append(day)
            time_index = int(rnd() * n_times)
            created = days[created_day] + times[time_index]
            if order_days:
                stage = "churned" if today - order_days[-1] > CHURN_AFTER_DAYS else "customer"
                updated = days[order_days[-1]] + times[int(rnd() * n_times)]
            else:
                stage = "lead"
                updated = created
            n_orders = len(order_days)
            is_vip = (n_orders >= 10 and rnd() < 0.4) or rnd() < 0.003
            manager = (
                manager_ids[int(rnd() * len(manager_ids))]
                if is_vip and manager_ids and rnd() < 0.8
                else None
            )
            organization = None
            orgs = org_ids_by_market[market_index]
            if orgs and rnd() < 0.1:
                organization, org_domain = orgs[int(rnd() * len(orgs))]
            channel = channels[int(rnd() * n_channels)]
            if channel == "phone" and rnd() < market.whatsapp_share * 3:
                channel = "whatsapp"
            custom = (
                '{"street": %s, "postal_code": "%s", "city": %s}'  # noqa: UP031 - JSON braces
                % (
                    pool.streets_json[int(rnd() * len(pool.streets_json))][:-1]
                    + " "
                    + str(1 + int(rnd() * rnd() * 120))
                    + '"',
                    pool.postcodes[int(rnd() * len(pool.postcodes))],
                    city,
                )
                if rnd() < 0.8
                else "{}"
            )
            append_customer(
                (
                    customer_id,
                    given_name,
                    family_name,
                    title,
                    salutation,
                    form,
                    market.language,
                    zone,
                    market.country,
                    channel,
                    birthday,
                    stage,
                    is_vip,
                    custom,
                    family.keys[f],
                    names.keys[g],
                    created,
                    updated,
                    manager,
                    organization,
                )
            )
            # Contact points: an email for most, a phone for many, a work email in organisations.
            u = rnd()
            if u < 0.93:
                pattern = int(rnd() * 6)
                ge, fe = names.email[g], family.email[f]
                if pattern < 2:
                    base = ge + "." + fe
                elif pattern == 2:
                    base = ge + fe
                elif pattern == 3:
                    base = ge[0] + "." + fe
                elif pattern == 4:
                    base = fe + "." + ge
                else:
                    base = ge + "_" + fe
                seen = email_seen.get(base, 0)
                email_seen[base] = seen + 1
                if seen:
                    base += str(seen + 1)
                domains = market.email_domains
                email = base + "@" + domains[int(rnd() * len(domains))]
                append_contact((customer_id, "email", email, email, "", True, created))
            if u > 0.2:
                digits = pool.phone_digits[p]
                x = int(rnd() * 10**digits)
                if pool.us_zones:  # exchange codes start with 2-9
                    x = 2_000_000 + x % 8_000_000
                phone = "+" + pool.phone_prefixes[p] + str(x).zfill(digits)
                append_contact((customer_id, "phone", phone, phone, "", True, created))
            if organization is not None and rnd() < 0.5:
                work = names.email[g] + "." + family.email[f]
                seen = email_seen.get(work + "@" + org_domain, 0)
                email_seen[work + "@" + org_domain] = seen + 1
                if seen:
                    work += str(seen + 1)
                work += "@" + org_domain
                append_contact((customer_id, "email", work, work, "work", u >= 0.93, created))
            if organization is not None:
                tag_links.append((customer_id, b2b_tag))
            elif rnd() < 0.3:
                t1 = int(rnd() * n_tags)
                tag_links.append((customer_id, tag_ids[t1]))
                if rnd() < 0.3:
                    t2 = (t1 + 1 + int(rnd() * (n_tags - 1))) % n_tags
                    tag_links.append((customer_id, tag_ids[t2]))
            plan_lang(language_index[market.language])
            plan_day(created_day)
            plan_time(time_index)
            plan_orders(order_days)
            n_orders_total += n_orders
            plan_offsets(n_orders_total)
            customer_id += 1
        self.next_customer = customer_id
        writer.insert(
            f"INSERT INTO {Customer._meta.db_table} (id, given_name, family_name, title,"  # noqa: S608
            " salutation, form_of_address, language, time_zone, country, preferred_channel,"
            " birthday, lifecycle_stage, is_vip, custom_fields, family_key, given_key,"
            " created_at, updated_at, account_manager_id, organization_id, external_id,"
            " preferred_name, portal_user_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, '', NULL)",
            customers,
        )
        writer.insert(
            f"INSERT INTO {ContactPoint._meta.db_table} (customer_id, kind, value, normalized,"  # noqa: S608
            " label, is_primary, created_at, platform) VALUES (%s, %s, %s, %s, %s, %s, %s, '')",
            contacts,
        )
        if tag_links:
            writer.insert(
                f"INSERT INTO {Customer.tags.through._meta.db_table} (customer_id, tag_id)"  # noqa: S608
                " VALUES (%s, %s)",
                tag_links,
            )
        self.stats.customers += len(customers)
        self.stats.contact_points += len(contacts)
        self.stats.tag_links += len(tag_links)

    def _plans(self, start: int, size: int):
        """Yield (customer id, language, created day, created string, order days) per customer."""
        days, times = self.days, self.times
        offsets, order_days = self.plan_offsets, self.plan_order_days
        created_day, created_time, lang = (
            self.plan_created_day,
            self.plan_created_time,
            self.plan_lang,
        )
        first = self.first_customer
        for i in range(start, start + size):
            day = created_day[i]
            yield (
                first + i,
                LANGUAGES[lang[i]],
                day,
                days[day] + times[created_time[i]],
                order_days[offsets[i] : offsets[i + 1]],
            )

    def _order_chunk(self, writer: "BulkWriter", start: int, size: int) -> None:
        """Write the orders of ``size`` customers with their lines and 'order' timeline events."""
        rnd = self.rnd.random
        days = self.days
        times = self.times
        n_times = len(times)
        products = self.product_table
        n_products = len(products)
        today = self.today
        order_id = self.next_order
        orders = []
        lines = []
        events = []
        title_template = _(ORDER_RECORDED)
        language = self.language
        channels = ("web",) * 14 + ("store",) * 3 + ("marketplace",) * 2 + ("phone",)
        for customer_id, _lang, _created_day, _created, order_days in self._plans(start, size):
            first = True
            for day in order_days:
                u = rnd()
                n_lines = 1 if u < 0.6 else (2 if u < 0.85 else (3 if u < 0.95 else 4))
                total = 0
                chosen = set()
                number = f"R{order_id:08d}"
                line_count = 0
                for _k in range(n_lines):
                    product = products[int(rnd() * n_products)]
                    if product[0] in chosen:
                        continue
                    chosen.add(product[0])
                    cents = product[3]
                    quantity = 1 if cents > 5000 or rnd() < 0.7 else 2 + int(rnd() * 3)
                    line_total = cents * quantity
                    total += line_total
                    lines.append(
                        (order_id, product[0], product[1], product[2], quantity, product[4])
                        + (_money(line_total),)
                    )
                    line_count += 1
                age = today - day
                if age < 3:
                    status = "paid" if rnd() < 0.6 else "pending"
                elif age < 10:
                    status = "shipped"
                elif first:
                    status = "completed"
                else:
                    u = rnd()
                    status = (
                        "completed"
                        if u < 0.9
                        else ("returned" if u < 0.95 else ("cancelled" if u < 0.99 else "refunded"))
                    )
                first = False
                at = days[day] + times[int(rnd() * n_times)]
                total_text = _money(total)
                orders.append(
                    (order_id, customer_id, number, at, status, total_text)
                    + (channels[int(rnd() * len(channels))], at, at)
                )
                title = title_template % {"number": number, "total": _format_total(total, language)}
                data = (
                    '{"order_id": %d, "total": "%s", "currency": "EUR", "status": "%s", "lines": %d,'  # noqa: UP031 - JSON braces
                    ' "message": {"text": "%s", "params": {"number": "%s", "total": {"money": ["%s", "EUR"]}}}}'
                    % (order_id, total_text, status, line_count, ORDER_RECORDED, number, total_text)
                )
                events.append(
                    (customer_id, "order", at, None, "", title, "", data)
                    + ("commerce.order", str(order_id), f"order:{order_id}", at)
                )
                order_id += 1
        self.next_order = order_id
        writer.insert(
            f"INSERT INTO {Order._meta.db_table} (id, customer_id, number, ordered_at, status,"  # noqa: S608
            " total, channel, created_at, updated_at, currency, external_id) VALUES (%s, %s, %s,"
            " %s, %s, %s, %s, %s, %s, 'EUR', NULL)",
            orders,
        )
        writer.insert(
            f"INSERT INTO {OrderLine._meta.db_table} (order_id, product_id, sku, name, quantity,"  # noqa: S608
            " unit_price, line_total) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            lines,
        )
        writer.insert(INSERT_EVENTS, events)
        self.stats.orders += len(orders)
        self.stats.order_lines += len(lines)
        self.stats.events += len(events)

    def _event_chunk(self, writer: "BulkWriter", start: int, size: int) -> None:
        """Write profile, consent, note and interaction events of ``size`` customers."""
        rnd = self.rnd.random
        days = self.days
        times = self.times
        n_times = len(times)
        today = self.today
        staff = self.staff_ids
        n_staff = len(staff)
        weights = self.activity_weights
        n_weights = len(weights)
        per_customer = self.events_per_customer
        created_title = _(CUSTOMER_CREATED)
        newsletter = str(ConsentPurpose.NEWSLETTER.label)
        marketing = str(ConsentPurpose.MARKETING_EMAIL.label)
        given_title = _(CONSENT_GIVEN)
        withdrawn_title = _(CONSENT_WITHDRAWN)
        consent_titles = {
            ("newsletter", True): given_title % {"purpose": newsletter},
            ("newsletter", False): withdrawn_title % {"purpose": newsletter},
            ("marketing_email", True): given_title % {"purpose": marketing},
            ("marketing_email", False): withdrawn_title % {"purpose": marketing},
        }
        created_data = json.dumps({"source": "demo", "message": message(CUSTOMER_CREATED)})
        consent_messages = {
            (purpose, granted): json.dumps(
                message(
                    CONSENT_GIVEN if granted else CONSENT_WITHDRAWN,
                    purpose=choice_label(ConsentPurpose, purpose),
                )
            )
            for purpose in ("newsletter", "marketing_email")
            for granted in (True, False)
        }
        consent_id = self.next_consent
        consents = []
        events = []
        append = events.append
        message_channels = ("email",) * 6 + ("chat",) * 3 + ("whatsapp",)
        for customer_id, language, created_day, created, order_days in self._plans(start, size):
            append(
                (customer_id, "profile", created, None, "", created_title, "")
                + (created_data, "customers.customer", str(customer_id), None, created)
            )
            natural = 1 + len(order_days)
            if rnd() < 0.45:
                purpose = "newsletter" if rnd() < 0.6 else "marketing_email"
                source = ConsentSource.WEB_FORM if rnd() < 0.8 else ConsentSource.PORTAL
                for granted in (True, False) if rnd() < 0.12 else (True,):
                    at = (
                        created
                        if granted
                        else days[created_day + int(rnd() * (today - created_day))]
                        + times[int(rnd() * n_times)]
                    )
                    consents.append(
                        (consent_id, customer_id, purpose, granted, at, source, "2022-05")
                    )
                    data = (
                        '{"purpose": "%s", "granted": %s, "wording_version": "2022-05", "source": "%s", "message": %s}'  # noqa: UP031 - JSON braces
                        % (
                            purpose,
                            "true" if granted else "false",
                            source,
                            consent_messages[purpose, granted],
                        )
                    )
                    append(
                        (customer_id, "consent", at, None, "", consent_titles[purpose, granted], "")
                        + (data, "customers.consentrecord", str(consent_id), None, at)
                    )
                    consent_id += 1
                    natural += 1
            notes = NOTES[language]
            if n_staff and rnd() < 0.15:
                body = notes[int(rnd() * len(notes))]
                at = (
                    days[created_day + int(rnd() * (today - created_day))]
                    + times[int(rnd() * n_times)]
                )
                append(
                    (customer_id, "note", at, staff[int(rnd() * n_staff)], "", body.split("\n")[0])
                    + (body, "{}", "", "", None, at)
                )
                natural += 1
            if per_customer:
                extra = int(per_customer * weights[int(rnd() * n_weights)] + rnd()) - natural
                if extra > 0:
                    messages = MESSAGES[language]
                    activities = ACTIVITIES[language]
                    for _k in range(extra):
                        at = (
                            days[created_day + int(rnd() * (today - created_day + 1))]
                            + times[int(rnd() * n_times)]
                        )
                        u = rnd()
                        if u < 0.7 or not n_staff:
                            inbound = u < 0.4 or not n_staff
                            actor = None if inbound else staff[int(rnd() * n_staff)]
                            subject = messages[int(rnd() * len(messages))]
                            append(
                                (
                                    customer_id,
                                    "message",
                                    at,
                                    actor,
                                    message_channels[int(rnd() * 10)],
                                )
                                + (subject, "", inbound and INBOUND or OUTBOUND, "", "", None, at)
                            )
                        elif u < 0.9:
                            subject = activities[int(rnd() * 2)]
                            actor = staff[int(rnd() * n_staff)]
                            append(
                                (customer_id, "call", at, actor, "phone", subject, "")
                                + ('{"activity_type": "call"}', "", "", None, at)
                            )
                        else:
                            subject = activities[2]
                            actor = staff[int(rnd() * n_staff)]
                            append(
                                (customer_id, "activity", at, actor, "", subject, "")
                                + ('{"activity_type": "meeting"}', "", "", None, at)
                            )
        self.next_consent = consent_id
        if consents:
            writer.insert(
                f"INSERT INTO {ConsentRecord._meta.db_table} (id, customer_id, purpose, granted,"  # noqa: S608
                " recorded_at, source, wording_version, note, recorded_by_id) VALUES (%s, %s, %s,"
                " %s, %s, %s, %s, '', NULL)",
                consents,
            )
        writer.insert(INSERT_EVENTS, events)
        self.stats.consents += len(consents)
        self.stats.events += len(events)


def _batches(sql: str, rows: list[tuple], per_statement: int) -> list[tuple[str, list, int]]:
    """Split ``rows`` of ``INSERT ... VALUES (?, ...)`` into multi-row statements.

    Returns ``(statement, parameter tuples, rows)`` pairs for ``executemany``: full statements
    of up to ``per_statement`` rows (at most 30,000 parameters), then the single-row rest.
    """
    head, values = sql.split(" VALUES ", 1)
    per_row = values.count("?") + values.count("%s")
    size = max(1, min(per_statement, 30_000 // per_row))
    full = len(rows) - len(rows) % size
    batches = []
    if full:
        flat = chain.from_iterable
        batched_sql = head + " VALUES " + ", ".join([values] * size)
        params = [tuple(flat(rows[i : i + size])) for i in range(0, full, size)]
        batches.append((batched_sql, params, full))
    if full < len(rows):
        batches.append((sql, rows[full:], len(rows) - full))
    return batches


class _BatchCollector:
    """The writer of the generator's child process: collects a chunk's batches to send.

    Rows of the tables in ``local`` go straight into that (side) SQLite connection instead.
    """

    def __init__(self, local: dict | None = None):
        self.batches: list[tuple[str, list, int]] = []
        self.local = local or {}

    def insert(self, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        batches = _batches(sql.replace("%s", "?"), rows, BulkWriter.ROWS_PER_STATEMENT)
        side = self.local.get(sql.split()[2])
        if side is None:
            self.batches += batches
            return
        for statement, params, _count in batches:
            side.executemany(statement, params)

    def take(self) -> list[tuple[str, list, int]]:
        batches, self.batches = self.batches, []
        return batches


class BulkWriter:
    """Run ``INSERT ... VALUES (%s, ...)`` statements for many rows, in large transactions.

    Rows go in multi-row VALUES lists (100 rows per statement), which saves most of the
    per-statement work. On SQLite outside a transaction the statements run on the raw
    connection in transactions of ``COMMIT_EVERY`` rows; with ``background`` (the default) in
    a background thread on the same connection (Django opens SQLite connections with
    ``check_same_thread=False``), so the next chunk is generated while the last one is written:
    sqlite3 releases the GIL while it steps. Otherwise they run through Django's cursor inside
    one ``atomic`` block.
    """

    #: Rows per transaction on SQLite: bounds the WAL file.
    COMMIT_EVERY = 400_000
    ROWS_PER_STATEMENT = 100

    def __init__(self, connection, *, background: bool = True):
        self.connection = connection
        self.raw_sqlite = connection.vendor == "sqlite" and not connection.in_atomic_block
        self.threaded = self.raw_sqlite and background
        self.error: BaseException | None = None
        self.aborted = False
        self.pending = 0
        self.in_transaction = False

    def __enter__(self) -> "BulkWriter":
        if self.raw_sqlite:
            self.raw = self.connection.connection
        if self.threaded:
            self.queue: queue.Queue = queue.Queue(maxsize=8)
            self.thread = threading.Thread(target=self._work, name="demo-writer", daemon=True)
            self.thread.start()
        elif not self.raw_sqlite:
            self.atomic = transaction.atomic(using=self.connection.alias)
            self.atomic.__enter__()
            self.cursor = self.connection.cursor()
        return self

    def insert(self, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        if not self.raw_sqlite:
            for statement, params, _count in _batches(sql, rows, self.ROWS_PER_STATEMENT):
                self.cursor.executemany(statement, params)
            return
        self.write_batches(_batches(sql.replace("%s", "?"), rows, self.ROWS_PER_STATEMENT))

    def write_batches(self, batches: list[tuple[str, list, int]]) -> None:
        """Write batches from ``_batches`` (SQLite outside a transaction only)."""
        if not self.threaded:
            self._write(batches)
            return
        if self.error:
            raise self.error
        self.queue.put(batches)

    def _write(self, batches: list[tuple[str, list, int]]) -> None:
        raw = self.raw
        if not self.in_transaction:
            raw.execute("BEGIN IMMEDIATE")
            self.in_transaction = True
        for statement, params, count in batches:
            raw.executemany(statement, params)
            self.pending += count
        if self.pending >= self.COMMIT_EVERY:
            raw.execute("COMMIT")
            self.in_transaction, self.pending = False, 0

    def _finish(self) -> None:
        if self.in_transaction:
            self.in_transaction = False
            self.raw.execute("ROLLBACK" if self.aborted else "COMMIT")

    def _work(self) -> None:
        try:
            while True:
                batches = self.queue.get()
                if batches is None:
                    break
                self._write(batches)
            self._finish()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            self.error = exc
            self.aborted = True
            self._finish()
            while self.queue.get() is not None:
                pass

    def __exit__(self, exc_type, exc, tb) -> None:
        self.aborted = exc is not None
        if self.threaded:
            self.queue.put(None)
            self.thread.join()
            if self.error and exc is None:
                raise self.error
        elif self.raw_sqlite:
            self._finish()
        else:
            self.cursor.close()
            self.atomic.__exit__(exc_type, exc, tb)


def default_seed() -> int:
    return int(datetime.now(tz=UTC).timestamp()) % 1_000_000
