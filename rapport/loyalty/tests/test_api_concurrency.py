"""Concurrent requests against a running server never overdraw an account or earn twice.

SQLite: the migrated test database is copied to a file and served by uvicorn with three
worker processes, so the requests really run at the same time in separate processes (one
process would run Django's synchronous views one after another). PostgreSQL: the
``live_server`` fixture, one thread and one database connection per request.

In both, 12 clients redeem a 500-point reward at once for a member with 2,000 points: exactly
4 get a voucher, the others ``insufficient_points``; 8 clients send the same order at once:
it earns once. ``rapport loyalty verify`` then finds no difference.
"""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection

from rapport.accounts.actions import create_api_token
from rapport.loyalty import actions

REDEEMERS = 12
ACCRUERS = 8
EXPECTED_VOUCHERS = 4  # 2,000 points / 500 per voucher

transactional = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(base: str, token: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}/api/v1/loyalty{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def all_at_once(calls: list) -> list[tuple[int, dict]]:
    """Run the calls in as many threads, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def seed(cast, voucher_reward) -> str:
    """Give Anna exactly 2,000 points; return an agent's API token."""
    member = actions.enroll_customer(customer=cast.customer)  # 100 for joining
    actions.adjust_points(member=member, points=1900, reason="Test credit", actor=cast.admin)
    _token, raw = create_api_token(user=cast.agent, name="pos")
    return raw


def race(base: str, token: str, cast, voucher_reward) -> tuple[list, list]:
    redemptions = all_at_once(
        [
            lambda i=i: post(
                base,
                token,
                "/redemptions",
                {"customer": cast.customer.pk, "reward": voucher_reward.pk, "request_ref": f"r{i}"},
            )
            for i in range(REDEEMERS)
        ]
    )
    accruals = all_at_once(
        [
            lambda: post(
                base,
                token,
                "/accruals",
                {
                    "customer": cast.customer.pk,
                    "order": "POS-1",
                    "amount": "80.00",
                    "currency": "EUR",
                },
            )
        ]
        * ACCRUERS
    )
    return redemptions, accruals


def assert_outcomes(redemptions: list, accruals: list) -> None:
    statuses = sorted(status for status, _body in redemptions)
    assert statuses == [201] * EXPECTED_VOUCHERS + [409] * (REDEEMERS - EXPECTED_VOUCHERS), (
        redemptions
    )
    refused = [body["error"]["code"] for status, body in redemptions if status == 409]
    assert set(refused) == {"insufficient_points"}
    codes = [body["code"] for status, body in redemptions if status == 201]
    assert len(set(codes)) == EXPECTED_VOUCHERS
    assert all(body["balance"] >= 0 for status, body in redemptions if status == 201)
    assert sorted(status for status, _body in accruals) == [200] * (ACCRUERS - 1) + [201], accruals
    assert len({body["entry_id"] for _status, body in accruals}) == 1
    assert {body["points"] for _status, body in accruals} == {80}


# --- SQLite: several server processes on one database file ---------------------------------


@pytest.fixture
def served_file(tmp_path):
    """Start uvicorn (3 processes) on a copy of the test database; return (base URL, env)."""

    def start(database) -> tuple[str, dict]:
        path = tmp_path / "loyalty.sqlite3"
        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()
        env = {k: v for k, v in os.environ.items() if k not in ("HUEY_IMMEDIATE", "REDIS_URL")}
        env.update(DATABASE_URL=f"sqlite:///{path}", RAPPORT_VAR_DIR=str(tmp_path))
        env["DJANGO_SETTINGS_MODULE"] = "rapport.settings"
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "rapport.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "3",
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        # Give the other worker processes time to finish importing too.
        time.sleep(1.5)
        return base, env

    processes: list[subprocess.Popen] = []
    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@transactional
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite file server")
def test_concurrent_requests_on_sqlite_spend_at_most_the_balance_and_earn_once(
    served_file, programme, voucher_reward, cast, tmp_path
):
    token = seed(cast, voucher_reward)
    base, env = served_file(connection)
    redemptions, accruals = race(base, token, cast, voucher_reward)
    assert_outcomes(redemptions, accruals)

    database = sqlite3.connect(tmp_path / "loyalty.sqlite3")
    balance = database.execute(
        "SELECT balance FROM loyalty_member WHERE customer_id = ?", (cast.customer.pk,)
    ).fetchone()[0]
    vouchers = database.execute("SELECT COUNT(*) FROM loyalty_voucher").fetchone()[0]
    earned = database.execute(
        "SELECT COUNT(*) FROM loyalty_ledgerentry WHERE external_ref = 'order:POS-1'"
    ).fetchone()[0]
    database.close()
    assert (balance, vouchers, earned) == (80, EXPECTED_VOUCHERS, 1)
    verify = subprocess.run(
        [sys.executable, "-m", "rapport", "loyalty", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "0 differences" in verify.stdout


# --- PostgreSQL: the live server, one thread and connection per request ---------------------


@transactional
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_concurrent_requests_on_postgresql_spend_at_most_the_balance_and_earn_once(
    live_server, programme, voucher_reward, cast
):
    from rapport.loyalty.models import LedgerEntry, Member, Voucher

    token = seed(cast, voucher_reward)
    redemptions, accruals = race(live_server.url, token, cast, voucher_reward)
    assert_outcomes(redemptions, accruals)
    assert Member.objects.get(customer=cast.customer).balance == 80
    assert Voucher.objects.count() == EXPECTED_VOUCHERS
    assert LedgerEntry.objects.filter(external_ref="order:POS-1").count() == 1
    call_command("loyalty", "verify")  # raises CommandError on any difference
