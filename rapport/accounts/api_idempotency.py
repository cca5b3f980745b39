"""Idempotent API writes: a request repeated with the same ``Idempotency-Key`` header runs once.

The first request with a key stores its response; a repeat by the same user with the same
method, path and body gets the stored response again without running anything. The same key
with a different request is refused (422 ``idempotency_key_reused``). Only successful
responses are stored: a request that failed may be retried with the same key.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Status
from pydantic import BaseModel

from rapport.accounts.models import IdempotencyKey
from rapport.api import ApiError

MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"


def request_fingerprint(request: HttpRequest) -> str:
    """Return a hash of the request's method, path and body (JSON compared by content)."""
    try:
        body = json.dumps(json.loads(request.body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = request.body
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _jsonable(body: Any) -> Any:
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json", by_alias=True)
    return json.loads(json.dumps(body, default=str))


def _check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        message = _("Use a key of 1 to %(max)d printable characters, such as a UUID.") % {
            "max": MAX_KEY_LENGTH
        }
        raise ApiError(
            422,
            "invalid_idempotency_key",
            message,
            {HEADER: [{"code": "invalid_idempotency_key", "message": message}]},
        )
    return key


def _replay(stored: IdempotencyKey, request: HttpRequest, fingerprint: str) -> Status:
    if stored.request_hash != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for a different request."),
            {HEADER: [{"code": "idempotency_key_reused", "message": _("Use a new key.")}]},
        )
    return Status(stored.response_status, stored.response_body)


def run_idempotent(
    request: HttpRequest, key: str | None, run: Callable[[], tuple[int, Any]]
) -> Status:
    """Call ``run`` (returning status and body) once per ``key``; replay its result on repeats.

    Without a key, just call ``run``. The key row is written in the same transaction as the
    change, so a crash leaves neither; a concurrent request with the same key waits on the
    unique constraint and then replays.
    """
    if key is None:
        return Status(*run())
    key = _check_key(key)
    fingerprint = request_fingerprint(request)
    user = request.auth
    with transaction.atomic():
        stored = IdempotencyKey.objects.filter(user=user, key=key).first()
        if stored is not None:
            return _replay(stored, request, fingerprint)
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    method=request.method[:8],
                    path=request.path[:255],
                    request_hash=fingerprint,
                )
        except IntegrityError:
            return _replay(IdempotencyKey.objects.get(user=user, key=key), request, fingerprint)
        status, body = run()
        body = _jsonable(body)
        record.response_status, record.response_body = status, body
        record.save(update_fields=["response_status", "response_body"])
    return Status(status, body)
