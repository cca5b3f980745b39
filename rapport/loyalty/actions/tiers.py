"""Tiers: qualifying spend and points over twelve months, and moving members between tiers."""

import logging
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from rapport.accounts.models import STAFF_ROLES, User
from rapport.customers.actions import update_customer
from rapport.customers.models import Customer
from rapport.loyalty.actions.common import months_later
from rapport.loyalty.models import EntryKind, Member, Tier, TierChange
from rapport.timeline.actions import record_event
from rapport.timeline.messages import message
from rapport.timeline.models import EventKind

logger = logging.getLogger(__name__)


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
    """Put the member in the highest tier their last twelve months qualify for.

    A change is kept as a ``TierChange`` and shown in the customer's timeline; reaching a tier
    with a dedicated account manager gives the customer one if they have none.
    """
    now = now or timezone.now()
    spend, points = qualifying(member, now)
    tiers = list(member.programme.tiers.order_by("-rank"))
    chosen = next(
        (t for t in tiers if spend >= t.min_spend and points >= t.min_points),
        tiers[-1] if tiers else None,
    )
    if chosen is None or chosen.pk == member.tier_id:
        return member.tier
    previous = member.tier
    with transaction.atomic():
        Member.objects.filter(pk=member.pk).update(tier=chosen, tier_changed_at=now)
        member.tier, member.tier_changed_at = chosen, now
        change = TierChange.objects.create(
            member=member,
            from_tier=previous,
            to_tier=chosen,
            from_rank=previous.rank if previous else None,
            to_rank=chosen.rank,
            spend=spend,
            points=points,
            changed_at=now,
        )
        customer = member.customer
        if previous is None:
            text = gettext_noop("Reached loyalty tier %(new)s")
        elif chosen.rank > previous.rank:
            text = gettext_noop("Moved up from loyalty tier %(old)s to %(new)s")
        else:
            text = gettext_noop("Moved down from loyalty tier %(old)s to %(new)s")
        record_event(
            customer=customer,
            kind=EventKind.LOYALTY,
            message=message(text, old=previous.name if previous else "", new=chosen.name),
            occurred_at=now,
            source=change,
            data={"tier_change": change.pk},
        )
        if chosen.account_manager and not customer.account_manager_id:
            assign_account_manager(member=member, tier=chosen)
    return member.tier


def assign_account_manager(*, member: Member, tier: Tier) -> User | None:
    """Give the member's customer the account manager their tier promises, if one is free.

    The manager is the active staff member of the programme's account manager team who
    manages the fewest customers (ties: the lowest id). Without a team, or with nobody in
    it, the customer keeps none and the panel says the benefit waits for one.
    """
    team_id = member.programme.account_manager_team_id
    if team_id is None:
        return None
    manager = (
        User.objects.filter(teams=team_id, is_active=True, role__in=STAFF_ROLES)
        .annotate(n=Count("managed_customers", filter=Q(managed_customers__isnull=False)))
        .order_by("n", "pk")
        .first()
    )
    if manager is None:
        logger.warning("loyalty: account manager team %s has no active staff", team_id)
        return None
    # Locked and read again: two recalculations at once give the customer one manager.
    customer = Customer.objects.select_for_update().get(pk=member.customer_id)
    if customer.account_manager_id:
        return customer.account_manager
    update_customer(actor=None, customer=customer, profile={"account_manager": manager})
    record_event(
        customer=customer,
        kind=EventKind.LOYALTY,
        message=message(
            gettext_noop("Account manager %(manager)s assigned for loyalty tier %(tier)s"),
            manager=manager.get_full_name() or manager.username,
            tier=tier.name,
        ),
    )
    member.customer = customer
    return manager


def next_tier(member: Member, now: datetime | None = None) -> tuple[Tier, Decimal] | None:
    """Return the next tier up and the spend still missing for it, or None at the top."""
    now = now or timezone.now()
    rank = member.tier.rank if member.tier else -1
    higher = member.programme.tiers.filter(rank__gt=rank).order_by("rank").first()
    if higher is None:
        return None
    spend, _points = qualifying(member, now)
    return higher, max(higher.min_spend - spend, Decimal("0"))
