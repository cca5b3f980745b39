"""The REST API under /api/v1: one NinjaAPI, with a router from each domain app.

Errors are always JSON of the form::

    {"error": {"code": "validation_error", "message": "...", "fields": {"email": [{"code": "...", "message": "..."}]}}}
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from rapport.accounts.queries import user_for_token


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


api = NinjaAPI(
    title="Rapport API",
    version="1",
    description="REST API of Rapport. Authenticate with `Authorization: Bearer TOKEN`.",
    auth=BearerToken(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


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
    malformed = False
    for error in exc.errors:
        loc = [
            str(p) for p in error.get("loc", ()) if p not in ("body", "payload", "query", "path")
        ]
        if error.get("type") == "json_invalid" or "JSON" in str(error.get("msg", "")) and not loc:
            malformed = True
        name = ".".join(loc) or "__all__"
        code = {"extra_forbidden": "unknown_field", "missing": "required"}.get(
            error.get("type", ""), error.get("type", "invalid")
        )
        fields.setdefault(name, []).append({"code": code, "message": error.get("msg", "")})
    if malformed:
        return error_response(
            request, 400, "malformed_json", _("The request body is not valid JSON.")
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


def _register_routers() -> None:
    from rapport.commerce.api import router as commerce_router
    from rapport.customers.api import router as customers_router

    api.add_router("/", customers_router)
    api.add_router("/", commerce_router)


_register_routers()
