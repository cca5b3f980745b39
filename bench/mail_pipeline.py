"""Inbound email pipeline benchmark: raw RFC 822 to a stored, threaded, customer-matched message.

``measure(messages)`` feeds generated messages (new requests from new and known senders,
replies by In-Reply-To, References and subject token, German and English, some multipart
with quoted history) through the pipeline on the current database in this process, as a
burst arrives: each stored raw (``store_inbound``), then processed in batches of 100
(``process_batch``; ``--one-by-one``: ``process_inbound`` per message, with its follow-up).
The batches' follow-up jobs (routing, SLA clock, acknowledgement) are timed separately.
Target: 300 messages/s on one core on SQLite.

Standalone: ``python -m bench.mail_pipeline [N] [--one-by-one] [--profile]`` builds a fresh
migrated SQLite database under ``var/bench-mail/`` and prints the result as JSON
(``--profile`` also prints the 40 most expensive functions).
"""

import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GIVEN = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Jonas", "Lena"]
FAMILY = ["Schmidt", "Meyer", "Weber", "Wagner", "Becker", "Hoffmann", "Koch", "Richter"]
SUBJECTS = [
    "Frage zu meiner Bestellung",
    "Rechnung fehlt",
    "Cannot log in",
    "Lieferung beschädigt",
    "Refund request",
    "Adressänderung",
]
BODIES = [
    "Hallo,\n\nmeine Bestellung {n} ist noch nicht angekommen. Können Sie nachsehen?\n\n"
    "Mit freundlichen Grüßen\n{name}\n",
    "Hello,\n\nI was charged twice for order {n}. Please refund one payment.\n\nBest regards,\n{name}\n",
]
REPLY = (
    "Danke, das hat geholfen. Eine Frage noch zu {n}.\n\n"
    "Am 4. Mai 2026 um 10:12 schrieb Rapport Support <support@localhost>:\n"
    "> Sehr geehrte Kundin,\n> Ihre Bestellung ist unterwegs.\n> Freundliche Grüße\n"
)


def _plain(*, sender, name, subject, body, message_id, extra=""):
    return (
        f"From: {name} <{sender}>\r\nTo: support@localhost\r\nSubject: {subject}\r\n"
        f"Date: Mon, 4 May 2026 10:12:00 +0200\r\nMessage-ID: {message_id}\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + body.replace("\n", "\r\n")
    ).encode()


def _alternative(*, sender, name, subject, body, message_id, extra=""):
    html = "".join(f"<p>{line}</p>" for line in body.splitlines() if line)
    return (
        f"From: {name} <{sender}>\r\nTo: support@localhost\r\nSubject: {subject}\r\n"
        f"Date: Mon, 4 May 2026 10:12:00 +0200\r\nMessage-ID: {message_id}\r\n{extra}"
        'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
        "quoted-printable\r\n\r\n"
        + body.replace("ü", "=C3=BC").replace("ß", "=C3=9F").replace("ä", "=C3=A4")
        + "\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + html
        + "\r\n--b1--\r\n"
    ).encode()


def generate(messages: int, *, seed: int = 3) -> list[bytes]:
    """Return ``messages`` raw emails: 60% new requests, 40% replies to earlier ones."""
    rnd = random.Random(seed)
    run = uuid.uuid4().hex[:10]
    senders = max(messages // 3, 1)
    sent: list[tuple[str, str, str, str]] = []  # (message_id, sender, name, subject)
    result = []
    for n in range(messages):
        message_id = f"<bench-{run}-{n}@mail.example>"
        if sent and rnd.random() < 0.4:
            parent_id, sender, name, subject = rnd.choice(sent)
            style = rnd.random()
            extra = (
                f"In-Reply-To: {parent_id}\r\nReferences: {parent_id}\r\n"
                if style < 0.8
                else f"References: <elsewhere-{n}@x> {parent_id}\r\n"
            )
            body = REPLY.format(n=n)
            subject = f"AW: {subject}"
        else:
            k = rnd.randrange(senders)
            name = f"{GIVEN[k % len(GIVEN)]} {FAMILY[k % len(FAMILY)]}"
            sender = f"kunde{k}-{run}@example.org"
            subject = f"{rnd.choice(SUBJECTS)} {n}"
            body = rnd.choice(BODIES).format(n=n, name=name)
            extra = ""
        build = _alternative if rnd.random() < 0.3 else _plain
        result.append(
            build(
                sender=sender,
                name=name,
                subject=subject,
                body=body,
                message_id=message_id,
                extra=extra,
            )
        )
        sent.append((message_id, sender, name, subject))
    return result


BATCH = 100


def measure(messages: int = 3000, *, batch: int = BATCH) -> dict:
    """Feed ``messages`` generated emails through the pipeline and return the rate.

    As a burst reaches the SMTP listener: each email is stored raw, then the worker
    processes what waits in batches of ``batch`` (``batch=1``: one by one, each with its
    follow-up). The follow-up jobs of batches (routing, SLA clock, acknowledgement) are
    measured separately: they are not part of the pipeline the target names.
    """
    from rapport.helpdesk.actions.intake import follow_up_received
    from rapport.mail.actions import process_batch, process_inbound, store_inbound
    from rapport.mail.models import InboundSource, InboundStatus

    raws = generate(messages)
    statuses: dict[str, int] = {}
    follow_ups: list = []
    started = time.perf_counter()
    cpu_started = time.process_time()
    for start in range(0, len(raws), batch):
        ids = [
            store_inbound(raw, source=InboundSource.COMMAND).pk
            for raw in raws[start : start + batch]
        ]
        if batch == 1:
            done = [process_inbound(inbound_id=ids[0])]
        else:
            with _capture_follow_ups(follow_ups):
                done = [outcome.inbound for outcome in process_batch(ids)]
        for inbound in done:
            statuses[inbound.status] = statuses.get(inbound.status, 0) + 1
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    result = {
        "messages": messages,
        "batch": batch,
        "seconds": round(seconds, 2),
        "messages_per_second": round(messages / seconds, 1),
        # CPU time of this process: the rate on one otherwise idle core, whatever else runs.
        "cpu_seconds": round(cpu_seconds, 2),
        "messages_per_cpu_second": round(messages / cpu_seconds, 1),
        "target_messages_per_second": 300,
    }
    if follow_ups:
        started = time.perf_counter()
        for args in follow_ups:
            follow_up_received(args)
        seconds = time.perf_counter() - started
        count = sum(len(args) for args in follow_ups)
        result["follow_up_messages"] = count
        result["follow_up_per_second"] = round(count / seconds, 1)
    if statuses.get(InboundStatus.PROCESSED, 0) != messages:
        result["statuses"] = statuses
    return result


class _capture_follow_ups:
    """Collect the follow-up jobs a batch queues instead of handing them to a worker."""

    def __init__(self, into: list):
        self.into = into

    def __enter__(self):
        from rapport.helpdesk.actions import intake

        self.original = intake._queue_follow_up
        intake._queue_follow_up = self.into.append
        return self

    def __exit__(self, *exc):
        from rapport.helpdesk.actions import intake

        intake._queue_follow_up = self.original


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    messages = int(args[0]) if args else int(os.environ.get("BENCH_MAIL_MESSAGES", "3000"))
    batch = 1 if "--one-by-one" in sys.argv else BATCH
    directory = Path(os.environ.get("BENCH_DIR", ROOT / "var" / "bench-mail")).resolve()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["RAPPORT_VAR_DIR"] = str(directory)
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    os.environ["DEBUG"] = "0"
    subprocess.run(
        [sys.executable, "-m", "rapport", "migrate", "--noinput", "--skip-checks", "-v0"],
        check=True,
    )
    import django

    django.setup()
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        result = profile.runcall(measure, messages, batch=batch)
        stats = pstats.Stats(profile).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative"))
        stats.print_stats(os.environ.get("BENCH_PROFILE_FILTER", ""), 40)
    else:
        result = measure(messages, batch=batch)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
