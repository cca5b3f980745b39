"""The signed ingest endpoint for social mentions and direct messages."""

import json
import logging

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from pydantic import ValidationError as SchemaError

from rapport.api import schema_error
from rapport.social.actions import ingest_social_message
from rapport.social.models import SocialSource
from rapport.social.schemas import SocialItem
from rapport.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024


def _error(status: int, code: str, message: str, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


@csrf_exempt  # machines post here; the HMAC signature is the authentication
@require_POST
def ingest(request, slug: str):
    source = SocialSource.objects.filter(slug=slug, is_active=True).first()
    if source is None:
        return _error(404, "not_found", _("Not found."))
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        return _error(413, "payload_too_large", _("The request body is too large."))
    body = request.body
    problem = verify(
        source.signing_secret,
        timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
        signature=request.headers.get(SIGNATURE_HEADER, ""),
        body=body,
    )
    if problem:
        logger.warning("social ingest %s refused: %s", slug, problem)
        return _error(
            401,
            problem,
            _("Sign the request with the source's secret: %(header)s and a current %(ts)s.")
            % {"header": SIGNATURE_HEADER, "ts": TIMESTAMP_HEADER},
        )
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return _error(400, "malformed_json", _("The request body is not valid JSON."))
    if not isinstance(data, dict):
        return _error(400, "invalid_body", _("The request body must be a JSON object."))
    try:
        item = SocialItem.model_validate(data)
    except SchemaError as exc:
        return _error(422, "validation_error", _("Some fields are not valid."), _schema_fields(exc))
    if item.network and item.network != source.network:
        return _error(
            422,
            "validation_error",
            _("Some fields are not valid."),
            {
                "network": [
                    {"code": "wrong_network", "message": _("This source is for another network.")}
                ]
            },
        )
    try:
        received = ingest_social_message(source=source, item=item)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        return _error(
            422,
            "validation_error",
            _("Some fields are not valid."),
            {"author.handle": [{"code": "invalid_handle", "message": message}]},
        )
    conversation = received.message.conversation
    return JsonResponse(
        {
            "created": received.created,
            "message_id": received.message.pk,
            "conversation_id": conversation.pk,
            "conversation_number": conversation.number,
        },
        status=201 if received.created else 200,
    )


def _schema_fields(exc: SchemaError) -> dict:
    fields: dict[str, list[dict[str, str]]] = {}
    for error in exc.errors():
        name = ".".join(str(p) for p in error.get("loc", ())) or "__all__"
        code, message = schema_error(error)
        fields.setdefault(name, []).append({"code": code, "message": message})
    return fields
