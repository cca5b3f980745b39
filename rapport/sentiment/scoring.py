"""Score the sentiment of short customer texts in German and English, offline and explained.

``analyze(text, language=...)`` returns a label (negative, neutral, positive), a score in
[-1, 1] and the phrases that carried it. Both languages work the way VADER does: words and
fixed phrases from a lexicon carry a valence on a scale of -4 .. +4, which negation,
intensifiers, dampeners, contrast ("aber", "but"), ALL CAPS, exclamation marks and simple
sarcasm cues adjust; the sum is squashed to [-1, 1] with VADER's normalisation, and a neutral
band around 0 (tuned on the development split of our labelled data) separates the labels.

- English: VADER (``vaderSentiment``, MIT; its lexicon ships in the wheel) per sentence, with
  our customer-service additions from ``lexicon/en.tsv`` and emoji from ``lexicon/emoji.tsv``.
- German: our own scorer on our own lexicon (``lexicon/de.tsv``), matched lower-cased with
  umlauts folded and by Snowball stem (``rapport.search.text``), so "enttäuscht",
  "enttaeuscht" and "Enttäuschung" meet; unknown compounds match their last part
  ("Lieferverzögerung").
- Unknown language: the routing detector decides; if it cannot (short texts), a count of
  common function words; if that is a tie, both scorers run and the stronger score wins.

A phrase's ``weight`` is its final contribution on the lexicon's scale (-4 .. +4, after
negation and the other rules), before the sum is normalised.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.search.text import fold, term

logger = logging.getLogger(__name__)

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
LANGUAGES = ("de", "en")
# Longer texts are cut: the first few thousand characters decide the tone, and the cost of
# the rules grows with the length.
MAX_CHARS = 4000
# Neutral band per language: scores strictly inside (negative, positive) are neutral. Tuned
# on the dev split of rapport/sentiment/tests/data/labelled_*.jsonl only.
THRESHOLDS = {"de": (-0.30, 0.30), "en": (-0.35, 0.30)}
# VADER's constants: a booster adds this much valence, a negation multiplies by N_SCALAR,
# ALL CAPS adds C_INCR, each "!" (up to 4) adds EXCLAMATION, and ALPHA normalises the sum.
B_INCR = 0.293
N_SCALAR = -0.74
C_INCR = 0.733
EXCLAMATION = 0.292
ALPHA = 15.0
# A negated negative word turns only mildly positive ("nicht schlecht", "not bad").
NEGATED_NEGATIVE = -0.5
# Items in a sentence that ends in a single "?" count this much: a question asks, it rarely
# judges ("What happens if my parcel arrives damaged?").
QUESTION_FACTOR = 0.3
# Before and after a contrast word ("aber", "but"): the clause after it weighs more.
BEFORE_CONTRAST = 0.5
AFTER_CONTRAST = 1.5
# Under a sarcasm cue the praising words count against: "Toll, schon wieder zu spät."
SARCASM_FACTOR = -0.8
# "not ... at all" makes the negated judgement stronger.
AT_ALL = 1.3
# A phrase that opens with one of these is an impatient question, not a neutral one.
QUESTION_WORDS = frozenset("wann wie was warum wieso weshalb how what when why".split())
# Items in a clause after "if"/"wenn" describe a possibility, not an experience.
CONDITIONAL_FACTOR = 0.5
CONDITIONALS = frozenset("wenn falls ob sofern if whether unless".split())
# "??" (or more) in a customer text signals impatience rather than a plain question.
REPEATED_QUESTION = -1.0


class Label(models.TextChoices):
    """The three sentiment labels, stored by value and shown translated."""

    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


@dataclass(frozen=True)
class Phrase:
    """Words as written in the text and their contribution (-4 .. +4, before normalising)."""

    text: str
    weight: float


@dataclass(frozen=True)
class Sentiment:
    """The judgement on one text: label, score in [-1, 1], language used and the reasons."""

    label: str
    score: float
    language: str
    phrases: tuple[Phrase, ...]

    def as_data(self, *, phrases: int = 5) -> dict:
        """Return a JSON-able summary to store with a message or answer: label, score,
        language and the strongest ``phrases`` as [text, weight] pairs."""
        strongest = sorted(self.phrases, key=lambda p: -abs(p.weight))[:phrases]
        return {
            "label": self.label,
            "score": round(self.score, 3),
            "language": self.language,
            "phrases": [[p.text, round(p.weight, 3)] for p in strongest],
        }


def analyze(text: str, *, language: str = "") -> Sentiment:
    """Return the sentiment of ``text`` in ``language`` ("de", "en"; other values: detected).

    Never raises: empty, odd or broken input gives a neutral result.
    """
    language = language if language in LANGUAGES else ""
    try:
        text = _clean(text)
        if not text:
            return Sentiment(Label.NEUTRAL.value, 0.0, language, ())
        if language:
            return _score(text, language)
        language = _guess_language(text)
        if language:
            return _score(text, language)
        # Neither the detector nor the function words decide: the stronger reading wins.
        results = [_score(text, lang) for lang in LANGUAGES]
        return max(results, key=lambda result: abs(result.score))
    except Exception:  # noqa: BLE001 - a tone hint must never break the flow that asked for it
        logger.exception("sentiment analysis failed")
        return Sentiment(Label.NEUTRAL.value, 0.0, language, ())


def label_for(score: float, language: str) -> str:
    """Return the label of ``score`` with the neutral band of ``language``."""
    negative, positive = THRESHOLDS.get(language, THRESHOLDS["en"])
    if score >= positive:
        return Label.POSITIVE.value
    if score <= negative:
        return Label.NEGATIVE.value
    return Label.NEUTRAL.value


# --- Input ---------------------------------------------------------------------------------

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]+")


def _clean(text: object) -> str:
    """Return ``text`` as a bounded string without control characters ("" for junk)."""
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return ""
    text = CONTROL.sub(" ", text[:MAX_CHARS])
    return text.strip()


GERMAN_HINTS = frozenset(
    "und ist nicht ich der die das mit sehr für fuer ein eine war hat habe sie wir mir mich"
    " auch aber noch schon bei von zu auf wie kein keine danke bitte leider super toll".split()
)
ENGLISH_HINTS = frozenset(
    "and is not the with very for a an was has have you we my me it i this that to of on"
    " but still no thanks thank please great love".split()
)


def _guess_language(text: str) -> str:
    """Return "de" or "en" as the detector or, failing that, function words say; else ""."""
    try:
        from rapport.helpdesk.routing import detect_language

        code, _confidence = detect_language(text)
    except Exception:  # noqa: BLE001 - without Django's app registry there is no detector
        code = ""
    if code in LANGUAGES:
        return code
    words = [w.lower() for w in WORD_ONLY.findall(text)]
    german = sum(w in GERMAN_HINTS for w in words) + 2 * sum(ch in "äöüß" for ch in text)
    english = sum(w in ENGLISH_HINTS for w in words)
    if german > english:
        return "de"
    if english > german:
        return "en"
    return ""


# --- Lexicons ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A lexicon entry: its valence, and its valence when negated if not the default."""

    weight: float
    negated: float | None


def _read_tsv(name: str) -> list[tuple[str, Entry]]:
    """Return the (entry, weights) rows of one lexicon file, comments skipped."""
    rows = []
    for line in (LEXICON_DIR / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        negated = float(parts[2]) if len(parts) > 2 and parts[2].strip() else None
        rows.append((parts[0].strip(), Entry(float(parts[1]), negated)))
    return rows


def _emoji_key(token: str) -> str:
    """Return the base of an emoji: without variation selectors, skin tones and joiners."""
    return (
        "".join(ch for ch in token if not ("\ufe00" <= ch <= "\ufe0f" or ch == "\u200d"))[:1]
        or token
    )


UMLAUT = re.compile(r"[äöü]|ae|oe|(?<![eq])ue")


def _stem_key(word: str) -> str:
    """Return the stem of a German word, marked when it has an umlaut.

    The Snowball stemmer drops umlauts, so "schön" and "schon" would meet; the mark keeps
    them apart (and "gefällt" from "gefallen": the lexicon lists both).
    """
    stem = term(word, "de")
    return stem + "¨" if UMLAUT.search(word.lower()) else stem


class GermanLexicon:
    """Words by folded form and by stem, phrases by the stems of their words, and emoji.

    In ``de.tsv`` a trailing "*" lets a word also end a compound ("Lieferverzögerung"), a
    leading "=" matches the exact form only, and a leading "~" makes a regular expression.
    """

    def __init__(self) -> None:
        self.exact: dict[str, Entry] = {}
        self.by_stem: dict[str, Entry] = {}
        self.tails: dict[str, Entry] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        self.patterns: list[tuple[re.Pattern, Entry]] = []
        self.emoji: dict[str, Entry] = {}
        stems: dict[str, list[Entry]] = {}
        for raw, entry in _read_tsv("de.tsv"):
            if raw.startswith("~"):
                self.patterns.append((re.compile(raw[1:], re.IGNORECASE), entry))
                continue
            exact_only, tail = raw.startswith("="), raw.endswith("*")
            raw = raw.strip("=*")
            words = WORD_ONLY.findall(raw)
            if len(words) > 1 or " " in raw:
                key = tuple(term(w, "de") for w in words)
                self.phrases.setdefault(key[0], []).append((key, entry))
                continue
            self.exact[fold(raw)] = entry
            if tail:
                self.tails[fold(raw)] = entry
            if not exact_only:
                stems.setdefault(_stem_key(raw), []).append(entry)
        for stem, entries in stems.items():
            # Several forms of one stem: their mean, so no single form decides alone.
            weight = sum(e.weight for e in entries) / len(entries)
            negated = [e.negated for e in entries if e.negated is not None]
            self.by_stem[stem] = Entry(weight, sum(negated) / len(negated) if negated else None)
        for phrases in self.phrases.values():
            phrases.sort(key=lambda item: -len(item[0]))
        for raw, entry in _read_tsv("emoji.tsv"):
            self.emoji[_emoji_key(raw) if not raw.isascii() else raw.lower()] = entry


# --- Tokens --------------------------------------------------------------------------------

TOKEN = re.compile(
    r"(?P<skip>https?://\S+|www\.\S+|\S+@\S+\.\w+|@\w+)"
    r"|(?P<emoticon>(?<!\w)(?:>?[:;=][\-']?[)(\]\[dDpP/|]+|\^\^|<3|[xX][dD](?!\w)))"
    r"|(?P<emoji>[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2B55\u2190-\u21FF\u2300-\u23FF]"
    r"[\uFE0F\U0001F3FB-\U0001F3FF]*)"
    r"|(?P<word>[^\W_]+(?:['’][^\W_]+)?)"
    r"|(?P<end>[.!?;…]+|\n)"
    r"|(?P<clause>[,:–—(\)\-\"„“”«»])"
)
WORD_ONLY = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


@dataclass
class Token:
    kind: str  # word, emoticon, emoji, end, clause
    text: str
    start: int
    end: int
    folded: str = ""
    stem: str = ""


def _tokens(text: str) -> list[Token]:
    result = []
    for match in TOKEN.finditer(text):
        kind = match.lastgroup or ""
        if kind == "skip":
            continue
        value = match.group()
        token = Token(kind, value, match.start(), match.end())
        if kind == "word":
            token.folded = fold(value)
            token.stem = term(value, "de")
        result.append(token)
    return result


@dataclass
class Item:
    """One sentiment-bearing word or phrase: token span, valence, sentence and clause."""

    first: int
    last: int
    valence: float
    sentence: int
    clause: int
    negated: bool = False


# --- German --------------------------------------------------------------------------------

NEGATIONS = frozenset(
    "nicht kein keine keinen keinem keiner keines nie niemals ohne kaum nichts keineswegs"
    " keinesfalls weder nirgends".split()
)
# Words after a negation that cancel it ("nicht nur ..., sondern auch").
NOT_NEGATING_AFTER = frozenset({"nur", "umsonst", "ohne"})
BOOSTERS = {
    **dict.fromkeys(
        "sehr total mega echt extrem absolut voll richtig wirklich besonders aeusserst ausserst"
        " ueberaus enorm unglaublich wahnsinnig unheimlich irre tierisch verdammt sau super"
        " ultra hoechst zutiefst komplett voellig vollkommen derart dermassen ziemlich krass"
        " unfassbar unbeschreiblich hyper so viel weitaus deutlich ueberhaupt gar".split(),
        B_INCR,
    ),
    **dict.fromkeys("einfach durchaus".split(), B_INCR / 2),
    **dict.fromkeys(
        "etwas bisschen eher leicht relativ halbwegs einigermassen teilweise teils wenig"
        " weniger recht".split(),
        -B_INCR,
    ),
}
CONTRASTS = frozenset("aber jedoch trotzdem allerdings dennoch sondern".split())
# Words that keep a postposed negation searching further back ("funktioniert leider nicht").
TRANSPARENT = frozenset("leider immer noch wirklich mehr".split())
SALUTATION_START = frozenset("hallo hi hey liebe lieber liebes moin servus".split())
# Ironic openers: "Toll, schon wieder zu spät." Only with a complaint cue elsewhere.
IRONIC_OPENERS = frozenset(
    "toll super klasse prima wunderbar grossartig fantastisch perfekt wow bravo genial spitze"
    " herrlich schoen liebe great brilliant wonderful fantastic perfect lovely awesome amazing"
    " nice love".split()
)
DE_COMPLAINT_CUE = re.compile(
    r"\b(schon wieder|wieder mal|mal wieder|erst nach|immer noch|noch immer|seit \w+|"
    r"\d+\s*(tage|tagen|wochen|monate|monaten|stunden|minuten)|nur \d+)\b",
    re.IGNORECASE,
)
# Intensifying and judging prefixes of compounds ("Superservice", "Mistding").
PREFIX_BOOST = ("super", "mega", "ultra", "hyper", "extrem", "total", "sau", "ober", "top")
PREFIX_VALENCE = (
    ("scheiss", -2.8),
    ("kack", -2.8),
    ("drecks", -2.8),
    ("mist", -2.0),
    ("spitzen", 2.6),
    ("top", 2.0),
    ("traum", 2.0),
)
PREFIX_EXCEPTIONS = ("topf", "topic", "topo", "traumat", "mister", "mistel", "kacheln")


_german: GermanLexicon | None = None
_german_lock = threading.Lock()


def _german_lexicon() -> GermanLexicon:
    global _german
    if _german is None:
        with _german_lock:
            if _german is None:
                _german = GermanLexicon()
    return _german


@lru_cache(maxsize=50_000)
def _german_word(word: str) -> Entry | None:
    """Return the entry of one German word: exact form, stem, compound tail or prefix."""
    lexicon = _german_lexicon()
    folded = fold(word)
    entry = lexicon.exact.get(folded) or lexicon.by_stem.get(_stem_key(word))
    if entry is not None:
        return entry
    if len(folded) < 7:
        return None
    if folded.startswith("un"):
        # "unpünktlich", "unkompetent": un- turns a positive quality negative.
        inner = lexicon.exact.get(folded[2:]) or lexicon.by_stem.get(_stem_key(word[2:]))
        if inner is not None and inner.weight > 0.5:
            return Entry(round(-0.8 * inner.weight, 2), None)
    for cut in range(3, len(folded) - 4):
        inner = lexicon.tails.get(folded[cut:].strip("-"))
        if inner is None:
            inner = lexicon.tails.get(folded[cut:].rstrip("ens"))
        if inner is not None:
            boost = B_INCR if folded[:cut].strip("-") in PREFIX_BOOST else 0.0
            return Entry(inner.weight + math.copysign(boost, inner.weight), inner.negated)
    if not folded.startswith(PREFIX_EXCEPTIONS):
        for prefix, weight in PREFIX_VALENCE:
            if folded.startswith(fold(prefix)) and len(folded) >= len(prefix) + 4:
                return Entry(weight, None)
    return None


def _score_german(text: str) -> tuple[float, list[tuple[int, int, float]]]:
    """Return the raw valence sum of a German text and its items as (start, end, weight)."""
    lexicon = _german_lexicon()
    tokens = _tokens(text)
    items: list[Item] = []
    sentence = clause = 0
    positions: list[tuple[int, int]] = []  # sentence and clause of each token
    for token in tokens:
        positions.append((sentence, clause))
        if token.kind == "end":
            sentence += 1
            clause += 1
        elif token.kind == "clause":
            clause += 1
    words = [i for i, t in enumerate(tokens) if t.kind == "word"]
    word_at = {index: n for n, index in enumerate(words)}
    covered: set[int] = set()

    def next_word(index: int) -> int | None:
        n = word_at.get(index)
        if n is None or n + 1 >= len(words):
            return None
        following = words[n + 1]
        return following if positions[following][1] == positions[index][1] else None

    def is_sentiment(index: int) -> bool:
        token = tokens[index]
        if token.folded in BOOSTERS or token.folded in NEGATIONS:
            return False
        return _german_word(token.text) is not None

    for pattern, entry in lexicon.patterns:
        for match in pattern.finditer(text):
            span = [
                i
                for i, t in enumerate(tokens)
                if t.start >= match.start() and t.end <= match.end() and i not in covered
            ]
            if span:
                covered.update(span)
                item = Item(span[0], span[-1], entry.weight, *positions[span[0]])
                _german_modifiers(item, tokens, positions, entry, span[0])
                items.append(item)
    for index, token in enumerate(tokens):
        if index in covered:
            continue
        sentence_no, clause_no = positions[index]
        if token.kind == "end" and "??" in token.text:
            items.append(Item(index, index, REPEATED_QUESTION, sentence_no, clause_no))
            continue
        if token.kind in ("emoji", "emoticon"):
            key = _emoji_key(token.text) if token.kind == "emoji" else token.text.lower()
            entry = lexicon.emoji.get(key)
            if entry is not None:
                items.append(Item(index, index, entry.weight, sentence_no, clause_no))
            continue
        if token.kind != "word":
            continue
        # Fixed phrases first, longest first, on stems within one clause.
        matched = False
        for key, entry in lexicon.phrases.get(token.stem, ()):
            span = [index]
            while len(span) < len(key):
                following = next_word(span[-1])
                if following is None:
                    break
                span.append(following)
            if len(span) == len(key) and all(
                tokens[i].stem == stem for i, stem in zip(span, key, strict=True)
            ):
                covered.update(span)
                if entry.weight or entry.negated:
                    item = Item(span[0], span[-1], entry.weight, sentence_no, clause_no)
                    _german_modifiers(item, tokens, positions, entry, span[0])
                    items.append(item)
                matched = True
                break
        if matched:
            continue
        if token.folded in NEGATIONS or token.folded in CONTRASTS:
            continue
        if token.folded in BOOSTERS:
            following = next_word(index)
            # "super schnell": a booster; "Super Service!": a judgement of its own.
            if following is not None and is_sentiment(following):
                continue
        if index == 0 and token.folded in SALUTATION_START:
            continue
        entry = _german_word(token.text)
        if entry is None or not (entry.weight or entry.negated):
            continue
        item = Item(index, index, entry.weight, sentence_no, clause_no)
        _german_modifiers(item, tokens, positions, entry, index)
        items.append(item)

    _postposed_negation(items, tokens, positions, words)
    _contrast(items, tokens, positions)
    _questions(items, tokens, positions)
    _conditionals(items, tokens, positions)
    rest = _ironic_opener(tokens)
    if _trailing_not(text) or (
        rest is not None
        and (
            DE_COMPLAINT_CUE.search(text, rest)
            or any(item.valence < 0 and tokens[item.first].start >= rest for item in items)
        )
    ):
        for item in items:
            if item.valence > 0:
                item.valence *= SARCASM_FACTOR
    return _sum(items, text), [
        (tokens[i.first].start, tokens[i.last].end, i.valence) for i in items
    ]


def _german_modifiers(
    item: Item, tokens: list[Token], positions: list[tuple[int, int]], entry: Entry, first: int
) -> None:
    """Apply the boosters, dampeners and negation in the three words before ``first``."""
    valence = entry.weight
    clause = positions[first][1]
    before: list[int] = []
    index = first - 1
    while index >= 0 and len(before) < 3 and positions[index][1] == clause:
        if tokens[index].kind == "word":
            before.append(index)
        index -= 1
    negation = None
    for distance, position in enumerate(before):
        word = tokens[position].folded
        if word in BOOSTERS and valence:
            scale = (1.0, 0.95, 0.9)[distance]
            valence += math.copysign(1.0, valence) * BOOSTERS[word] * scale
        if word in NEGATIONS and negation is None:
            after = tokens[before[distance - 1]].folded if distance else ""
            if after not in NOT_NEGATING_AFTER:
                negation = position
    if negation is not None:
        between = {tokens[i].folded for i in before if i > negation}
        if tokens[negation].folded in ("nie", "niemals") and between & {"so", "solch", "derart"}:
            valence *= 1.25  # "noch nie so schlecht": never so bad is very bad
        else:
            valence = _negate(valence, entry)
            item.negated = True
    token = tokens[first]
    if token.text.isupper() and len(token.text) > 1 and not _all_caps(tokens):
        valence += math.copysign(C_INCR, valence) if valence else 0.0
    item.valence = valence


def _negate(valence: float, entry: Entry) -> float:
    if entry.negated is not None:
        boost = abs(valence) - abs(entry.weight)
        return entry.negated + math.copysign(max(0.0, boost) * 0.5, entry.negated)
    return valence * (N_SCALAR if valence > 0 else NEGATED_NEGATIVE)


def _all_caps(tokens: list[Token]) -> bool:
    letters = [t.text for t in tokens if t.kind == "word" and t.text.isalpha()]
    return bool(letters) and all(w.isupper() for w in letters)


def _postposed_negation(
    items: list[Item],
    tokens: list[Token],
    positions: list[tuple[int, int]],
    words: list[int],
) -> None:
    """Negate the word a trailing "nicht" belongs to: "Das gefällt mir nicht."."""
    by_first = {item.first: item for item in items}
    for n, index in enumerate(words):
        if tokens[index].folded not in ("nicht", "nie", "kaum", "keineswegs"):
            continue
        clause = positions[index][1]
        following = [i for i in words[n + 1 : n + 3] if positions[i][1] == clause and i in by_first]
        if following or any(
            tokens[i].folded in NOT_NEGATING_AFTER
            for i in words[n + 1 : n + 2]
            if positions[i][1] == clause
        ):
            continue  # the negation belongs to a word after it
        for back in reversed(words[max(0, n - 4) : n]):
            if positions[back][1] != clause:
                break
            item = by_first.get(back)
            if item is None or item.negated:
                continue
            if tokens[back].folded in TRANSPARENT:
                continue
            entry = _german_word(tokens[back].text)
            if entry is not None:
                item.valence = _negate(item.valence, entry)
                item.negated = True
            break


def _contrast(items: list[Item], tokens: list[Token], positions: list[tuple[int, int]]) -> None:
    """Weigh the clause after the last contrast word of a sentence more, the part before less.

    A contrast word that opens a sentence ("Aber die Qualität ...") also weakens the sentence
    before it.
    """
    contrasts = [i for i, t in enumerate(tokens) if t.kind == "word" and t.folded in CONTRASTS]
    for index in contrasts:
        sentence = positions[index][0]
        opens = all(positions[i][0] != sentence or tokens[i].kind != "word" for i in range(index))
        for item in items:
            if item.first > index and item.sentence == sentence:
                item.valence *= AFTER_CONTRAST
            elif item.first < index and (
                item.sentence == sentence or (opens and item.sentence == sentence - 1)
            ):
                item.valence *= BEFORE_CONTRAST


def _questions(items: list[Item], tokens: list[Token], positions: list[tuple[int, int]]) -> None:
    """Dampen the items of sentences that end in a single question mark."""
    asking: set[int] = set()
    for index, token in enumerate(tokens):
        if token.kind == "end" and token.text.endswith("?") and token.text.count("?") == 1:
            if "!" not in token.text:
                asking.add(positions[index][0])
    for item in items:
        # "Wie oft noch?", "Wann kommt es endlich?": an impatient question is a complaint.
        if item.sentence in asking and tokens[item.first].folded not in QUESTION_WORDS:
            item.valence *= QUESTION_FACTOR


TRAILING_NOT = re.compile(r"(?:^|[.!?…]\s*)(?:nicht|not|yeah,? right|ja klar)\s*[.!]*\s*$", re.I)


def _trailing_not(text: str) -> bool:
    """Say whether the text ends in a lone "Nicht." or "Not." that takes the praise back."""
    return bool(TRAILING_NOT.search(text[-40:]))


def _conditionals(items: list[Item], tokens: list[Token], positions: list[tuple[int, int]]) -> None:
    """Dampen the items that follow "wenn", "falls", "ob" in their clause."""
    clauses = {
        positions[i][1]: i for i in reversed(range(len(tokens))) if tokens[i].folded in CONDITIONALS
    }
    for item in items:
        start = clauses.get(item.clause)
        if start is not None and start < item.first:
            item.valence *= CONDITIONAL_FACTOR


def _ironic_opener(tokens: list[Token]) -> int | None:
    """Return where the text goes on after an ironic opener ("Toll, ...", "Oh great, ...").

    The opener is a praising word, perhaps after "oh"/"na", followed by a comma, "!" or
    "...". The caller decides with a complaint cue in the rest whether it is irony.
    """
    first = next((i for i, t in enumerate(tokens) if t.kind == "word"), None)
    if first is None:
        return None
    opener = first
    while tokens[opener].folded in ("oh", "na", "ach", "ja", "well", "wie", "how", "i", "ich") and (
        opener + 1 < len(tokens) and tokens[opener + 1].kind == "word"
    ):
        opener += 1
    if tokens[opener].kind != "word" or tokens[opener].folded not in IRONIC_OPENERS:
        return None
    if opener + 1 >= len(tokens):
        return None
    following = tokens[opener + 1]
    if following.text in (",", "!", "...", "…") or (
        tokens[opener].folded in ("love", "liebe") and following.folded in ("how", "when", "wie")
    ):
        return following.end
    return None


def _sum(items: list[Item], text: str) -> float:
    total = sum(item.valence for item in items)
    emphasis = min(text.count("!"), 4) * EXCLAMATION
    if total > 0:
        total += emphasis
    elif total < 0:
        total -= emphasis
    return total


# --- English -------------------------------------------------------------------------------

EN_COMPLAINT_CUE = re.compile(
    r"\b(another|again|still|only took|yet|record|as usual|"
    r"\d+\s*(days?|weeks?|hours?|minutes?|months?)|(two|three|four|five|six) (days|weeks))\b",
    re.IGNORECASE,
)
CLAUSE_PUNCTUATION = re.compile(r"([,:;()])")
ENGLISH_NEGATIONS = frozenset(
    "not no never nobody noone nothing none nor neither without hardly barely cannot".split()
)


def _english_negated(words: list[str]) -> bool:
    """Say whether one of ``words`` (the few before a phrase) negates it."""
    return any(
        w.lower().strip(".,;:!?") in ENGLISH_NEGATIONS or w.lower().endswith(("n't", "nt"))
        for w in words
        if w.lower() not in ("want", "meant", "spent", "sent", "went", "event", "different")
    )


SENTENCES = re.compile(r"[^.!?;\n]+[.!?;\n]*")
_english = None
_english_lock = threading.Lock()


def _english_engine():
    global _english
    if _english is None:
        with _english_lock:
            if _english is None:
                _english = EnglishEngine()
    return _english


class EnglishEngine:
    """VADER with our domain lexicon, phrases and emoji; created once, read-only afterwards."""

    def __init__(self) -> None:
        from vaderSentiment import vaderSentiment as vader

        self.vader_module = vader
        self.vader = vader.SentimentIntensityAnalyzer()
        phrases: list[tuple[str, Entry]] = []
        self.patterns: list[tuple[re.Pattern, Entry]] = []
        for raw, entry in _read_tsv("en.tsv"):
            if raw.startswith("~"):
                self.patterns.append((re.compile(raw[1:], re.IGNORECASE), entry))
            elif " " in raw or entry.negated is not None:
                # Phrases, and words whose negation we weigh ourselves ("never arrived").
                phrases.append((raw.lower(), entry))
            elif entry.weight:
                self.vader.lexicon[raw.lower()] = entry.weight
            else:
                # Absent rather than 0: VADER lets a booster give a 0-valued word a valence.
                self.vader.lexicon.pop(raw.lower(), None)
        phrases.sort(key=lambda item: -len(item[0]))
        self.phrases = {raw: entry for raw, entry in phrases}
        self.phrase_pattern = re.compile(
            r"(?<![\w'])(" + "|".join(re.escape(raw) for raw, _e in phrases) + r")(?![\w'])",
            re.IGNORECASE,
        )
        self.emoji = {
            _emoji_key(raw): entry for raw, entry in _read_tsv("emoji.tsv") if not raw.isascii()
        }

    def word_valences(self, sentence: str) -> list[tuple[str, float]]:
        """Return VADER's valence of each word of one sentence (its rules applied)."""
        vader, module = self.vader, self.vader_module
        sentitext = module.SentiText(sentence)
        words = sentitext.words_and_emoticons
        sentiments: list[float] = []
        for i, item in enumerate(words):
            lowered = item.lower()
            if lowered in module.BOOSTER_DICT or (
                lowered == "kind" and i < len(words) - 1 and words[i + 1].lower() == "of"
            ):
                sentiments.append(0)
                continue
            sentiments = vader.sentiment_valence(0, sentitext, item, i, sentiments)
        sentiments = vader._but_check(words, sentiments)
        return list(zip(words, sentiments, strict=True))

    def score(self, text: str) -> tuple[float, list[tuple[str, float]]]:
        """Return the raw valence sum of an English text and its items as (words, weight)."""
        found: list[tuple[str, float, int]] = []  # text, weight, sentence number
        spans = [(m.start(), m.end()) for m in TOKEN.finditer(text) if m.lastgroup == "emoji"]
        chars = list(text)
        for start, end in spans:
            entry = self.emoji.get(_emoji_key(text[start:end]))
            if entry is not None:
                found.append((text[start:end], entry.weight, -1))
            chars[start:end] = " " * (end - start)
        plain = "".join(chars)
        sentences = [m.group() for m in SENTENCES.finditer(plain)]
        for number, sentence in enumerate(sentences):
            asking = sentence.rstrip().endswith("?") and sentence.count("?") == 1
            factor = QUESTION_FACTOR if asking else 1.0
            masked = sentence
            if "??" in sentence:
                found.append(("??", REPEATED_QUESTION, number))
            matches = [(m, e) for pattern, e in self.patterns for m in pattern.finditer(sentence)]
            matches += [
                (m, self.phrases[m.group().lower()]) for m in self.phrase_pattern.finditer(sentence)
            ]
            taken: list[tuple[int, int]] = []
            for match, entry in sorted(matches, key=lambda pair: -len(pair[0].group())):
                if any(match.start() < end and start < match.end() for start, end in taken):
                    continue
                taken.append(match.span())
                clause = CLAUSE_PUNCTUATION.split(sentence[: match.start()])[-1].split()
                before = clause[-3:]
                weight = entry.weight
                if _english_negated(before):
                    weight = entry.negated if entry.negated is not None else weight * N_SCALAR
                masked = masked[: match.start()] + "," * len(match.group()) + masked[match.end() :]
                if any(w.lower() in CONDITIONALS for w in clause):
                    weight *= CONDITIONAL_FACTOR
                if weight:
                    opens_question = match.group().split()[0].lower() in QUESTION_WORDS
                    found.append(
                        (match.group(), weight * (1.0 if opens_question else factor), number)
                    )
            # Clause punctuation becomes a word of its own, so VADER's three-word negation
            # window does not reach across it ("Not cheap, but worth every penny").
            masked = CLAUSE_PUNCTUATION.sub(r" \1 ", masked)
            conditional = False
            at_all = "at all" in sentence.lower()
            for word, valence in self.word_valences(masked):
                lowered = word.lower()
                if lowered in CONDITIONALS:
                    conditional = True
                elif lowered in (",", ";", ":", "(", ")"):
                    conditional = False
                if valence:
                    weight = valence * (CONDITIONAL_FACTOR if conditional else 1.0)
                    if weight < 0 and at_all:
                        weight *= AT_ALL
                    found.append((word, weight * factor, number))
        rest = _ironic_opener(_tokens(plain))
        if _trailing_not(plain) or (
            rest is not None
            and (EN_COMPLAINT_CUE.search(plain, rest) or any(v < 0 for _w, v, _n in found))
        ):
            found = [(w, v * SARCASM_FACTOR if v > 0 else v, n) for w, v, n in found]
        total = sum(v for _w, v, _n in found)
        emphasis = self.vader._punctuation_emphasis(plain)
        if total > 0:
            total += emphasis
        elif total < 0:
            total -= emphasis
        return total, [(w, v) for w, v, _n in found]


# --- Both ----------------------------------------------------------------------------------


def _score(text: str, language: str) -> Sentiment:
    if language == "de":
        total, spans = _score_german(text)
        pairs = [(text[start:end], weight) for start, end, weight in spans]
    else:
        total, pairs = _english_engine().score(text)
    score = total / math.sqrt(total * total + ALPHA) if total else 0.0
    score = max(-1.0, min(1.0, score))
    phrases = sorted(
        (Phrase(words, round(weight, 2)) for words, weight in pairs if round(weight, 2)),
        key=lambda phrase: -abs(phrase.weight),
    )
    return Sentiment(label_for(score, language), round(score, 4), language, tuple(phrases[:12]))
