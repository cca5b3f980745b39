"""``rapport demo``: load realistic demo data (see rapport.demo.actions)."""

import contextlib
import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from rapport.demo.actions import (
    create_demo_staff,
    database_has_customers,
    load_demo_data,
    load_helpdesk_data,
)
from rapport.demo.generator import DemoStats
from rapport.metrics import packs

# From this many customers and conversations the demo is written without the KPI change log
# (``packs.bulk_load``).
BULK_ROWS = 100_000


class Command(BaseCommand):
    help = (
        "Generate realistic demo customers (7 languages) with contact points, organisations, "
        "orders and timeline events. With --if-empty, also create a demo administrator."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000, help="how many (default 2000)")
        parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible)")
        parser.add_argument(
            "--orders",
            action="store_true",
            default=True,
            help="generate orders (default)",
        )
        parser.add_argument("--no-orders", dest="orders", action="store_false")
        parser.add_argument(
            "--events-per-customer",
            type=int,
            default=0,
            help="average timeline events per customer, filled up with messages and calls "
            "(default 0: only profile, order, consent and note events)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="only when there are no customers yet; then also create the demo administrator",
        )
        parser.add_argument(
            "--conversations",
            type=int,
            default=None,
            help="helpdesk conversations for the customers (default: one per 8 new customers); "
            "up to 2,000 through the helpdesk actions, more in bulk",
        )
        parser.add_argument(
            "--messages-per-conversation",
            type=int,
            default=4,
            help="average messages per conversation, notes and calls included (default 4)",
        )
        parser.add_argument(
            "--bulk-conversations",
            action="store_true",
            help="write the conversations in bulk even when there are few",
        )
        parser.add_argument("--stats-json", help="write the load statistics to this file")

    def handle(self, *args, **options):
        count = options["customers"]
        if count < 0:
            raise CommandError("--customers must not be negative")
        conversations = options["conversations"]
        if conversations is None:
            conversations = count // 8
        if conversations < 0:
            raise CommandError("--conversations must not be negative")
        if options["messages_per_conversation"] < 1:
            raise CommandError("--messages-per-conversation must be at least 1")
        self._helpcentre(options)
        if options["if_empty"]:
            if database_has_customers():
                from rapport.demo.actions import credentials_path

                self.stdout.write("The database already has customers: demo data skipped.")
                path = credentials_path()
                if path.exists():
                    self.stdout.write(f"Demo administrator credentials: {path}")
                return
            admin = create_demo_staff()
            self._print_admin(admin)
        helpdesk = None
        progress_stream = self.stdout if sys.stdout.isatty() or options["verbosity"] > 1 else None
        started = time.perf_counter()

        def progress(done, total, stats):
            if options["verbosity"] == 0:
                return
            rate = stats.customers_per_second
            line = f"{done:,} / {total:,} customers ({rate:,.0f} customers/s)"
            if progress_stream:
                self.stdout.write("\r" + line, ending="")
                self.stdout.flush()
            elif done == total or done % 100_000 == 0:
                self.stdout.write(line)

        # A large load skips the KPI change log row by row; the packs are rebuilt afterwards.
        large = count + conversations >= BULK_ROWS
        with packs.bulk_load() if large else contextlib.nullcontext():
            stats = self._customers(count, conversations, options, progress)
            if large and conversations:
                helpdesk = self._helpdesk(conversations, options)
                conversations = 0
        if progress_stream and count and options["verbosity"]:
            self.stdout.write("")
        elapsed = time.perf_counter() - started
        if options["verbosity"] and count:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {stats.customers:,} customers with {stats.contact_points:,} contact "
                    f"points in {stats.seconds['customers']:.2f} s: "
                    f"{stats.customers_per_second:,.0f} customers/s"
                )
            )
            self.stdout.write(
                f"  {stats.organizations:,} organizations, {stats.orders:,} orders with "
                f"{stats.order_lines:,} lines ({stats.seconds['orders']:.2f} s), "
                f"{stats.events:,} timeline events ({stats.seconds['events']:.2f} s, "
                f"{stats.events_per_second:,.0f}/s), {stats.consents:,} consent records; "
                f"{elapsed:.1f} s in all"
            )
        if conversations:
            helpdesk = self._helpdesk(conversations, options)
        self._feedback(options)
        self._initiatives(options)
        self._loyalty(options)
        self._value(options)
        if options["stats_json"]:
            result = stats.as_dict() | {"wall_seconds": round(elapsed, 3)}
            if helpdesk is not None:
                result["helpdesk"] = helpdesk.as_dict()
            with open(options["stats_json"], "w", encoding="utf-8") as handle:
                json.dump(result, handle, indent=2)

    def _customers(self, count, conversations, options, progress):
        if count or not conversations:
            return load_demo_data(
                customers=count,
                seed=options["seed"],
                orders=options["orders"],
                events_per_customer=options["events_per_customer"],
                progress=progress,
            )
        return DemoStats()  # only conversations for the customers there are

    def _helpdesk(self, conversations, options):
        def progress(done, total):
            if options["verbosity"] and (done == total or done % 100_000 < 5_000):
                self.stdout.write(f"{done:,} / {total:,} conversations")

        stats = load_helpdesk_data(
            conversations=conversations,
            messages_per_conversation=options["messages_per_conversation"],
            seed=options["seed"],
            bulk=True if options["bulk_conversations"] else None,
            progress=progress,
        )
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {stats.conversations:,} conversations with {stats.messages:,} "
                    f"messages ({stats.notes:,} notes, {stats.calls:,} calls) in "
                    f"{stats.seconds:.1f} s ({stats.path})"
                )
            )
        return stats

    def _feedback(self, options):
        from rapport.demo.feedback import load_demo_feedback

        stats = load_demo_feedback(seed=options["seed"])
        if options["verbosity"]:
            self.stdout.write(
                f"Surveys and reviews: {stats.invitations:,} survey invitations, "
                f"{stats.answers:,} answers ({stats.comments:,} with a comment, "
                f"{stats.follow_ups:,} follow-ups), {stats.reviews:,} reviews "
                f"({stats.matched_reviews:,} by customers) in {stats.seconds:.1f} s"
            )
        return stats

    def _initiatives(self, options):
        from rapport.improvement.demo import load_demo_initiatives

        created = load_demo_initiatives()
        if created and options["verbosity"]:
            self.stdout.write(f"Improvement initiatives: {len(created)} examples")
        return created

    def _loyalty(self, options):
        from rapport.loyalty.demo import load_demo_loyalty

        started = time.perf_counter()
        stats = load_demo_loyalty(seed=options["seed"])
        if options["verbosity"] and stats.members:
            self.stdout.write(
                f"Loyalty: {stats.members:,} members earned {stats.accruals:,} orders' points, "
                f"{stats.vouchers:,} vouchers redeemed, in {time.perf_counter() - started:.1f} s"
            )
        return stats

    def _value(self, options):
        from rapport.analytics.scoring import score_customers

        stats = score_customers()
        if options["verbosity"]:
            if stats.ok:
                self.stdout.write(
                    f"Customer value: {stats.customers:,} customers scored from "
                    f"{stats.orders:,} orders in {stats.seconds:.1f} s"
                )
            else:
                self.stdout.write(self.style.WARNING(f"Customer value not scored: {stats.error}"))
        return stats

    def _helpcentre(self, options):
        from rapport.demo.helpcentre import load_demo_helpcentre

        report = load_demo_helpcentre()
        if report is not None and options["verbosity"]:
            self.stdout.write(
                f"Demo help centre: {report.count('created')} article versions imported "
                "(German and English)"
            )

    def _print_admin(self, admin):
        if admin.password is None:
            self.stdout.write(f"Demo administrator exists; credentials in {admin.credentials_path}")
            return
        bar = "=" * 60
        self.stdout.write(bar)
        self.stdout.write(self.style.SUCCESS("Demo administrator created"))
        self.stdout.write(f"  username: {admin.username}")
        self.stdout.write(f"  password: {admin.password}")
        self.stdout.write(f"  (also in {admin.credentials_path}, readable only by you)")
        self.stdout.write(bar)
