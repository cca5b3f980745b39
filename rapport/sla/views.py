"""SLA pages: the delay notice an agent sends, and the read-only service-level overview."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rapport.helpdesk.actions import HelpdeskError
from rapport.helpdesk.models import Conversation
from rapport.helpdesk.queries import get_conversation
from rapport.sla.actions import send_delay_notice
from rapport.sla.forms import DelayNoticeForm
from rapport.sla.models import Weekday
from rapport.sla.queries import (
    can_send_delay_notice,
    can_view_service_levels,
    service_levels_overview,
)


@login_required
@require_POST
def delay_notice(request, conversation_id: int):
    """Send the customer a status update with the reason the agent gives."""
    if not can_send_delay_notice(request.user):
        raise PermissionDenied
    try:
        conversation = get_conversation(request.user, conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None
    form = DelayNoticeForm(request.POST)
    sent = False
    if form.is_valid():
        try:
            send_delay_notice(
                conversation=conversation,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                new_estimate=form.cleaned_data["new_estimate"],
            )
            sent = True
        except ValidationError as exc:
            form.add_error(None, exc)
        except HelpdeskError as exc:
            form.add_error(None, exc.message)
    if request.htmx:
        conversation.refresh_from_db()
        context = {"conversation": conversation, "sla_form": None if sent else form}
        if sent:
            context["sla_notice_sent"] = True
        return render(request, "sla/_panel.html", context)
    if sent:
        messages.success(request, _("The delay notice was sent to the customer."))
    else:
        errors = [str(e) for errs in form.errors.values() for e in errs]
        messages.error(request, " ".join(errors) or _("The delay notice was not sent."))
    return redirect("helpdesk:conversation", conversation.pk)


@login_required
@require_GET
def service_levels(request):
    """Show the SLA policies, business calendars and holidays (read-only, for managers)."""
    if not can_view_service_levels(request.user):
        raise PermissionDenied
    overview = service_levels_overview()
    return render(
        request,
        "sla/service_levels.html",
        {"overview": overview, "weekdays": Weekday.choices, "nav": "service_levels"},
    )
