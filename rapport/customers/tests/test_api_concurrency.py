"""Concurrent repeats of one create produce one row (PostgreSQL: real parallel transactions)."""

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from rapport.accounts.actions import create_api_token
from rapport.accounts.models import Role
from rapport.customers.models import Customer
from rapport.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]


def post_in_parallel(headers: dict, body: dict, n: int = 6) -> list:
    barrier = threading.Barrier(n)
    results: list = []

    def worker():
        try:
            barrier.wait()
            response = Client().post(
                "/api/v1/customers",
                json.dumps(body),
                content_type="application/json",
                headers=headers,
            )
            results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_parallel_requests_with_one_idempotency_key_create_one_customer():
    _token, raw = create_api_token(user=UserFactory(role=Role.AGENT), name="t")
    headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": "parallel-1"}
    results = post_in_parallel(headers, {"given_name": "Paula", "family_name": "Parallel"})
    assert Customer.objects.filter(family_name="Parallel").count() == 1
    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1


def test_parallel_requests_with_one_external_id_create_one_customer():
    _token, raw = create_api_token(user=UserFactory(role=Role.AGENT), name="t")
    headers = {"Authorization": f"Bearer {raw}"}
    results = post_in_parallel(
        headers, {"given_name": "Paula", "family_name": "Parallel", "external_id": "p-1"}
    )
    assert Customer.objects.filter(external_id="p-1").count() == 1
    assert sorted(status for status, _ in results) == [200] * 5 + [201]
    assert len({body["id"] for _, body in results}) == 1
