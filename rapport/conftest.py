"""The standard cast for every test: staff of each role, two teams, a portal customer and another customer."""

import os
import shutil
from types import SimpleNamespace

import pytest
from django.db import connections

from rapport.accounts.models import Role
from rapport.customers.models import ContactKind, ContactPoint
from rapport.factories import CustomerFactory, TeamFactory, UserFactory

PASSWORD = "correct-horse-battery"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def cast(db):
    """Return the standard cast of users and customers."""
    team_a = TeamFactory(name="First level")
    team_b = TeamFactory(name="Billing")
    admin = UserFactory(username="admin", role=Role.ADMIN, is_superuser=True)
    manager = UserFactory(username="manager", role=Role.MANAGER)
    agent = UserFactory(username="agent", role=Role.AGENT)
    agent.teams.add(team_a)
    other_agent = UserFactory(username="other_agent", role=Role.AGENT)
    other_agent.teams.add(team_b)
    marketer = UserFactory(username="marketer", role=Role.MARKETER)
    portal_user = UserFactory(username="portal", role=Role.CUSTOMER)
    customer = CustomerFactory(given_name="Anna", family_name="Schmidt", portal_user=portal_user)
    ContactPoint.objects.create(
        customer=customer,
        kind=ContactKind.EMAIL,
        value="anna@example.org",
        normalized="anna@example.org",
        is_primary=True,
    )
    other_customer = CustomerFactory(given_name="Ben", family_name="Meyer")
    ContactPoint.objects.create(
        customer=other_customer,
        kind=ContactKind.EMAIL,
        value="ben@example.org",
        normalized="ben@example.org",
        is_primary=True,
    )
    return SimpleNamespace(
        team_a=team_a,
        team_b=team_b,
        admin=admin,
        manager=manager,
        agent=agent,
        other_agent=other_agent,
        marketer=marketer,
        portal_user=portal_user,
        customer=customer,
        other_customer=other_customer,
        password=PASSWORD,
    )


@pytest.fixture
def agent_client(client, cast):
    client.force_login(cast.agent)
    return client


@pytest.fixture
def api_token(cast):
    from rapport.accounts.actions import create_api_token

    _token, raw = create_api_token(user=cast.agent, name="tests")
    return raw


@pytest.fixture
def chromium(monkeypatch):
    """A headless Debian Chromium driven by Playwright (no browser download)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread while the test uses the ORM here
    # and live_server serves from another thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # While that loop counts as running, Django looks connections up in a per-context store
    # instead of the thread's: the test would open a second connection that nothing closes
    # (PostgreSQL then refuses to drop the test database) and that sits outside the test's
    # transaction. Hand the thread's connections to that store for the browser's lifetime.
    shared = {alias: connections[alias] for alias in connections}
    with sync_playwright() as p:
        for alias, connection in shared.items():
            connections[alias] = connection
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
        for alias in shared:
            del connections[alias]


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    """Keep tests' files out of var/ and run background jobs inline."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.METRICS_PACK_DIR = tmp_path / "kpi-packs"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _inline_jobs():
    """Run Huey tasks synchronously inside the test's transaction."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous
