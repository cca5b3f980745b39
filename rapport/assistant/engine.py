"""The assistant's judgement: which articles answer a question, which passage, and whether a
person should answer instead.

``answer(question, language=...)`` is all other code calls. It returns an ``Answer`` with
the ranked articles (best first, at most five), the passage to show, a confidence, and
``handoff`` with its reason code when the assistant should not answer.

Retrieval (``rapport.assistant.retrieval``) ranks the published public articles of every
language by words and, when the embedding package is installed, by meaning; the rules
(``rapport.assistant.rules``) hand over what needs a person whatever the articles say; below
``CONFIDENCE_THRESHOLD`` the assistant hands over rather than guess. Quality and speed are
measured by ``bench.assistant``.
"""

from dataclasses import dataclass, field
from typing import Any

from rapport.assistant import retrieval, rules
from rapport.search.text import words

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
    NOT_UNDERSTOOD = "not_understood"
    OUT_OF_SCOPE = "out_of_scope"


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


# Below this confidence the assistant hands over (tuned on the dev questions; see
# ``bench.assistant``). The confidence is the best ``confidence`` signal of the articles
# found (words and USE, ``retrieval.WEIGHTS``; about 0 to 1.6).
CONFIDENCE_THRESHOLD = 0.45
# Without embeddings only words count, and scores are lower.
LEXICAL_ONLY_THRESHOLD = 0.25
MAX_QUESTION = 2000


def _clean_language(language: str) -> str:
    language = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return language if language.isascii() and language.isalpha() and len(language) <= 8 else ""


def answer(question: str, *, language: str = "") -> Answer:
    """Return the assistant's answer to ``question`` (asked in ``language``, if known).

    Never raises on odd input: empty, very long, binary or symbol-only questions and unknown
    language codes give an answer that hands over (or the best it can do).
    """
    question = "".join(ch if ch.isprintable() else " " for ch in str(question or ""))
    question = " ".join(question.split())[:MAX_QUESTION]
    language = _clean_language(language)
    if not words(question):
        return Answer(question, language, [], "", 0.0, True, Reason.EMPTY)
    verdict = rules.judge(question)
    matches = retrieval.retrieve(question, language=language, limit=MAX_ARTICLES)
    shown = [retrieval.shown_version(m, language) for m in matches]
    candidates = [
        Candidate(
            slug=m.slug,
            translation_id=entry.id,
            language=entry.language,
            title=entry.title,
            score=m.score,
            signals=dict(m.signals),
        )
        for m, entry in zip(matches, shown, strict=True)
    ]
    confidence = max((m.signals["confidence"] for m in matches), default=0.0)
    semantic = any("topic" in m.signals and m.signals["topic"] for m in matches)
    threshold = CONFIDENCE_THRESHOLD if semantic else LEXICAL_ONLY_THRESHOLD
    signals: dict[str, Any] = {
        "threshold": threshold,
        "embeddings": semantic,
        "margin": round(matches[0].score - matches[1].score, 4) if len(matches) > 1 else None,
    }
    passage = retrieval.passage_for(matches[0], question, language) if matches else ""
    if verdict is not None:
        signals["rule"] = verdict.rule
        signals["phrase"] = verdict.phrase
        return Answer(
            question, language, candidates, passage, confidence, True, verdict.reason, signals
        )
    if not matches:
        return Answer(question, language, [], "", 0.0, True, Reason.NOT_UNDERSTOOD, signals)
    handoff = confidence < threshold
    return Answer(
        question,
        language,
        candidates,
        passage,
        confidence,
        handoff,
        Reason.LOW_CONFIDENCE if handoff else Reason.ANSWERED,
        signals,
    )
