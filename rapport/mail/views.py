"""Mail pages: the inbound webhook for mail providers, and the received-email queue for admins."""

import hmac

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rapport.accounts.access import staff_required
from rapport.accounts.models import Role
from rapport.mail import actions
from rapport.mail.models import InboundEmail, InboundSource, InboundStatus

RECENT_SHOWN = 50


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@csrf_exempt
@require_POST
def inbound_webhook(request):
    """Accept one raw RFC 822 message from a mail provider; store it, then process in the background."""
    token = getattr(settings, "MAIL_INBOUND_TOKEN", "")
    if not token:
        return _json_error("disabled", _("The inbound mail endpoint is not enabled."), 404)
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not hmac.compare_digest(
        given[7:].strip().encode(), token.encode()
    ):
        return _json_error("unauthorized", _("A valid bearer token is required."), 401)
    limit = settings.HELPDESK_MAX_MESSAGE_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _json_error("too_large", _("The message is larger than the limit."), 413)
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return _json_error("too_large", _("The message is larger than the limit."), 413)
    if not raw.strip():
        return _json_error("empty", _("The request body must be a raw email message."), 400)
    from rapport.mail.tasks import process_inbound_task

    with transaction.atomic():
        inbound = actions.store_inbound(raw, source=InboundSource.WEBHOOK)
        if inbound.status == InboundStatus.RECEIVED:
            transaction.on_commit(lambda: process_inbound_task(inbound.pk))
    return JsonResponse({"id": inbound.pk, "status": inbound.status}, status=202)


def _require_mail_admin(user) -> None:
    if not (user.is_superuser or user.role in (Role.ADMIN, Role.MANAGER)):
        raise PermissionDenied


@staff_required
def received_list(request):
    """List failed and quarantined email with reasons, and the most recent received email."""
    _require_mail_admin(request.user)
    problems = actions.failed_or_quarantined().select_related("mailbox").order_by("-received_at")
    recent = InboundEmail.objects.select_related("mailbox").order_by("-received_at", "-id")
    return render(
        request,
        "mail/received.html",
        {
            "problems": problems[:200],
            "problem_count": problems.count(),
            "recent": recent[:RECENT_SHOWN],
            "nav": "mail",
        },
    )


@staff_required
def download_raw(request, inbound_id: int):
    """Download one received email exactly as it arrived."""
    _require_mail_admin(request.user)
    inbound = get_object_or_404(InboundEmail, pk=inbound_id)
    try:
        handle = inbound.raw.open("rb")
    except (FileNotFoundError, ValueError):
        return HttpResponse(_("The stored file is missing."), status=404, content_type="text/plain")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"email-{inbound.pk}.eml",
        content_type="message/rfc822",
    )


@staff_required
@require_POST
def replay(request, inbound_id: int):
    """Process a failed or quarantined email again."""
    _require_mail_admin(request.user)
    inbound = get_object_or_404(InboundEmail, pk=inbound_id)
    inbound = actions.replay_inbound(inbound=inbound)
    if inbound.status in (InboundStatus.PROCESSED, InboundStatus.DUPLICATE):
        messages.success(request, _("The email was processed."))
    else:
        messages.error(
            request, _("The email could not be processed: %(reason)s") % {"reason": inbound.reason}
        )
    return redirect("mail:quarantine")
