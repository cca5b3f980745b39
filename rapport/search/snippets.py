"""Showing why a document matched: the passage with the query's words, the words marked.

A word of the text matches when its index term (in the text's language) equals one of the
query's variant terms, so "Rückgaben" marks "Rückgabe" and "Rueckgabe" alike.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from django.utils.html import escape

from rapport.search.text import LANGUAGES, STEMMERS, WORD, query_groups, term

# Words whose match a query's matcher remembers.
MATCHER_WORDS = 20_000
SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\n+")


@dataclass
class Passage:
    text: str
    hits: int  # how many different query words it contains
    start: int  # index of the passage among the text's sentences


@lru_cache(maxsize=8)
def _matcher(query: str, language: str):
    """Return the query's groups and a function giving a word's group (or None); each
    word's answer is remembered, as a text repeats its words and a page its query."""
    groups = [set(group) for group in query_groups(query)]
    languages = (language,) if language in STEMMERS else LANGUAGES
    known: dict[str, int | None] = {}

    def group_of(word: str) -> int | None:
        if word in known:
            return known[word]
        terms = {term(word, lang) for lang in languages}
        found = next((i for i, group in enumerate(groups) if terms & group), None)
        if len(known) < MATCHER_WORDS:
            known[word] = found
        return found

    return groups, group_of


def best_passage(text: str, query: str, *, language: str = "", sentences: int = 2) -> Passage:
    """Return the run of ``sentences`` sentences of ``text`` that holds most query words."""
    parts = [p.strip() for p in SENTENCE.split(text or "") if p and p.strip()]
    if not parts:
        return Passage(text="", hits=0, start=0)
    groups, group_of = _matcher(query, language)
    found = []
    for part in parts:
        found.append({g for w in WORD.findall(part) if (g := group_of(w)) is not None})
    best, best_hits = 0, -1
    for start in range(len(parts)):
        window = set().union(*found[start : start + sentences])
        if len(window) > best_hits:
            best, best_hits = start, len(window)
    return Passage(
        text=" ".join(parts[best : best + sentences]), hits=max(best_hits, 0), start=best
    )


def highlight(text: str, query: str, *, language: str = "") -> str:
    """Return ``text`` HTML-escaped with the words that match ``query`` in ``<mark>``."""
    _groups, group_of = _matcher(query, language)
    out = []
    last = 0
    for match in WORD.finditer(text or ""):
        if group_of(match.group(0)) is None:
            continue
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape((text or "")[last:]))
    return "".join(out)


def snippet(text: str, query: str, *, language: str = "", length: int = 240) -> str:
    """Return the best passage of ``text`` for ``query``, shortened, with matches marked (HTML)."""
    passage = best_passage(text, query, language=language).text or (text or "")
    if len(passage) > length:
        cut = passage[:length].rsplit(" ", 1)[0]
        passage = cut + " …"
    return highlight(passage, query, language=language)
