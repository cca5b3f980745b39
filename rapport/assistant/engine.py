"""The assistant's judgement: which articles answer a question, which passage, and whether a
person should answer instead.

``answer(question, language=...)`` is all other code calls. It returns an ``Answer`` with
the ranked articles (best first, at most five), the passage to show, a confidence, and
``handoff`` with its reason code when the assistant should not answer.

(First version: lexical search only, a fixed threshold and no rules; the retrieval and the
hand-over rules are refined and measured in ``bench.assistant``.)
"""

from dataclasses import dataclass, field
from typing import Any

from rapport.kb.markdown import markdown_text
from rapport.kb.queries import PUBLIC, search_articles
from rapport.search.snippets import best_passage

MAX_ARTICLES = 5


class Reason:
    """Why the assistant answered or handed over (stable codes, shown to agents)."""

    ANSWERED = "answered"
    EMPTY = "empty"
    LOW_CONFIDENCE = "low_confidence"
    ASKED_FOR_PERSON = "asked_for_person"
    SPECIFIC_ORDER = "specific_order"
    COMPLAINT = "complaint"
    LEGAL = "legal"


@dataclass
class Candidate:
    slug: str
    translation_id: int
    language: str
    title: str
    score: float
    signals: dict[str, float] = field(default_factory=dict)


@dataclass
class Answer:
    question: str
    language: str
    articles: list[Candidate]
    passage: str
    confidence: float
    handoff: bool
    reason: str
    signals: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> Candidate | None:
        return self.articles[0] if self.articles else None

    def explanation(self) -> dict[str, Any]:
        """Return what agents see: the articles and scores, the passage, the decision."""
        return {
            "articles": [
                {
                    "slug": c.slug,
                    "language": c.language,
                    "title": c.title,
                    "score": round(c.score, 4),
                    "signals": {k: round(v, 4) for k, v in c.signals.items()},
                }
                for c in self.articles
            ],
            "passage": self.passage,
            "confidence": round(self.confidence, 4),
            "handoff": self.handoff,
            "reason": self.reason,
            "signals": self.signals,
        }


CONFIDENCE_THRESHOLD = 0.0


def answer(question: str, *, language: str = "") -> Answer:
    """Return the assistant's answer to ``question`` (asked in ``language``, if known)."""
    question = " ".join((question or "").split())[:2000]
    language = (language or "").lower()[:16]
    if not question:
        return Answer(question, language, [], "", 0.0, True, Reason.EMPTY)
    hits = search_articles(question, language=language or "en", audience=PUBLIC, limit=MAX_ARTICLES)
    candidates = [
        Candidate(
            slug=h.translation.article.slug,
            translation_id=h.translation.pk,
            language=h.translation.language,
            title=h.translation.title,
            score=h.score,
            signals={"lexical": h.score},
        )
        for h in hits
    ]
    if not candidates:
        return Answer(question, language, [], "", 0.0, True, Reason.LOW_CONFIDENCE)
    best = hits[0].translation
    passage = best_passage(markdown_text(best.body), question, language=best.language).text
    confidence = candidates[0].score
    handoff = confidence <= CONFIDENCE_THRESHOLD
    return Answer(
        question,
        language,
        candidates,
        passage,
        confidence,
        handoff,
        Reason.LOW_CONFIDENCE if handoff else Reason.ANSWERED,
    )
