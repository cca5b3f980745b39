"""Reads of the SLA: a conversation's clock for its page, and the service-level overview."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Role
from rapport.helpdesk.models import (
    ACTIVE_STATUSES,
    Conversation,
    ConversationEvent,
    EventKind,
    Status,
)
from rapport.sla.models import BusinessCalendar, BusinessHours, Holiday, SlaPolicy, TeamCalendar

# A resolution due within this many minutes counts as "will be missed" for the delay notice.
AT_RISK_MINUTES = 120
# After a delay notice the panel stops prompting for another one for this long.
NOTICE_QUIET_HOURS = 24


class TargetState:
    MET = "met"
    MET_LATE = "met_late"
    RUNNING = "running"
    WARNING = "warning"
    BREACHED = "breached"
    PAUSED = "paused"


@dataclass
class TargetStatus:
    key: str
    label: str
    due_at: datetime | None
    met_at: datetime | None
    state: str
    relative: str = ""


@dataclass
class SlaStatus:
    conversation: Conversation
    policy: SlaPolicy | None
    targets: list[TargetStatus] = field(default_factory=list)
    paused_since: datetime | None = None
    breached_at: datetime | None = None
    estimated_resolution_at: datetime | None = None
    estimate_passed: bool = False
    at_risk: bool = False
    can_send_notice: bool = False
    last_notice_at: datetime | None = None
    # At risk and nobody has told the customer within NOTICE_QUIET_HOURS: prompt the agent.
    notice_due: bool = False


def duration_text(seconds: float) -> str:
    """Return "2 d 3 h", "3 h 20 min" or "12 min" for a span of time."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


def relative_text(moment: datetime, now: datetime) -> str:
    """Return "in 3 h 20 min" or "3 h 20 min ago"."""
    seconds = (moment - now).total_seconds()
    if seconds >= 0:
        return _("in %(duration)s") % {"duration": duration_text(seconds)}
    return _("%(duration)s ago") % {"duration": duration_text(seconds)}


def can_send_delay_notice(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role in (Role.ADMIN, Role.MANAGER, Role.AGENT)
    )


def sla_status(conversation: Conversation, user=None, now: datetime | None = None) -> SlaStatus:
    """Return the SLA clock of ``conversation`` as the conversation page shows it.

    ``conversation`` must already have been loaded through a permission-checked query.
    """
    now = now or timezone.now()
    policy = conversation.sla_policy if conversation.sla_policy_id else None
    status = SlaStatus(
        conversation=conversation,
        policy=policy,
        paused_since=conversation.sla_paused_at,
        breached_at=conversation.sla_breached_at,
        estimated_resolution_at=conversation.estimated_resolution_at,
    )
    if policy is None:
        return status
    done = conversation.status in (Status.SOLVED, Status.CLOSED)
    warning = timedelta(minutes=policy.warning_minutes)
    rows = [
        ("first_response", _("First response"), conversation.first_response_due_at,
         conversation.first_response_at),
        ("resolution", _("Resolution"), conversation.resolution_due_at,
         (conversation.solved_at or conversation.closed_at) if done else None),
    ]  # fmt: skip
    for key, label, due, met_at in rows:
        if due is None:
            continue
        if met_at is not None:
            state = TargetState.MET if met_at <= due else TargetState.MET_LATE
            relative = ""
        elif done:
            continue  # solved without that target being met: nothing to show
        elif conversation.sla_paused_at:
            state, relative = TargetState.PAUSED, ""
        else:
            if due <= now:
                state = TargetState.BREACHED
            elif due - warning <= now:
                state = TargetState.WARNING
            else:
                state = TargetState.RUNNING
            relative = relative_text(due, now)
        status.targets.append(TargetStatus(key, label, due, met_at, state, relative))
    estimate = conversation.estimated_resolution_at
    status.estimate_passed = bool(estimate and estimate <= now and not done)
    resolution_due = conversation.resolution_due_at
    status.at_risk = not done and (
        status.estimate_passed
        or bool(resolution_due and resolution_due <= now + timedelta(minutes=AT_RISK_MINUTES))
    )
    status.can_send_notice = (
        not done and conversation.merged_into_id is None and can_send_delay_notice(user)
    )
    if status.can_send_notice:
        status.last_notice_at = (
            ConversationEvent.objects.filter(
                conversation=conversation, kind=EventKind.NOTIFIED, data__type="delay_notice"
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        status.notice_due = status.at_risk and (
            status.last_notice_at is None
            or status.last_notice_at < now - timedelta(hours=NOTICE_QUIET_HOURS)
        )
    return status


@dataclass
class Overview:
    policies: list[SlaPolicy]
    calendars: list[BusinessCalendar]
    team_calendars: list[TeamCalendar]
    upcoming_holidays: dict[int, list[Holiday]]


def can_view_service_levels(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role in (Role.ADMIN, Role.MANAGER)
    )


def service_levels_overview(now: datetime | None = None) -> Overview:
    """Return what the "Service levels" page shows: policies, calendars and current load."""
    now = now or timezone.now()
    policies = list(
        SlaPolicy.objects.select_related("calendar", "escalate_to_team", "escalate_to_user")
        .prefetch_related("customer_tags", "teams")
        .order_by("position", "id")
    )
    today = timezone.localdate(now)
    calendars = list(
        BusinessCalendar.objects.prefetch_related(
            Prefetch("hours", queryset=BusinessHours.objects.order_by("weekday", "opens_at"))
        )
    )
    upcoming: dict[int, list[Holiday]] = {}
    for holiday in Holiday.objects.filter(date__gte=today).order_by("date")[:200]:
        upcoming.setdefault(holiday.calendar_id, [])
        if len(upcoming[holiday.calendar_id]) < 6:
            upcoming[holiday.calendar_id].append(holiday)
    counts = (
        Conversation.objects.filter(status__in=ACTIVE_STATUSES, sla_policy__isnull=False)
        .values("sla_policy")
        .annotate(
            open=Count("id"),
            breached=Count("id", filter=Q(sla_due_at__lte=now)),
        )
    )
    by_policy = {row["sla_policy"]: row for row in counts}
    for policy in policies:
        row = by_policy.get(policy.pk, {})
        policy.open_count = row.get("open", 0)
        policy.overdue_count = row.get("breached", 0)
    return Overview(
        policies=policies,
        calendars=calendars,
        team_calendars=list(TeamCalendar.objects.select_related("team", "calendar")),
        upcoming_holidays=upcoming,
    )
