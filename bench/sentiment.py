"""Sentiment quality and speed: ``rapport.sentiment.scoring.analyze`` on our labelled texts.

``python -m bench.sentiment`` prints JSON: per language the figures on the test split (the
result) and on the dev split (the split the lexicons, weights and thresholds were tuned on,
so its figures flatter), the same with the language left to detection, and the throughput in
texts per second on one core. Only aggregate figures are printed, never a text of the test
split. No database is needed; Django is set up for the language detector.

The data: ``rapport/sentiment/tests/data/labelled_{de,en}.jsonl``, one JSON object a line
with ``id``, ``lang``, ``text``, ``label`` (negative, neutral, positive), ``kind`` and
``split`` ("dev" or "test").
"""

import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "rapport" / "sentiment" / "tests" / "data"
LABELS = ("negative", "neutral", "positive")
TARGETS = {"macro_f1_de": 0.75, "macro_f1_en": 0.75}


def load(language: str, split: str | None = None) -> list[dict]:
    """Return the labelled rows of ``language``, of one ``split`` if given."""
    rows = []
    with (DATA / f"labelled_{language}.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
    return [row for row in rows if split is None or row.get("split") == split]


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def evaluate(rows: list[dict], *, detect: bool = False) -> dict:
    """Score ``rows`` and return aggregate figures per language (never a text or an id).

    Per language: n, accuracy, macro_f1 over the three labels, per-class precision, recall
    and F1, the confusion matrix (``confusion[gold][predicted]``) and the accuracy by kind.
    With ``detect``, the language is left to ``analyze`` to find.
    """
    from rapport.sentiment.scoring import analyze

    by_language: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in rows:
        language = row.get("lang", "")
        predicted = analyze(row["text"], language="" if detect else language).label
        by_language[language].append((row["label"], predicted, row.get("kind", "")))
    return {language: _figures(pairs) for language, pairs in sorted(by_language.items())}


def _figures(pairs: list[tuple[str, str, str]]) -> dict:
    confusion = {gold: dict.fromkeys(LABELS, 0) for gold in LABELS}
    kinds: dict[str, Counter] = defaultdict(Counter)
    for gold, predicted, kind in pairs:
        confusion.setdefault(gold, dict.fromkeys(LABELS, 0))[predicted] += 1
        kinds[kind]["n"] += 1
        kinds[kind]["correct"] += gold == predicted
    per_class = {}
    for label in LABELS:
        true_positive = confusion[label][label]
        predicted = sum(confusion[gold][label] for gold in confusion)
        actual = sum(confusion[label].values())
        precision, recall = _ratio(true_positive, predicted), _ratio(true_positive, actual)
        f1 = _ratio(2 * precision * recall, precision + recall)
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "n": actual}
    correct = sum(gold == predicted for gold, predicted, _kind in pairs)
    return {
        "n": len(pairs),
        "accuracy": _ratio(correct, len(pairs)),
        "macro_f1": round(sum(c["f1"] for c in per_class.values()) / len(LABELS), 4),
        "per_class": per_class,
        "confusion": confusion,
        "by_kind": {
            kind: {"n": c["n"], "accuracy": _ratio(c["correct"], c["n"])}
            for kind, c in sorted(kinds.items())
        },
    }


def throughput(texts: list[str], language: str, *, seconds: float = 1.0) -> dict:
    """Return texts per second of ``analyze`` on ``texts`` in ``language`` (one core)."""
    from rapport.sentiment.scoring import analyze

    for text in texts[:20]:  # warm-up: lexicons and caches
        analyze(text, language=language)
    done, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        for text in texts:
            analyze(text, language=language)
        done += len(texts)
    elapsed = time.perf_counter() - began
    mean_chars = sum(map(len, texts)) / len(texts) if texts else 0
    return {"texts_per_second": round(done / elapsed), "mean_chars": round(mean_chars)}


def measure() -> dict:
    """Return the test-split figures (the result), dev-split figures, detection and speed."""
    results: dict = {"targets": TARGETS, "test": {}, "dev": {}, "test_detected_language": {}}
    speed = {}
    for language in ("de", "en"):
        test, dev = load(language, "test"), load(language, "dev")
        results["test"].update(evaluate(test))
        results["dev"].update(evaluate(dev))
        detected = evaluate(test, detect=True).get(language, {})
        results["test_detected_language"][language] = {
            "accuracy": detected.get("accuracy"),
            "macro_f1": detected.get("macro_f1"),
        }
        speed[language] = throughput([row["text"] for row in test + dev], language)
    results["dev"]["note"] = "tuning split: lexicons, weights and thresholds were fitted on it"
    results["throughput"] = speed
    results["met"] = {
        f"macro_f1_{language}": results["test"].get(language, {}).get("macro_f1", 0.0)
        >= TARGETS[f"macro_f1_{language}"]
        for language in ("de", "en")
    }
    return results


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()
    print(json.dumps(measure(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
