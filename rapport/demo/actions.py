"""Loading demo data: the demo staff with its administrator, and the bulk customer load."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from rapport.accounts.actions import create_user
from rapport.accounts.models import STAFF_ROLES, Role, Team, User
from rapport.customers.models import Customer
from rapport.demo.generator import DemoGenerator, DemoStats, default_seed
from rapport.demo.texts import STAFF, TEAMS

ADMIN_USERNAME = "admin"
CREDENTIALS_FILE = "demo-admin.txt"


@dataclass
class DemoAdmin:
    username: str
    password: str | None  # None when the administrator already existed
    credentials_path: Path


def credentials_path() -> Path:
    return Path(settings.VAR_DIR) / CREDENTIALS_FILE


@transaction.atomic
def create_demo_staff() -> DemoAdmin:
    """Create the demo administrator (random password), teams and a few staff users.

    The administrator's credentials are written to ``var/demo-admin.txt`` (mode 600). Users
    that already exist are left alone, so calling this twice creates everything once.
    """
    teams = [
        Team.objects.get_or_create(name=name, defaults={"description": description})[0]
        for name, description in TEAMS
    ]
    path = credentials_path()
    password = None
    if not User.objects.filter(username=ADMIN_USERNAME).exists():
        password = secrets.token_urlsafe(12)
        create_user(
            username=ADMIN_USERNAME,
            password=password,
            role=Role.ADMIN,
            email="admin@rapport.example",
            first_name="Demo",
            last_name="Administrator",
            teams=teams,
            language="en",
            spoken_languages=["en", "de"],
            time_zone=settings.TIME_ZONE,
            is_superuser=True,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"Rapport demo administrator\nusername: {ADMIN_USERNAME}\npassword: {password}\n",
            encoding="utf-8",
        )
        path.chmod(0o600)
    add_demo_colleagues(STAFF, teams)
    return DemoAdmin(ADMIN_USERNAME, password, path)


def add_demo_colleagues(rows, teams) -> None:
    """Create the demo staff in ``rows`` that do not exist yet, each with a random password.

    A row is (username, first name, last name, role, team key, languages, time zone); the
    team key looks the team up in ``teams``.
    """
    for username, first, last, role, team, languages, zone in rows:
        if User.objects.filter(username=username).exists():
            continue
        create_user(
            username=username,
            password=secrets.token_urlsafe(16),
            role=role,
            email=f"{username}@rapport.example",
            first_name=first,
            last_name=last,
            teams=[teams[team]],
            language="de" if "de" in languages else "en",
            spoken_languages=languages,
            time_zone=zone,
        )


def load_demo_data(
    *,
    customers: int,
    seed: int | None = None,
    orders: bool = True,
    events_per_customer: int = 0,
    progress: Callable[[int, int, DemoStats], None] | None = None,
    using: str = "default",
) -> DemoStats:
    """Generate ``customers`` realistic customers with contact points, orders and timeline events.

    Uses the existing staff users as account managers and note authors. Written in bulk
    (raw SQL, large transactions); adds to whatever is in the database already.
    """
    if customers < 0:
        raise ValueError("customers must not be negative")
    staff = list(
        User.objects.using(using)
        .filter(is_active=True, role__in=STAFF_ROLES)
        .order_by("id")
        .values_list("id", "role")
    )
    generator = DemoGenerator(
        customers=customers,
        seed=default_seed() if seed is None else seed,
        orders=orders,
        events_per_customer=events_per_customer,
        staff_ids=[pk for pk, role in staff if role in (Role.AGENT, Role.MANAGER)]
        or [pk for pk, _role in staff],
        manager_ids=[pk for pk, role in staff if role in (Role.MANAGER, Role.AGENT)],
        progress=progress,
        using=using,
    )
    return generator.run()


def database_has_customers(using: str = "default") -> bool:
    return Customer.objects.using(using).exists()


#: Up to this many conversations ``load_helpdesk_data`` goes through the real actions.
ACTIONS_PATH_LIMIT = 2_000


def load_helpdesk_data(
    *,
    conversations: int,
    messages_per_conversation: int = 4,
    seed: int | None = None,
    bulk: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
    using: str = "default",
):
    """Create ``conversations`` helpdesk conversations for the existing customers.

    Creates the helpdesk teams and demo agents if missing. Small numbers go through the
    helpdesk actions (``bulk=False``: routing, SLA and timeline as in production, historic
    replies marked as sent); large ones (``bulk=True``, the default above
    ``ACTIONS_PATH_LIMIT``) are written in bulk. Returns ``HelpdeskStats``.
    """
    from rapport.demo.helpdesk import HelpdeskActionsLoader, HelpdeskBulkLoader, HelpdeskStats

    if conversations < 0:
        raise ValueError("conversations must not be negative")
    if messages_per_conversation < 1:
        raise ValueError("messages_per_conversation must be at least 1")
    if not conversations or not Customer.objects.using(using).exists():
        return HelpdeskStats(path="none")
    seed = default_seed() if seed is None else seed
    if bulk is None:
        bulk = conversations > ACTIONS_PATH_LIMIT or using != "default"
    if bulk:
        return HelpdeskBulkLoader(
            conversations=conversations,
            messages_per_conversation=messages_per_conversation,
            seed=seed,
            using=using,
            progress=progress,
        ).run()
    return HelpdeskActionsLoader(
        conversations=conversations,
        messages_per_conversation=messages_per_conversation,
        seed=seed,
    ).run()
