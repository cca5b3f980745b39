"""Template helpers of the helpdesk pages: channel icons, event and routing texts, the 360 section."""

from django import template
from django.utils.translation import gettext as _

from rapport.helpdesk.models import Channel, EventKind, Priority, Status
from rapport.helpdesk.queries import customer_conversations

register = template.Library()

# Symbols from the Basic Multilingual Plane that common system fonts carry (no emoji font needed).
CHANNEL_ICONS = {
    Channel.EMAIL: "✉",
    Channel.CHAT: "💬",
    Channel.PHONE: "☎",
    Channel.SOCIAL: "＠",
    Channel.WEB: "▭",
    Channel.PORTAL: "⌂",
    Channel.API: "⚙",
}


@register.filter
def channel_icon(channel: str) -> str:
    return CHANNEL_ICONS.get(channel, "•")


@register.filter
def channel_label(channel: str) -> str:
    return _label(Channel, channel)


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "—")


def _name(value) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("id") or "—")
    return "—" if value in (None, "") else str(value)


@register.simple_tag
def event_summary(event) -> str:
    """Return what the event changed, in the reader's language ("Open → Solved")."""
    data = event.data or {}
    kind = event.kind
    if kind in (EventKind.STATUS, EventKind.REOPENED):
        return f"{_label(Status, data.get('from'))} → {_label(Status, data.get('to'))}"
    if kind == EventKind.PRIORITY:
        return f"{_label(Priority, data.get('from'))} → {_label(Priority, data.get('to'))}"
    if kind in (EventKind.ASSIGNEE, EventKind.TEAM):
        return f"{_name(data.get('from'))} → {_name(data.get('to'))}"
    if kind == EventKind.TAGS:
        return ", ".join(data.get("to") or []) or "—"
    if kind == EventKind.CHANNEL:
        return f"{_label(Channel, data.get('from'))} → {_label(Channel, data.get('to'))}"
    if kind == EventKind.SUBJECT:
        return str(data.get("to") or "")
    if kind == EventKind.MERGED:
        if data.get("into"):
            return _("merged into #%(id)s") % {"id": data["into"]}
        return _("#%(id)s merged into this one") % {"id": data.get("from")}
    if kind == EventKind.SPLIT:
        if data.get("into"):
            return _("messages moved to #%(id)s") % {"id": data["into"]}
        return _("split off from #%(id)s") % {"id": data.get("from")}
    if kind in (EventKind.LINKED, EventKind.UNLINKED):
        return f"#{data.get('to')}"
    if kind == EventKind.THREADED:
        return threading_reason(data)
    if kind == EventKind.ROUTED:
        return "; ".join(routing_reason(r) for r in data.get("reasons", []))
    if kind == EventKind.CREATED:
        return _label(Channel, data.get("channel"))
    if kind == EventKind.MESSAGE and data.get("note"):
        return _("internal note")
    text = data.get("reason") or data.get("text") or ""
    return str(text)


@register.filter
def threading_reason(data) -> str:
    """Return why a message joined its conversation ("References header matched <…>")."""
    data = data or {}
    reason = str(data.get("reason") or "")
    matched = data.get("matched")
    if matched:
        return _("%(reason)s (matched: %(matched)s)") % {"reason": reason, "matched": matched}
    return reason


def routing_reason(reason: dict) -> str:
    """Return one routing reason for people ("rule Billing matched keyword 'Rechnung'")."""
    code = reason.get("code")
    if code == "language":
        lang = reason.get("language") or "?"
        source = reason.get("source")
        if source == "customer":
            return _("language %(lang)s from the customer's profile") % {"lang": lang}
        if source == "detected":
            return _("language %(lang)s detected from the text") % {"lang": lang}
        if source == "channel":
            return _("language %(lang)s given by the channel") % {"lang": lang}
        return _("language unknown")
    if code == "rule":
        if reason.get("keyword"):
            return _("rule “%(rule)s” matched keyword “%(keyword)s”") % {
                "rule": reason.get("rule"),
                "keyword": reason["keyword"],
            }
        return _("rule “%(rule)s” matched") % {"rule": reason.get("rule")}
    if code == "vip_account_manager":
        return _("VIP → account manager %(agent)s") % {"agent": reason.get("agent")}
    if code == "rule_account_manager":
        return _("rule “%(rule)s” → account manager %(agent)s") % {
            "rule": reason.get("rule"),
            "agent": reason.get("agent"),
        }
    if code == "least_loaded":
        return _("least loaded among %(lang)s speakers: %(agent)s") % {
            "lang": reason.get("language") or _("all"),
            "agent": reason.get("agent"),
        }
    if code == "round_robin":
        return _("round robin among %(lang)s speakers: %(agent)s") % {
            "lang": reason.get("language") or _("all"),
            "agent": reason.get("agent"),
        }
    if code == "nobody_available":
        return _("nobody available who speaks %(lang)s: waits in the team queue") % {
            "lang": reason.get("language") or _("the language")
        }
    if code == "manual":
        return _("the team assigns by hand")
    if code == "already_assigned":
        return _("already assigned")
    if code == "no_team":
        return _("no rule matched: stays in the general queue")
    return str(code)


@register.inclusion_tag("helpdesk/_customer_conversations.html", takes_context=True)
def customer_conversations_section(context, customer):
    """Render the customer's recent conversations that the viewer may see (customer 360 page)."""
    user = context.get("user")
    from rapport.helpdesk.views.access import can_use_helpdesk

    allowed = can_use_helpdesk(user)
    return {
        "customer": customer,
        "allowed": allowed,
        "conversations": customer_conversations(user, customer) if allowed else [],
    }


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def duration(seconds) -> str:
    """Return seconds as "m:ss" (or "h:mm:ss")."""
    try:
        seconds = max(0, int(seconds or 0))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def call_outcome(value) -> str:
    from rapport.helpdesk.models import CallOutcome

    return _label(CallOutcome, value)


@register.filter
def call_direction(value) -> str:
    from rapport.helpdesk.models import CallDirection

    return _label(CallDirection, value)
