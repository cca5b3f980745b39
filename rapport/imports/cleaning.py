"""Cleaning import rows in a worker process while the importing process matches and writes.

Validation (``clean_profile``, ``clean_contacts`` with phonenumbers, ``clean_custom_fields``)
is pure Python and takes about half of an import's CPU time; the other half is matching and
writing, which must stay in the process that holds the database connection. With a second
core the two overlap: chunks of raw rows go to one worker process, cleaned rows and issues
come back in order, and the importer writes chunk N while the worker cleans chunk N+1.

The worker is started with ``spawn`` (a fresh interpreter that runs ``django.setup()``), never
``fork``: the importer may run in a thread of Huey's consumer, and forking a threaded process
with an open SQLite connection is unsafe. It needs no database: the custom field definitions,
the language and the default country are sent along. An exception in the worker, or its
death, is raised in the importer (a failed job); the pool is always shut down and joined.

This module imports no models at the top, so that a fresh worker can unpickle its functions
before Django is set up.
"""

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Any

#: Files with fewer rows are cleaned in the importing process: starting a worker takes ~1 s.
WORKER_MIN_ROWS = 20_000
#: Rows per chunk sent to the worker.
CHUNK_ROWS = 2_000
#: Chunks in flight: the worker cleans the next one while the importer consumes the current.
CHUNKS_AHEAD = 2

_cleaner: Any = None


def worker_pays_off(rows: int) -> bool:
    """Return whether to clean ``rows`` rows in a worker: a large file and a second core.

    ``RAPPORT_IMPORT_WORKER = False`` in the settings turns the worker off (single process).
    """
    from django.conf import settings

    if not getattr(settings, "RAPPORT_IMPORT_WORKER", True) or rows < WORKER_MIN_ROWS:
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) >= 2


def start_worker(config: dict[str, Any], language: str, default_country: str) -> None:
    """Set Django up in the worker process and build its ``RowCleaner``."""
    import django

    django.setup(set_prefix=False)
    from django.conf import settings
    from django.utils import translation

    from rapport.customers.models import CustomFieldDefinition
    from rapport.imports.customer_import import RowCleaner

    settings.RAPPORT_DEFAULT_COUNTRY = default_country
    translation.activate(language)
    # Sent as field values: model instances cannot be unpickled before django.setup().
    definitions = [CustomFieldDefinition(**values) for values in config["definitions"]]
    global _cleaner  # noqa: PLW0603 - one cleaner per worker process
    _cleaner = RowCleaner(**{**config, "definitions": definitions})


def clean_chunk(chunk: list[tuple[int, list[str]]]) -> list[Any]:
    """Clean one chunk in the worker (``RowCleaner.clean_chunk``)."""
    return _cleaner.clean_chunk(chunk)


def cleaned_in_worker(
    config: dict[str, Any], rows: Iterable[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str], Any]]:
    """Yield (row, cells, cleaned) for ``rows`` in order, cleaned by a worker process."""
    from django.conf import settings
    from django.utils import translation

    config = {
        **config,
        "definitions": [
            {f.attname: getattr(d, f.attname) for f in d._meta.concrete_fields}
            for d in config["definitions"]
        ],
    }
    executor = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_worker,
        initargs=(
            config,
            translation.get_language() or settings.LANGUAGE_CODE,
            settings.RAPPORT_DEFAULT_COUNTRY,
        ),
    )
    pending: deque[tuple[list[tuple[int, list[str]]], Future]] = deque()
    rows = iter(rows)
    try:
        while True:
            while len(pending) < CHUNKS_AHEAD:
                chunk = list(islice(rows, CHUNK_ROWS))
                if not chunk:
                    break
                pending.append((chunk, executor.submit(clean_chunk, chunk)))
            if not pending:
                return
            chunk, future = pending.popleft()
            for (row, cells), cleaned in zip(chunk, future.result(), strict=True):
                yield row, cells, cleaned
    finally:
        # Also when the importer stops early (an error while writing): no orphaned worker.
        executor.shutdown(wait=True, cancel_futures=True)
