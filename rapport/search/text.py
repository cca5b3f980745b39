"""Text as the search index sees it: words, lower-cased, stemmed by language, folded.

The same steps run on documents and on queries, so "Rückgabe", "Rueckgabe" and "Rückgaben"
meet in one term (the German stemmer reads "ue" as "ü"), "returns" finds "returned", and an
accent never hides a word. A document is stemmed in its language (in each known language when
its language is unknown); a query word may be in either, so it becomes a group of variants
of which one must match.
"""

import bisect
import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

# Snowball stemmers by language code; other languages are only folded.
STEMMERS = {"de": "german", "en": "english"}
LANGUAGES = tuple(STEMMERS)
WORD = re.compile(r"[^\W_]+")
# Longer "words" (hashes, base64, URLs run together) are noise in an index.
MAX_WORD = 40
FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "œ": "oe"})
_local = threading.local()


def _stemmer(language: str):
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:  # PyStemmer objects must not be shared between threads
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        stemmers[language] = Stemmer.Stemmer(STEMMERS[language])
    return stemmers[language]


def fold(word: str) -> str:
    """Return ``word`` lower-cased with umlauts spelt out and other accents removed."""
    word = word.lower().translate(FOLD)
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=100_000)
def term(word: str, language: str) -> str:
    """Return the index term of one ``word`` in ``language`` ("" for other languages: folded)."""
    lowered = word.lower()
    if language in STEMMERS:
        lowered = _stemmer(language).stemWord(lowered)
    return fold(lowered)


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(text or "") if len(w) <= MAX_WORD]


def terms(text: str, language: str = "") -> list[str]:
    """Return the index terms of ``text``; without a known ``language``, those of each."""
    languages = (language,) if language in STEMMERS else LANGUAGES
    result = []
    for word in words(text):
        variants = {term(word, lang) for lang in languages}
        result.extend(sorted(variants))
    return result


@lru_cache(maxsize=4096)
def document_text(text: str, language: str = "") -> str:
    """Return ``text`` as the index stores it: its terms, separated by spaces."""
    return " ".join(terms(text, language))


def query_groups(query: str, *, limit: int = 12) -> list[list[str]]:
    """Return, per word of ``query`` (at most ``limit``), the terms of which one must match."""
    groups = []
    for word in words(query)[:limit]:
        variants = {term(word, lang) for lang in LANGUAGES} | {fold(word)}
        groups.append(sorted(v for v in variants if v))
    return groups


# --- Compound words and typos, against an index's vocabulary -------------------------------------

# German compounds put the head last ("Rücksendeetikett" is an "Etikett"): a query term this
# long or longer also finds the index's terms that end with it, and an unknown query word
# splits into two known parts (with the linking "s", "n", "en" or "es" between them).
MIN_HEAD = 4
MIN_PART = 3
LINKS = ("", "s", "n", "en", "es")
MAX_EXPANSIONS = 12


def _max_edits(term: str) -> int:
    if len(term) >= 8:
        return 2
    if len(term) >= 5:
        return 1
    return 0


class Vocabulary:
    """The terms of an index (normalised as ``terms`` makes them), for compounds and typos."""

    def __init__(self, terms):
        self.terms = frozenset(t for t in terms if t)
        self._reversed = sorted(t[::-1] for t in self.terms)
        self._list = sorted(self.terms)

    def __contains__(self, term: str) -> bool:
        return term in self.terms

    def __len__(self) -> int:
        return len(self.terms)

    def compounds_of(self, term: str) -> list[str]:
        """Return the longer terms that end with ``term`` ("etikett": "rucksendeetikett")."""
        if len(term) < MIN_HEAD:
            return []
        key = term[::-1]
        start = bisect.bisect_left(self._reversed, key)
        found = []
        for reversed_term in self._reversed[start:]:
            if not reversed_term.startswith(key):
                break
            if len(reversed_term) >= len(term) + MIN_PART:
                found.append(reversed_term[::-1])
        return sorted(found, key=len)[:MAX_EXPANSIONS]

    def split(self, term: str) -> list[str]:
        """Return ``term`` split into known parts ("bankomatkart": "bankomat kart"), or []."""
        splits = []
        for cut in range(len(term) - MIN_HEAD, MIN_PART - 1, -1):
            head, tail = term[:cut], term[cut:]
            if tail not in self.terms:
                continue
            for link in LINKS:
                if link and not head.endswith(link):
                    continue
                stem = head[: len(head) - len(link)] if link else head
                if len(stem) >= MIN_PART and stem in self.terms:
                    splits.append(f"{stem} {tail}")
                    break
        return splits[:2]

    def corrections(self, term: str) -> list[str]:
        """Return the known terms within a few typing errors of ``term`` (closest first)."""
        edits = _max_edits(term)
        if not edits or not self._list:
            return []
        matches = process.extract(
            term,
            self._list,
            scorer=Levenshtein.distance,
            score_cutoff=edits,
            limit=3,
        )
        # Same first letter: typos rarely hit it, and it keeps unrelated words apart.
        return [m[0] for m in sorted(matches, key=lambda m: (m[1], m[0])) if m[0][0] == term[0]]


def expand_groups(groups: list[list[str]], vocabulary: Vocabulary) -> list[list[str]]:
    """Return ``groups`` with compound and typo alternatives from ``vocabulary``.

    An alternative with a space ("bankomat kart") needs all its parts. Known terms gain the
    compounds that end with them; a word none of whose forms is known gains its parts, or,
    failing that, the known terms within one or two typing errors.
    """
    if not len(vocabulary):
        return groups
    expanded = []
    for group in groups:
        extra: list[str] = []
        known = [t for t in group if t in vocabulary]
        for t in group:
            extra.extend(vocabulary.compounds_of(t))
        if not known:
            for t in group:
                extra.extend(vocabulary.split(t))
            if not extra:
                for t in group:
                    extra.extend(vocabulary.corrections(t))
        alternatives = list(dict.fromkeys([*group, *extra]))
        expanded.append(alternatives[: len(group) + MAX_EXPANSIONS])
    return expanded
