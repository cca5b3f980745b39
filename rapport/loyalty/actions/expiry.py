"""Points expiry, oldest points first."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.loyalty.actions.common import (
    _post,
)
from rapport.loyalty.models import (
    EntryKind,
    EntrySource,
    Member,
)


def expiring_points(member: Member, moment: datetime) -> int:
    """Return the points of ``member`` that have expired by ``moment`` and are still there.

    Points are spent oldest first: every redemption, reversal, negative adjustment and
    earlier expiry uses up the oldest earned points still left.
    """
    lots: list[list] = []  # [expires_at or None, points left]
    for points, expires_at in member.entries.order_by("created_at", "pk").values_list(
        "points", "expires_at"
    ):
        if points > 0:
            lots.append([expires_at, points])
            continue
        owed = -points
        for lot in lots:
            used = min(lot[1], owed)
            lot[1] -= used
            owed -= used
            if not owed:
                break
    return sum(left for expires, left in lots if expires is not None and expires <= moment)


def expire_points(*, now: datetime | None = None) -> int:
    """Expire the points past their date, oldest first; return how many members lost points."""
    now = now or timezone.now()
    touched = 0
    members = (
        Member.objects.filter(
            balance__gt=0,
            entries__kind=EntryKind.EARN,
            entries__expires_at__lte=now,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    for pk in list(members):
        with transaction.atomic():
            member = Member.objects.select_related("programme").get(pk=pk)
            points = min(expiring_points(member, now), member.balance)
            if points <= 0:
                continue
            _post(
                member=member,
                kind=EntryKind.EXPIRE,
                points=-points,
                reason=_("Points expired"),
                source=EntrySource.SYSTEM,
                external_ref=f"expire:{member.pk}:{now.date().isoformat()}",
                now=now,
                guard_balance=True,
            )
            touched += 1
    return touched
