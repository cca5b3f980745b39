"""Small builders for the KPI specifications: rows with the timestamps each case needs."""

from datetime import UTC, date, datetime

import pytest

from rapport.feedback.models import SurveyInvitation, SurveyResponse
from rapport.helpdesk.models import Conversation, Status
from rapport.metrics.periods import Period

OCTOBER = Period.from_dates(date(2026, 10, 1), date(2026, 10, 31))


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """Return a moment of 2026 in UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def conversation(cast):
    """Return a builder of conversations with the facts the test sets (customer: Anna)."""

    def build(**fields) -> Conversation:
        fields.setdefault("customer", cast.customer)
        fields.setdefault("subject", "Question")
        fields.setdefault("created_at", at(10, 5))
        return Conversation.objects.create(**fields)

    return build


@pytest.fixture
def solved(conversation):
    """Return a builder of conversations solved at ``solved_at``."""

    def build(solved_at: datetime, **fields) -> Conversation:
        fields.setdefault("status", Status.SOLVED)
        return conversation(solved_at=solved_at, **fields)

    return build


@pytest.fixture
def answer(cast):
    """Return a builder of survey answers (kind, score) answered in October by default."""
    counter = iter(range(1, 10_000))

    def build(kind: str, score: int, **fields) -> SurveyResponse:
        customer = fields.pop("customer", cast.customer)
        conversation = fields.pop("conversation", None)
        invitation = SurveyInvitation.objects.create(
            customer=customer,
            conversation=conversation,
            kind=kind,
            trigger="manual",
            channel="email",
            dedupe_key=f"test:{next(counter)}",
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
