"""Text as the search index sees it: words, lower-cased, stemmed by language, folded.

The same steps run on documents and on queries, so "Rückgabe", "Rueckgabe" and "Rückgaben"
meet in one term (the German stemmer reads "ue" as "ü"), "returns" finds "returned", and an
accent never hides a word. A document is stemmed in its language (in each known language when
its language is unknown); a query word may be in either, so it becomes a group of variants
of which one must match.
"""

import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer

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
