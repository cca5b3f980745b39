"""What an import did or would do: counts, row issues and a preview of the first rows."""

import contextlib
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from rapport.imports.models import COUNT_NAMES

PREVIEW_ROWS = 20


@dataclass(slots=True)
class Issue:
    row: int
    column: str
    field: str
    code: str
    message: str
    raw: dict[str, str]


@dataclass
class ImportReport:
    """The outcome of one import run; ``counts`` has one entry per name in ``COUNT_NAMES``."""

    kind: str
    dry_run: bool
    encoding: str = ""
    delimiter: str = ""
    total_rows: int = 0
    processed_rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_NAMES, 0))
    issues: list[Issue] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_problems(self) -> bool:
        """Return whether some rows were not imported because they were invalid or duplicates."""
        return bool(self.counts["invalid"] or self.counts["duplicate"])

    def wants_preview(self, row: int) -> bool:
        """Return whether ``row`` may be among the first ``PREVIEW_ROWS`` rows (see below)."""
        return len(self.preview) < PREVIEW_ROWS or row <= self.preview[-1]["row"]

    def add_preview(self, row: int, action: str, label: str, message: str = "") -> None:
        """Keep the outcome of the first ``PREVIEW_ROWS`` rows (outcomes arrive out of order)."""
        if len(self.preview) >= PREVIEW_ROWS and row > self.preview[-1]["row"]:
            return
        self.preview.append({"row": row, "action": action, "label": label, "message": message})
        self.preview.sort(key=lambda entry: entry["row"])
        del self.preview[PREVIEW_ROWS:]


ProgressCallback = Callable[[ImportReport], None]


def messages_of(exc: ValidationError) -> list[tuple[str, str, str]]:
    """Return (field, code, message) for each error in a ``ValidationError``."""
    result = []
    error_dict = exc.error_dict if hasattr(exc, "error_dict") else {"": [exc]}
    for name, errors in error_dict.items():
        for error in errors:
            for single in error.error_list:
                message = single.message
                if single.params:
                    message = message % single.params
                result.append((name, single.code or "invalid", str(message)))
    return result


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk load; the caller collects per batch.

    An import allocates millions of short-lived objects while large lookup tables stay alive,
    so automatic collections would walk those tables again and again (about 10 % of the time).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
