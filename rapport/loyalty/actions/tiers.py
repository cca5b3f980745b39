"""Tiers: qualifying spend and points over twelve months, and moving members between tiers."""

from datetime import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from rapport.loyalty.actions.common import (
    months_later,
)
from rapport.loyalty.models import (
    EntryKind,
    Member,
    Tier,
)


def qualifying(member: Member, now: datetime) -> tuple[Decimal, int]:
    """Return the member's spend and points earned in the twelve months before ``now``."""
    since = months_later(now, -12)
    found = member.entries.filter(kind=EntryKind.EARN, created_at__gt=since).aggregate(
        spend=Sum("amount"), points=Sum("points")
    )
    reversed_amounts = member.entries.filter(
        kind=EntryKind.REVERSE, created_at__gt=since
    ).aggregate(points=Sum("points"))
    points = (found["points"] or 0) + (reversed_amounts["points"] or 0)
    return found["spend"] or Decimal("0"), max(points, 0)


def recalculate_tier(*, member: Member, now: datetime | None = None) -> Tier | None:
    """Put the member in the highest tier their last twelve months qualify for."""
    now = now or timezone.now()
    spend, points = qualifying(member, now)
    tiers = list(member.programme.tiers.order_by("-rank"))
    chosen = next(
        (t for t in tiers if spend >= t.min_spend and points >= t.min_points),
        tiers[-1] if tiers else None,
    )
    if chosen is not None and chosen.pk != member.tier_id:
        Member.objects.filter(pk=member.pk).update(tier=chosen, tier_changed_at=now)
        member.tier, member.tier_changed_at = chosen, now
    return member.tier


def next_tier(member: Member, now: datetime | None = None) -> tuple[Tier, Decimal] | None:
    """Return the next tier up and the spend still missing for it, or None at the top."""
    now = now or timezone.now()
    rank = member.tier.rank if member.tier else -1
    higher = member.programme.tiers.filter(rank__gt=rank).order_by("rank").first()
    if higher is None:
        return None
    spend, _points = qualifying(member, now)
    return higher, max(higher.min_spend - spend, Decimal("0"))
