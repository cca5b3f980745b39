"""Builders for the improvement specifications (after ``rapport/metrics/tests/conftest.py``)."""

from datetime import UTC, date, datetime
from itertools import count

import pytest

from rapport.feedback.models import SurveyInvitation, SurveyResponse
from rapport.helpdesk.models import Conversation
from rapport.improvement.models import Initiative, InitiativeStatus


def at(month: int, day: int, hour: int = 12) -> datetime:
    """Return a moment of 2026 in UTC."""
    return datetime(2026, month, day, hour, tzinfo=UTC)


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
def answer(cast):
    """Return a builder of survey answers (kind, score), answered on 10 October by default."""
    numbers = count(1)

    def build(kind: str, score: int, **fields) -> SurveyResponse:
        customer = fields.pop("customer", cast.customer)
        conversation = fields.pop("conversation", None)
        invitation = SurveyInvitation.objects.create(
            customer=customer,
            conversation=conversation,
            kind=kind,
            trigger="manual",
            channel="email",
            dedupe_key=f"improvement-test:{next(numbers)}",
            send_after=at(10, 1),
        )
        fields.setdefault("answered_at", at(10, 10))
        return SurveyResponse.objects.create(
            invitation=invitation,
            customer=customer,
            conversation=conversation,
            kind=kind,
            score=score,
            channel="email",
            **fields,
        )

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
