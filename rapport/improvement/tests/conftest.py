"""Builders for the improvement specifications (after ``rapport/metrics/tests/conftest.py``)."""

from datetime import date

import pytest

from rapport.helpdesk.models import Conversation
from rapport.improvement.models import Initiative, InitiativeStatus

# The same survey-answer builder and moments as the KPI specifications.
from rapport.metrics.tests.conftest import answer, at  # noqa: F401


@pytest.fixture
def manager_client(client, cast):
    client.force_login(cast.manager)
    return client


@pytest.fixture
def conversation(cast):
    """Return a builder of conversations (customer: Anna, created on 5 October)."""

    def build(**fields) -> Conversation:
        tags = fields.pop("tags", ())
        fields.setdefault("customer", cast.customer)
        fields.setdefault("subject", "Question")
        fields.setdefault("created_at", at(10, 5))
        built = Conversation.objects.create(**fields)
        built.tags.set(tags)
        return built

    return build


@pytest.fixture
def initiative(cast):
    """Return a builder of initiatives written straight to the table (no action involved)."""

    def build(**fields) -> Initiative:
        fields.setdefault("title", "Faster first answers")
        fields.setdefault("problem", "Customers wait too long.")
        fields.setdefault("hypothesis", "A morning shift answers the night's mail.")
        fields.setdefault("action", "Start a shift at 7:00.")
        fields.setdefault("owner", cast.manager)
        fields.setdefault("kpi", "csat")
        fields.setdefault("start_date", date(2026, 10, 16))
        fields.setdefault("status", InitiativeStatus.RUNNING)
        return Initiative.objects.create(**fields)

    return build
