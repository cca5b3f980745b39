from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.accounts.actions import purge_idempotency_keys
from rapport.accounts.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def test_keys_older_than_a_day_are_purged_and_fresh_ones_kept(cast):
    old = IdempotencyKey.objects.create(
        user=cast.agent, key="old", method="POST", path="/x", request_hash="h"
    )
    fresh = IdempotencyKey.objects.create(
        user=cast.agent, key="fresh", method="POST", path="/x", request_hash="h"
    )
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.all()) == [fresh]
