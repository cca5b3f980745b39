"""The REST API under /api/v1: one NinjaAPI, with a router from each domain app.

Errors are always JSON of the form::

    {"error": {"code": "validation_error", "message": "...", "fields": {"email": [{"code": "...", "message": "..."}]}}}

docs/api.md lists the codes. Besides the error handlers this module holds what every
router shares: the bearer token check, the JSON body parser and keyset pagination.
"""

import base64
import functools
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import DataError, IntegrityError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponseNotAllowed
from django.utils.translation import gettext as _
from ninja import Header, NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import AfterValidator, ConfigDict

from rapport.accounts.queries import user_for_token

logger = logging.getLogger(__name__)

#: List endpoints count matching rows up to this many; beyond it ``total_capped`` is true.
COUNT_CAP = 10_000
MAX_PAGE_SIZE = 100
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Repeat a request with the same key to get the first response again.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]


class BearerToken(HttpBearer):
    """``Authorization: Bearer TOKEN`` with a token made in the UI or by ``rapport createtoken``."""

    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is None or not user.is_staff_member:
            return None
        request.user = user
        return user


class ApiError(Exception):
    """An error the API reports as-is: an HTTP status, a stable code and a message."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


class JsonObjectParser(Parser):
    """Parse request bodies as one JSON object; refuse NaN/Infinity and other top-level types."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and bad UTF-8 are ValueErrors
            raise ApiError(400, "malformed_json", _("The request body is not valid JSON.")) from exc
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_body", _("The request body must be a JSON object."))
        return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


class InputSchema(Schema):
    """Base of request bodies: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value


#: A point in time in responses: always in UTC, written as ISO 8601 ("2024-05-03T08:15:00Z").
Timestamp = Annotated[datetime, AfterValidator(_utc)]

T = TypeVar("T")


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int
    total_capped: bool


class RapportAPI(NinjaAPI):
    """A NinjaAPI that mounts the domain routers when its URLs are first built.

    Mounting late lets the routers import this module without an import cycle.
    """

    _routers_registered = False

    @property
    def urls(self):
        if not self._routers_registered:
            self._routers_registered = True
            _register_routers()
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = _json_method_not_allowed(pattern.callback)
        return patterns, app_name, namespace


def _json_method_not_allowed(view):
    """Wrap a ninja view so that its plain-text 405 answer becomes a JSON error."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(
                request, 405, "method_not_allowed", _("This method is not allowed here.")
            )
            response["Allow"] = allowed
        return response

    return wrapper


api = RapportAPI(
    title="Rapport API",
    version="1",
    description=(
        "REST API of Rapport. Authenticate with `Authorization: Bearer TOKEN`. "
        'Errors are JSON: `{"error": {"code", "message", "fields"}}`.'
    ),
    auth=BearerToken(),
    parser=JsonObjectParser(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


# --- Errors ----------------------------------------------------------------------------------


def error_response(request, status: int, code: str, message: str, fields: dict | None = None):
    return api.create_response(
        request,
        {"error": {"code": code, "message": message, "fields": fields or {}}},
        status=status,
    )


def validation_fields(exc: ValidationError) -> dict[str, list[dict[str, str]]]:
    """Return a Django ``ValidationError`` as {field: [{code, message}]} (``__all__`` for non-field errors)."""
    if hasattr(exc, "error_dict"):
        items = exc.error_dict.items()
    else:
        items = [("__all__", exc.error_list)]
    return {
        field: [{"code": e.code or "invalid", "message": " ".join(e.messages)} for e in errors]
        for field, errors in items
    }


def _expected(type_name: str) -> str:
    kind = type_name.split("_")[0]
    return {
        "string": _("text"),
        "int": _("a whole number"),
        "bool": _("true or false"),
        "list": _("a list"),
        "dict": _("an object"),
        "model": _("an object"),
        "date": _("a date (YYYY-MM-DD)"),
        "datetime": _("a date and time (ISO 8601)"),
        "float": _("a number"),
        "decimal": _("a number"),
    }.get(kind, "")


def schema_error(error: dict[str, Any]) -> tuple[str, str]:
    """Return a stable code and a translated message for one pydantic error."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required", _("This field is required.")
    if kind == "extra_forbidden":
        return "unknown_field", _("This field is not known.")
    if kind in ("string_too_long", "too_long"):
        return "too_long", _("This is too long (at most %(max)s).") % {
            "max": ctx.get("max_length", "?")
        }
    if kind in ("string_too_short", "too_short"):
        return "too_short", _("This is too short (at least %(min)s).") % {
            "min": ctx.get("min_length", "?")
        }
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return "out_of_range", _("This value is out of range.")
    if kind in ("literal_error", "enum"):
        return "invalid_choice", _("Use one of: %(expected)s.") % {
            "expected": ctx.get("expected", "")
        }
    if kind.endswith(("_type", "_parsing")) or kind in ("int_from_float", "union_tag_invalid"):
        expected = _expected(kind)
        if expected:
            return "wrong_type", _("Expected %(expected)s.") % {"expected": expected}
        return "wrong_type", _("This value has the wrong type.")
    if kind == "value_error":
        return "invalid", str(ctx.get("error", "")) or _("This value is not valid.")
    if kind.startswith("rapport_"):  # raised by our own validators with a translated message
        return kind.removeprefix("rapport_"), error.get("msg", "")
    return "invalid", _("This value is not valid.")


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return error_response(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(ValidationError)
def _django_validation_error(request, exc: ValidationError):
    return error_response(
        request, 422, "validation_error", _("Some fields are not valid."), validation_fields(exc)
    )


@api.exception_handler(NinjaValidationError)
def _schema_validation_error(request, exc: NinjaValidationError):
    fields: dict[str, list[dict[str, str]]] = {}
    unknown = False
    for error in exc.errors:
        loc = [
            str(p)
            for p in error.get("loc", ())
            if p not in ("body", "payload", "query", "path", "header")
        ]
        if error.get("type") == "json_invalid":
            return error_response(
                request, 400, "malformed_json", _("The request body is not valid JSON.")
            )
        name = ".".join(loc) or "__all__"
        code, message = schema_error(error)
        if name == "__all__" and code == "required":
            message = _("Send a JSON object in the request body.")
        unknown = unknown or code == "unknown_field"
        fields.setdefault(name, []).append({"code": code, "message": message})
    if unknown:
        return error_response(
            request,
            422,
            "unknown_field",
            _("The request has fields the API does not know."),
            fields,
        )
    return error_response(request, 422, "validation_error", _("Some fields are not valid."), fields)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(
        request,
        401,
        "unauthenticated",
        _("Send a valid API token as “Authorization: Bearer TOKEN”."),
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return error_response(request, 403, "forbidden", _("You are not allowed to do this."))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return error_response(request, 413, "payload_too_large", _("The request body is too large."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # Body parsing errors arrive wrapped in HttpError(400); report our own reason instead.
    if isinstance(exc.__cause__, ApiError):
        return _api_error(request, exc.__cause__)
    if isinstance(exc.__cause__, RequestDataTooBig):
        return _too_big(request, exc.__cause__)
    code = {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        415: "unsupported_media_type",
        429: "too_many_requests",
    }.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, str(exc))


@api.exception_handler(IntegrityError)
def _conflict(request, exc):
    logger.warning("API request conflicted with stored data: %s", exc)
    return error_response(
        request, 409, "conflict", _("The request conflicts with data saved at the same time.")
    )


@api.exception_handler(DataError)
def _data_error(request, exc):
    logger.warning("API request had a value the database refused: %s", exc)
    return error_response(
        request, 422, "value_out_of_range", _("A value is too large or out of range.")
    )


@api.exception_handler(Exception)
def _server_error(request, exc):
    logger.exception("Unexpected error in API request %s %s", request.method, request.path)
    return error_response(request, 500, "server_error", _("Something went wrong on our side."))


# --- Pagination -----------------------------------------------------------------------------


def capped_count(qs: QuerySet) -> tuple[int, bool]:
    """Return the number of rows in ``qs`` up to ``COUNT_CAP`` and whether there are more."""
    total = qs.order_by()[: COUNT_CAP + 1].count()
    return min(total, COUNT_CAP), total > COUNT_CAP


def invalid_cursor() -> ApiError:
    return ApiError(
        400,
        "invalid_cursor",
        _("The cursor is not valid; use next_cursor from a previous page."),
        {"cursor": [{"code": "invalid_cursor", "message": _("Unknown cursor.")}]},
    )


def _encode(values: list[Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, qs: QuerySet, fields: tuple[str, ...]) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(fields):
            raise ValueError
        opts = qs.model._meta
        return [
            opts.get_field(f.lstrip("-")).to_python(v) for f, v in zip(fields, values, strict=True)
        ]
    except (ValueError, TypeError, ValidationError, UnicodeDecodeError):
        raise invalid_cursor() from None


def keyset_page(
    qs: QuerySet, order: tuple[str, ...], *, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """Return up to ``limit`` rows of ``qs`` in ``order`` after ``cursor``, and the next cursor.

    ``order`` must end with a unique field (the id) so that the order is total.
    """
    if cursor:
        values = _decode(cursor, qs, order)
        condition = Q()
        for i, field in enumerate(order):
            op = "lt" if field.startswith("-") else "gt"
            clause = Q(**{f"{field.lstrip('-')}__{op}": values[i]})
            for j in range(i):
                clause &= Q(**{order[j].lstrip("-"): values[j]})
            condition |= clause
        qs = qs.filter(condition)
    rows = list(qs.order_by(*order)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode([_cursor_value(getattr(last, f.lstrip("-"))) for f in order])
    return rows, next_cursor


def page_response(
    qs: QuerySet,
    order: tuple[str, ...],
    *,
    cursor: str | None,
    limit: int,
    serialize: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """Return one page of ``qs`` as the API's ``Page``: items, next cursor, capped total."""
    rows, next_cursor = keyset_page(qs, order, cursor=cursor, limit=limit)
    total, capped = capped_count(qs)
    return {
        "items": [serialize(row) for row in rows] if serialize else rows,
        "next_cursor": next_cursor,
        "total": total,
        "total_capped": capped,
    }


def _cursor_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


# --- Routers ---------------------------------------------------------------------------------

fallback_router = Router()


@fallback_router.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_endpoint(request, rest: str):
    """Answer any path the API does not have with a JSON 404."""
    raise Http404


def _register_routers() -> None:
    from rapport.commerce.api import router as commerce_router
    from rapport.customers.api import router as customers_router
    from rapport.helpdesk.api import router as helpdesk_router
    from rapport.loyalty.api import router as loyalty_router
    from rapport.reviews.api import router as reviews_router

    api.add_router("/", customers_router)
    api.add_router("/", commerce_router)
    api.add_router("/", helpdesk_router)
    api.add_router("/", reviews_router)
    api.add_router("/", loyalty_router)
    api.add_router("/", fallback_router)
