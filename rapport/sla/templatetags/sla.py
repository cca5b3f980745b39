"""Template tags of the SLA panel: ``{% sla_status conversation as sla %}``."""

from django import template
from django.utils.translation import gettext as _

from rapport.helpdesk.models import Channel, Priority
from rapport.sla.forms import DelayNoticeForm
from rapport.sla.queries import sla_status as read_sla_status

register = template.Library()


@register.simple_tag(takes_context=True)
def sla_status(context, conversation):
    """Return the conversation's SLA clock for the viewer, with the delay-notice form."""
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    status = read_sla_status(conversation, user)
    status.form = context.get("sla_form") or DelayNoticeForm()
    return status


@register.filter
def business_duration(minutes) -> str:
    """Return business minutes as "30 h", "4 h 30 min" or "2 min" (never days: those vary)."""
    try:
        hours, rest = divmod(int(minutes), 60)
    except (TypeError, ValueError):
        return ""
    if hours and rest:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": rest}


@register.filter
def channel_labels(values) -> str:
    labels = dict(Channel.choices)
    return ", ".join(str(labels.get(v, v)) for v in values or ())


@register.filter
def priority_labels(values) -> str:
    labels = dict(Priority.choices)
    return ", ".join(str(labels.get(v, v)) for v in values or ())
