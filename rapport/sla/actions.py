"""Every change the SLA makes: the clock, warnings, breaches, escalation and customer notices.

The helpdesk core calls ``update_sla`` after every change of a conversation and
``acknowledge_conversation`` for a new inbound one; the periodic jobs in ``tasks.py`` call
``sweep_sla`` (warnings, breaches, escalation) and ``send_follow_ups``.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.customers.models import ContactKind, ContactPoint
from rapport.helpdesk.models import (
    Channel,
    Conversation,
    Direction,
    EventKind,
    Message,
    MessageKind,
    Status,
)
from rapport.sla.businesstime import ClosedCalendarError, Schedule
from rapport.sla.clock import read_clock
from rapport.sla.estimates import estimate_resolution
from rapport.sla.letters import (
    acknowledgement_text,
    breach_alert,
    customer_zone,
    delay_notice_text,
    follow_up_text,
)
from rapport.sla.models import BusinessCalendar, SlaClock, SlaPolicy, TeamCalendar

logger = logging.getLogger(__name__)

# Channels whose new conversations get an automatic acknowledgement. Not chat (an agent
# answers within minutes), not phone (the customer is on the line), not the API.
ACKNOWLEDGED_CHANNELS = frozenset({Channel.EMAIL, Channel.WEB, Channel.PORTAL, Channel.SOCIAL})
FOLLOW_UP_WINDOW = timedelta(days=7)  # older solves are not followed up any more
SWEEP_BATCH = 500
RETRY_AFTER_FAILURE = timedelta(minutes=10)  # a failing check must not block the queue

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
TARGET_LABELS = {
    FIRST_RESPONSE: gettext_noop("first response"),
    RESOLUTION: gettext_noop("resolution"),
}


# --- Calendars ---------------------------------------------------------------------------

_schedules: dict[int, tuple[datetime, Schedule]] = {}


def calendar_schedule(calendar: BusinessCalendar) -> Schedule:
    """Return the calendar's schedule, cached until its hours or holidays change."""
    cached = _schedules.get(calendar.pk)
    if cached and cached[0] == calendar.updated_at:
        return cached[1]
    schedule = calendar.to_schedule()
    _schedules[calendar.pk] = (calendar.updated_at, schedule)
    return schedule


def policy_calendar(policy: SlaPolicy, team_id: int | None) -> BusinessCalendar:
    """Return the calendar a conversation of ``team_id`` is measured in under ``policy``."""
    if policy.use_team_calendar and team_id:
        mapping = TeamCalendar.objects.filter(team_id=team_id).select_related("calendar").first()
        if mapping:
            return mapping.calendar
    return policy.calendar


def conversation_schedule(conversation: Conversation) -> Schedule | None:
    policy = conversation.sla_policy
    if policy is None:
        return None
    return calendar_schedule(policy_calendar(policy, conversation.team_id))


# --- Policies ----------------------------------------------------------------------------


def choose_policy(conversation: Conversation) -> SlaPolicy | None:
    """Return the first active policy, by position, whose conditions match ``conversation``."""
    policies = list(
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related("customer_tags", "teams")
        .order_by("position", "id")
    )
    if not policies:
        return None
    customer = conversation.customer
    tag_ids: set[int] = set()
    if any(policy.customer_tags.all() for policy in policies):
        tag_ids = set(customer.tags.values_list("pk", flat=True))
    tier_rank = None
    if any(policy.min_loyalty_rank is not None for policy in policies):
        # The one question SLA asks the loyalty app; imported here to keep the apps apart.
        from rapport.loyalty.queries import tier_rank_of

        tier_rank = tier_rank_of(customer)
    for policy in policies:
        if policy.matches(
            channel=conversation.channel,
            priority=conversation.priority,
            team_id=conversation.team_id,
            is_vip=customer.is_vip,
            tag_ids=tag_ids,
            tier_rank=tier_rank,
        ):
            return policy
    return None


def _matched_on(conversation: Conversation) -> dict[str, Any]:
    return {
        "channel": conversation.channel,
        "priority": conversation.priority,
        "team": conversation.team_id,
    }


# --- The clock ---------------------------------------------------------------------------

CLOCK_FIELDS = (
    "sla_policy_id",
    "first_response_due_at",
    "resolution_due_at",
    "sla_due_at",
    "sla_paused_at",
    "first_response_business_seconds",
    "resolution_business_seconds",
)


def update_sla(*, conversation: Conversation, now: datetime | None = None) -> None:
    """Recompute the policy and due times of ``conversation`` from its state and events.

    The policy is chosen again when none applies yet or channel, priority or team changed.
    Due times count business time from the creation; the clock stands still while the
    conversation is pending (waiting for the customer) or done. ``sla_due_at`` is the
    earliest unmet due time, null while paused or when everything is met.
    """
    now = now or timezone.now()
    with transaction.atomic():
        clock, _created = SlaClock.objects.get_or_create(conversation_id=conversation.pk)
        matched_on = _matched_on(conversation)
        policy = None
        if conversation.sla_policy_id:
            policy = (
                SlaPolicy.objects.select_related("calendar")
                .filter(pk=conversation.sla_policy_id)
                .first()
            )
        if policy is None or clock.matched_on != matched_on:
            policy = choose_policy(conversation)
        values: dict[str, Any] = dict.fromkeys(CLOCK_FIELDS)
        values["sla_policy_id"] = policy.pk if policy else None
        schedule = None
        if policy is not None:
            schedule = calendar_schedule(policy_calendar(policy, conversation.team_id))
            values.update(_reading(conversation, policy, schedule, now))
        if conversation.merged_into_id:
            values["sla_due_at"] = values["sla_paused_at"] = None
        changed = {
            name: value for name, value in values.items() if getattr(conversation, name) != value
        }
        if changed:
            Conversation.objects.filter(pk=conversation.pk).update(**changed)
            for name, value in changed.items():
                setattr(conversation, name, value)
            if "sla_policy_id" in changed:
                conversation.sla_policy = policy
        _update_clock(clock, conversation, policy, matched_on, changed, now)


def _reading(conversation, policy, schedule, now) -> dict[str, Any]:
    try:
        reading = read_clock(
            conversation=conversation,
            schedule=schedule,
            first_response_minutes=policy.first_response_minutes,
            resolution_minutes=policy.resolution_minutes,
            now=now,
        )
    except ClosedCalendarError:
        logger.warning("SLA calendar of policy %s has no opening hours", policy.pk)
        return {}
    done = conversation.status in (Status.SOLVED, Status.CLOSED)
    unmet = []
    if conversation.first_response_at is None and not done:
        unmet.append(reading.first_response_due_at)
    if not done:
        unmet.append(reading.resolution_due_at)
    paused = reading.paused_since is not None
    return {
        "first_response_due_at": reading.first_response_due_at,
        "resolution_due_at": reading.resolution_due_at,
        "sla_due_at": min(unmet) if unmet and not paused else None,
        "sla_paused_at": reading.paused_since,
        "first_response_business_seconds": reading.first_response_business_seconds,
        "resolution_business_seconds": reading.resolution_business_seconds,
    }


CLOCK_STATE = ("matched_on", "first_response_warned_at", "resolution_warned_at", "next_check_at")


def _update_clock(clock, conversation, policy, matched_on, changed, now) -> None:
    before = [getattr(clock, name) for name in CLOCK_STATE]
    if "first_response_due_at" in changed:
        clock.first_response_warned_at = None
    if "resolution_due_at" in changed:
        clock.resolution_warned_at = None
    clock.matched_on = matched_on
    # A target met after its due time between two sweeps is a breach all the same.
    if policy is not None:
        for target, due, met_at in _targets(conversation):
            if (
                met_at is not None
                and due is not None
                and met_at > due
                and getattr(clock, f"{target}_breached_at") is None
            ):
                _record_breach(conversation, clock, target, due, escalate=False, now=now)
    clock.next_check_at = _next_check(conversation, clock, policy)
    if [getattr(clock, name) for name in CLOCK_STATE] != before:
        clock.save(update_fields=CLOCK_STATE)


def _targets(conversation: Conversation):
    """Yield (target, due time, when it was met or None) for both targets."""
    done = conversation.status in (Status.SOLVED, Status.CLOSED)
    yield FIRST_RESPONSE, conversation.first_response_due_at, conversation.first_response_at
    yield (
        RESOLUTION,
        conversation.resolution_due_at,
        (conversation.solved_at or conversation.closed_at) if done else None,
    )


def _next_check(conversation, clock, policy) -> datetime | None:
    if policy is None or conversation.sla_due_at is None:
        return None  # no policy, paused, done or merged
    moments = []
    for target, due, met_at in _targets(conversation):
        if due is None or met_at is not None or getattr(clock, f"{target}_breached_at"):
            continue
        if policy.warning_minutes and getattr(clock, f"{target}_warned_at") is None:
            moments.append(due - timedelta(minutes=policy.warning_minutes))
        moments.append(due)
    return min(moments) if moments else None


# --- Warnings, breaches, escalation (the sweep) ------------------------------------------


def sweep_sla(*, now: datetime | None = None) -> int:
    """Send the warnings and record the breaches that are due; return how many clocks were checked.

    Safe to run on several workers at once: every warning and breach is claimed with a
    conditional UPDATE, so each happens once.
    """
    now = now or timezone.now()
    ids = list(
        SlaClock.objects.filter(next_check_at__lte=now)
        .order_by("next_check_at")
        .values_list("conversation_id", flat=True)[:SWEEP_BATCH]
    )
    for conversation_id in ids:
        try:
            check_conversation(conversation_id=conversation_id, now=now)
        except Exception:  # one broken conversation must not stop the sweep
            logger.exception("SLA check of conversation %s failed", conversation_id)
            SlaClock.objects.filter(pk=conversation_id).update(
                next_check_at=now + RETRY_AFTER_FAILURE
            )
    return len(ids)


def check_conversation(*, conversation_id: int, now: datetime | None = None) -> None:
    """Warn about or record the breach of each target of one conversation that is due."""
    now = now or timezone.now()
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_related("sla_policy", "team__lead", "customer")
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None:
            return
        clock, _created = SlaClock.objects.get_or_create(conversation_id=conversation_id)
        policy = conversation.sla_policy
        active = (
            policy is not None
            and conversation.sla_due_at is not None
            and conversation.merged_into_id is None
        )
        if active:
            for target, due, met_at in _targets(conversation):
                if due is None or met_at is not None:
                    continue
                if now >= due:
                    _record_breach(conversation, clock, target, due, escalate=True, now=now)
                elif policy.warning_minutes and now >= due - timedelta(
                    minutes=policy.warning_minutes
                ):
                    _record_warning(conversation, clock, target, due, now=now)
        conversation.refresh_from_db()
        update_sla(conversation=conversation, now=now)


def _claim(clock: SlaClock, column: str, now: datetime) -> bool:
    """Set ``column`` if it is still empty; return True for the one caller that did."""
    claimed = SlaClock.objects.filter(pk=clock.pk, **{f"{column}__isnull": True}).update(
        **{column: now}
    )
    if claimed:
        setattr(clock, column, now)
    return claimed == 1


def _record_warning(conversation, clock, target, due, *, now) -> None:
    from rapport.helpdesk.actions import record_conversation_event

    if not _claim(clock, f"{target}_warned_at", now):
        return
    record_conversation_event(
        conversation=conversation,
        kind=EventKind.SLA,
        data={
            "type": "warning",
            "target": target,
            "due_at": due.isoformat(),
            "minutes_left": max(0, round((due - now).total_seconds() / 60)),
        },
    )


def _record_breach(conversation, clock, target, due, *, escalate: bool, now) -> None:
    from rapport.helpdesk.actions import record_conversation_event

    if not _claim(clock, f"{target}_breached_at", now):
        return
    Conversation.objects.filter(pk=conversation.pk, sla_breached_at__isnull=True).update(
        sla_breached_at=due
    )
    if conversation.sla_breached_at is None:
        conversation.sla_breached_at = due
    record_conversation_event(
        conversation=conversation,
        kind=EventKind.SLA,
        data={
            "type": "breach",
            "target": target,
            "due_at": due.isoformat(),
            "policy": conversation.sla_policy_id,
        },
    )
    if escalate and conversation.sla_policy is not None:
        escalate_conversation(
            conversation=conversation, policy=conversation.sla_policy, target=target, due=due
        )


def escalate_conversation(
    *, conversation: Conversation, policy: SlaPolicy, target: str, due: datetime
) -> None:
    """Do what ``policy`` says on a breach: notify the team lead, raise priority, reassign."""
    from rapport.helpdesk import actions as helpdesk

    if policy.escalate_notify_lead:
        lead = conversation.team.lead if conversation.team else None
        if lead is not None and lead.is_active and lead.email:
            subject, text = breach_alert(
                conversation, target_label=TARGET_LABELS[target], due_at=due, lead=lead
            )
            address = lead.email
            transaction.on_commit(
                lambda: send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
            )
            helpdesk.record_conversation_event(
                conversation=conversation,
                kind=EventKind.ESCALATED,
                data={"action": "notified_lead", "target": target, "user": lead.pk},
            )
    if policy.escalate_raise_priority:
        before = conversation.priority
        helpdesk.raise_priority(conversation=conversation, actor=None)
        if conversation.priority != before:
            helpdesk.record_conversation_event(
                conversation=conversation,
                kind=EventKind.ESCALATED,
                data={"action": "raised_priority", "target": target, "to": conversation.priority},
            )
    if policy.escalate_to_team_id and conversation.team_id != policy.escalate_to_team_id:
        helpdesk.set_team(
            conversation=conversation,
            actor=None,
            team=policy.escalate_to_team,
            reason="sla_breach",
        )
        helpdesk.record_conversation_event(
            conversation=conversation,
            kind=EventKind.ESCALATED,
            data={"action": "moved_to_team", "target": target, "team": policy.escalate_to_team_id},
        )
    user = policy.escalate_to_user
    if user is not None and user.is_staff_member and conversation.assignee_id != user.pk:
        helpdesk.assign_conversation(
            conversation=conversation, actor=None, assignee=user, reason="sla_breach"
        )
        helpdesk.record_conversation_event(
            conversation=conversation,
            kind=EventKind.ESCALATED,
            data={"action": "assigned", "target": target, "user": user.pk},
        )


# --- What we tell the customer -----------------------------------------------------------


def _has_contact(customer, kind: str) -> bool:
    return ContactPoint.objects.filter(customer=customer, kind=kind).exists()


def customer_channel(conversation: Conversation) -> str | None:
    """Return the channel an automatic message reaches the customer on, or None if none does."""
    from rapport.helpdesk.actions import reply_channel

    customer = conversation.customer
    channel = reply_channel(conversation)
    if channel == Channel.PORTAL and customer.portal_user_id:
        return Channel.PORTAL
    if channel == Channel.SOCIAL and _has_contact(customer, ContactKind.SOCIAL):
        return Channel.SOCIAL
    # Email, and chat or portal conversations the customer has left: write by email.
    if _has_contact(customer, ContactKind.EMAIL):
        return Channel.EMAIL
    return None


def _is_own_address(address: str) -> bool:
    address = (address or "").strip().lower()
    return bool(address) and address in {
        a.strip().lower() for a in settings.HELPDESK_SUPPORT_ADDRESSES
    }


def acknowledge_conversation(*, conversation: Conversation, message: Message) -> Message | None:
    """Acknowledge a new inbound conversation with its number and estimated resolution time.

    Only for email, web form, portal and social; never for automatic mail or mail from our
    own addresses, never when the customer cannot be reached. Stores
    ``estimated_resolution_at`` and returns the acknowledgement (None when none was sent).
    """
    from rapport.helpdesk.actions import record_conversation_event, send_reply

    if conversation.channel not in ACKNOWLEDGED_CHANNELS:
        return None
    if message.direction != Direction.INBOUND or message.kind != MessageKind.NORMAL:
        return None
    if _is_own_address(message.sender_address):
        return None
    if (message.data.get("social") or {}).get("public"):
        # A public social mention is answered by a person, never by an automatic reply that
        # the whole network would read.
        return None
    channel = customer_channel(conversation)
    if channel is None:
        return None
    now = timezone.now()
    schedule = conversation_schedule(conversation)
    estimate = None
    if schedule is not None:
        estimated = estimate_resolution(conversation=conversation, schedule=schedule, now=now)
        estimate = estimated.at if estimated else None
    zone = customer_zone(conversation.customer, schedule.tz if schedule else None)
    with transaction.atomic():
        if estimate is not None:
            Conversation.objects.filter(pk=conversation.pk).update(estimated_resolution_at=estimate)
            conversation.estimated_resolution_at = estimate
        reply = send_reply(
            conversation=conversation,
            author=None,
            body_text=acknowledgement_text(conversation, estimate=estimate, zone=zone),
            channel=channel,
            kind=MessageKind.SYSTEM,
            data={"sla": "acknowledgement"},
        )
        record_conversation_event(
            conversation=conversation,
            kind=EventKind.NOTIFIED,
            message=reply,
            data={
                "type": "acknowledgement",
                "estimated_resolution_at": estimate.isoformat() if estimate else None,
            },
        )
    return reply


def send_delay_notice(
    *,
    conversation: Conversation,
    actor,
    reason: str,
    new_estimate: datetime | None = None,
) -> Message:
    """Tell the customer that their request takes longer, with the reason the agent gives.

    ``new_estimate`` (optional, in the future) becomes the promised resolution time.
    """
    from rapport.helpdesk.actions import HelpdeskError, record_conversation_event, send_reply

    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [_("Tell the customer why it takes longer.")]})
    if len(reason) > 1000:
        raise ValidationError({"reason": [_("Keep the reason under 1000 characters.")]})
    now = timezone.now()
    if new_estimate is not None:
        if timezone.is_naive(new_estimate):
            raise ValidationError({"new_estimate": [_("Enter a date and time.")]})
        if new_estimate <= now:
            raise ValidationError({"new_estimate": [_("The new estimate must be in the future.")]})
    if conversation.is_done or conversation.merged_into_id:
        raise HelpdeskError("done", _("This conversation is already solved."))
    channel = customer_channel(conversation)
    if channel is None:
        raise HelpdeskError("unreachable", _("The customer has no channel we can write to."))
    schedule = conversation_schedule(conversation)
    zone = customer_zone(conversation.customer, schedule.tz if schedule else None)
    with transaction.atomic():
        if new_estimate is not None:
            Conversation.objects.filter(pk=conversation.pk).update(
                estimated_resolution_at=new_estimate
            )
            conversation.estimated_resolution_at = new_estimate
        reply = send_reply(
            conversation=conversation,
            author=None,
            body_text=delay_notice_text(
                conversation, reason=reason, estimate=new_estimate, zone=zone
            ),
            channel=channel,
            kind=MessageKind.SYSTEM,
            data={"sla": "delay_notice", "requested_by": getattr(actor, "pk", None)},
        )
        record_conversation_event(
            conversation=conversation,
            kind=EventKind.NOTIFIED,
            actor=actor,
            message=reply,
            data={
                "type": "delay_notice",
                "reason": reason,
                "estimated_resolution_at": new_estimate.isoformat() if new_estimate else None,
            },
        )
    return reply


def follow_up_hours() -> int:
    return int(getattr(settings, "SLA_FOLLOW_UP_HOURS", 48))


def send_follow_ups(*, now: datetime | None = None) -> int:
    """Send "did this solve it?" to conversations solved ``SLA_FOLLOW_UP_HOURS`` ago; return how many."""
    hours = follow_up_hours()
    if hours <= 0:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(hours=hours)
    done_for_this_solve = SlaClock.objects.filter(
        conversation=OuterRef("pk"), follow_up_for=OuterRef("solved_at")
    )
    ids = list(
        Conversation.objects.filter(
            status=Status.SOLVED,
            merged_into__isnull=True,
            solved_at__lte=cutoff,
            solved_at__gt=cutoff - FOLLOW_UP_WINDOW,
        )
        .exclude(Exists(done_for_this_solve))
        .order_by("solved_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    sent = 0
    for conversation_id in ids:
        try:
            sent += send_follow_up(conversation_id=conversation_id, now=now) is not None
        except Exception:
            logger.exception("follow-up of conversation %s failed", conversation_id)
    return sent


def send_follow_up(*, conversation_id: int, now: datetime | None = None) -> Message | None:
    """Send the follow-up of one solved conversation, once per solve; None if not sent."""
    from rapport.helpdesk.actions import record_conversation_event, send_reply

    now = now or timezone.now()
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_related("customer").filter(pk=conversation_id).first()
        )
        if (
            conversation is None
            or conversation.status != Status.SOLVED
            or conversation.merged_into_id
            or conversation.solved_at is None
            or conversation.solved_at > now - timedelta(hours=follow_up_hours())
        ):
            return None
        SlaClock.objects.get_or_create(conversation_id=conversation_id)
        claimed = (
            SlaClock.objects.filter(conversation_id=conversation_id)
            .filter(Q(follow_up_for__isnull=True) | ~Q(follow_up_for=conversation.solved_at))
            .update(follow_up_for=conversation.solved_at)
        )
        if not claimed:
            return None
        channel = customer_channel(conversation)
        if channel is None:
            return None
        reply = send_reply(
            conversation=conversation,
            author=None,
            body_text=follow_up_text(conversation),
            channel=channel,
            kind=MessageKind.SYSTEM,
            data={"sla": "follow_up"},
        )
        record_conversation_event(
            conversation=conversation,
            kind=EventKind.NOTIFIED,
            message=reply,
            data={"type": "follow_up", "solved_at": conversation.solved_at.isoformat()},
        )
    return reply
