"""Create, edit and close improvement initiatives.

Every function checks that the actor may manage initiatives (managers and administrators) and
raises ``ValidationError`` naming each bad field before anything is written.
"""

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Team, User
from rapport.helpdesk.models import Channel
from rapport.improvement.models import (
    CLOSED_STATUSES,
    Direction,
    Initiative,
    InitiativeStatus,
    default_direction,
)
from rapport.improvement.queries import can_manage_initiatives
from rapport.metrics.queries import KPIS, MetricsError, clean_filters

TEXT_LIMITS = {"title": 200, "problem": 10_000, "hypothesis": 10_000, "action": 10_000}
MAX_WINDOW_DAYS = 365


@dataclass(frozen=True, kw_only=True)
class InitiativeFields:
    """The fields a manager sets on an initiative, as the create and update actions take them.

    Constructing it is what checks the keyword arguments: a missing or unknown field raises
    ``TypeError`` as a wrong call would.
    """

    title: str
    problem: str
    hypothesis: str
    action: str
    owner: User | None
    kpi: str
    start_date: date
    end_date: date | None = None
    direction: str = ""
    filters: dict[str, Any] | None = None
    window_days: int | None = None
    status: str = InitiativeStatus.PLANNED


def create_initiative(*, actor: User, **arguments: Any) -> Initiative:
    """Create an initiative from ``InitiativeFields``; empty ``direction`` takes the KPI's usual."""
    given = InitiativeFields(**arguments)
    _require_manager(actor)
    values = _checked(given)
    with transaction.atomic():
        initiative = Initiative(created_by=actor, **values)
        _stamp_closed(initiative)
        initiative.save()
    return initiative


def update_initiative(*, actor: User, initiative: Initiative, **arguments: Any) -> Initiative:
    """Replace every ``InitiativeFields`` field of ``initiative``; back to running reopens it."""
    given = InitiativeFields(**arguments)
    _require_manager(actor)
    values = _checked(given)
    with transaction.atomic():
        locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
        for name, value in values.items():
            setattr(locked, name, value)
        _stamp_closed(locked)
        locked.save()
    return locked


def close_initiative(
    *,
    actor: User,
    initiative: Initiative,
    status: str = InitiativeStatus.DONE,
    end_date: date | None = None,
) -> Initiative:
    """Mark ``initiative`` done or abandoned; the end date defaults to today.

    An initiative abandoned before its start ends on its start date, so the end never lies
    before the start.
    """
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    if status not in CLOSED_STATUSES:
        errors["status"] = [_("An initiative is closed as done or abandoned.")]
    if end_date is not None and not isinstance(end_date, date):
        errors["end_date"] = [_("Enter a valid date.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
        if locked.is_closed:
            raise ValidationError({"status": [_("This initiative is already closed.")]})
        if end_date is None:
            end_date = max(timezone.localdate(), locked.start_date)
        if end_date < locked.start_date:
            raise ValidationError({"end_date": [_("The end date lies before the start date.")]})
        locked.status = status
        locked.end_date = end_date
        _stamp_closed(locked)
        locked.save()
    return locked


def _require_manager(actor: User) -> None:
    if not can_manage_initiatives(actor):
        raise PermissionDenied(_("Only managers and administrators may change initiatives."))


def _stamp_closed(initiative: Initiative) -> None:
    """Set ``closed_at`` when the status closes the initiative, clear it when it reopens."""
    if initiative.status in CLOSED_STATUSES:
        initiative.closed_at = initiative.closed_at or timezone.now()
    else:
        initiative.closed_at = None


def _checked(given: InitiativeFields) -> dict[str, Any]:
    """Return the fields cleaned, or raise ``ValidationError`` naming every bad one."""
    # Not dataclasses.asdict: it would deep-copy the owner and the slice.
    values = {field.name: getattr(given, field.name) for field in fields(given)}
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, limit in TEXT_LIMITS.items():
        text = values[name]
        text = text.strip() if isinstance(text, str) else ""
        values[name] = text
        if not text:
            fail(name, _("This field is required."))
        elif len(text) > limit:
            fail(name, _("Use at most %(limit)d characters.") % {"limit": limit})

    owner = values["owner"]
    if owner is None:
        fail("owner", _("Choose the person who owns the initiative."))
    elif not getattr(owner, "is_staff_member", False):
        fail("owner", _("The owner must be an active staff member."))

    kpi = values["kpi"]
    if kpi not in KPIS:
        fail("kpi", _("“%(kpi)s” is not a known KPI.") % {"kpi": kpi})

    start, end = values["start_date"], values["end_date"]
    if not isinstance(start, date):
        fail("start_date", _("Enter a valid start date."))
    if end is not None and not isinstance(end, date):
        fail("end_date", _("Enter a valid end date."))
    elif isinstance(start, date) and end is not None and end < start:
        fail("end_date", _("The end date lies before the start date."))

    direction = values["direction"] or (default_direction(kpi) if kpi in KPIS else Direction.UP)
    if direction not in Direction.values:
        fail("direction", _("Choose whether higher or lower is better."))
    values["direction"] = direction

    status = values["status"]
    if status not in InitiativeStatus.values:
        fail("status", _("“%(status)s” is not a known status.") % {"status": status})

    window = values["window_days"]
    if window is not None and (
        not isinstance(window, int)
        or isinstance(window, bool)
        or not 1 <= window <= MAX_WINDOW_DAYS
    ):
        fail(
            "window_days",
            _("The comparison window is between 1 and %(days)d days.") % {"days": MAX_WINDOW_DAYS},
        )

    try:
        values["filters"] = _checked_filters(values["filters"])
    except (MetricsError, ValidationError) as error:
        fail("filters", error.messages[0] if isinstance(error, ValidationError) else str(error))

    if errors:
        raise ValidationError(errors)
    return values


def _checked_filters(filters: dict[str, Any] | None) -> dict[str, Any]:
    """Return the slice checked by the KPI engine, with channels and teams that exist."""
    if filters is not None and not isinstance(filters, dict):
        raise ValidationError(_("The slice must map dimensions to values."))
    cleaned = clean_filters({k: v for k, v in (filters or {}).items() if v not in ("", None)})
    channel = cleaned.get("channel")
    if channel is not None and channel not in Channel.values:
        raise ValidationError(_("“%(value)s” is not a known channel.") % {"value": channel})
    team = cleaned.get("team")
    if team is not None and not Team.objects.filter(pk=team).exists():
        raise ValidationError(_("There is no team with the id %(value)s.") % {"value": team})
    agent = cleaned.get("agent")
    if agent is not None and not User.objects.filter(pk=agent).exists():
        raise ValidationError(_("There is no agent with the id %(value)s.") % {"value": agent})
    return cleaned
