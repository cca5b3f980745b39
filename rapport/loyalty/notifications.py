"""Telling members about their tier and their expiring points, by email, once per occasion.

A notice is queued (``LoyaltyNotice``, unique by occasion) for the customer's next contact
hour (``next_contact_time``), and a sweep sends the due ones: each notice is claimed by one
conditional ``UPDATE`` before it is sent, so two workers never send the same email.
"""

import logging
import smtplib
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from rapport.customers.contact_hours import customer_zone, next_contact_time
from rapport.loyalty.actions import expiring_points, months_later, recalculate_tier
from rapport.loyalty.letters import letter_language, notice_letter
from rapport.loyalty.models import (
    EntryKind,
    LoyaltyNotice,
    Member,
    MemberStatus,
    NoticeKind,
    NoticeStatus,
    Tier,
)

logger = logging.getLogger(__name__)

# Members are reminded when their next points expire within this window.
REMINDER_DAYS = 30
SWEEP_BATCH = 500


def _queue(*, member: Member, kind: str, key: str, data: dict, now: datetime) -> LoyaltyNotice:
    """Create the notice of one occasion (once) for the customer's next contact hour."""
    try:
        with transaction.atomic():
            notice, _created = LoyaltyNotice.objects.get_or_create(
                key=key[:120],
                defaults={
                    "member": member,
                    "kind": kind,
                    "language": letter_language(member),
                    "send_after": next_contact_time(member.customer, now),
                    "data": data,
                    "created_at": now,
                },
            )
    except IntegrityError:  # a concurrent sweep queued it first
        notice = LoyaltyNotice.objects.get(key=key[:120])
    return notice


def queue_tier_notice(
    *, member: Member, previous: Tier | None, now: datetime | None = None
) -> LoyaltyNotice | None:
    """Queue the "you reached <tier>" email after the member's tier changed from ``previous``."""
    now = now or timezone.now()
    tier = member.tier
    if tier is None or (previous is not None and previous.pk == tier.pk):
        return None
    upgraded = previous is None or tier.rank > previous.rank
    return _queue(
        member=member,
        kind=NoticeKind.TIER_CHANGED,
        key=f"tier:{member.pk}:{tier.pk}:{now.date().isoformat()}",
        data={"tier": tier.pk, "tier_name": tier.name, "upgraded": upgraded},
        now=now,
    )


def recalculate_recent_tiers(*, now: datetime | None = None) -> int:
    """Recalculate the tiers of members whose last twelve months changed since yesterday.

    That is members with an entry in the last two days (a purchase, a return) and members
    whose entries of a year ago are now leaving the twelve-month window. A changed tier
    queues its email; return how many tiers changed.
    """
    now = now or timezone.now()
    year_ago = months_later(now, -12)
    recent = Q(entries__created_at__gt=now - timedelta(days=2)) | Q(
        entries__created_at__gt=year_ago - timedelta(days=2), entries__created_at__lte=year_ago
    )
    ids = list(
        Member.objects.filter(recent, status=MemberStatus.ACTIVE)
        .values_list("pk", flat=True)
        .distinct()
    )
    changed = 0
    for pk in ids:
        with transaction.atomic():
            member = Member.objects.select_related("programme", "tier", "customer").get(pk=pk)
            previous = member.tier
            recalculate_tier(member=member, now=now)
            if member.tier_id != (previous.pk if previous else None):
                queue_tier_notice(member=member, previous=previous, now=now)
                changed += 1
    return changed


def next_expiry(member: Member, now: datetime, within: timedelta) -> tuple[datetime, int] | None:
    """Return the member's next expiry within ``within`` and the points it takes, or None.

    The points are those still left (oldest spent first) that expire by the end of that
    local day and are not already past their date.
    """
    zone = customer_zone(member.customer)
    already = expiring_points(member, now)
    moments = (
        member.entries.filter(kind=EntryKind.EARN, expires_at__gt=now, expires_at__lte=now + within)
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
        .distinct()
    )
    for moment in moments:
        local_day = moment.astimezone(zone).date()
        day_end = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=zone)
        points = min(expiring_points(member, day_end) - already, member.balance)
        if points > 0:
            return moment, points
    return None


def queue_expiry_reminders(*, now: datetime | None = None) -> int:
    """Queue "N points expire on <date>" for members whose points expire within 30 days.

    Once per expiry date per member; return how many reminders were queued now.
    """
    now = now or timezone.now()
    within = timedelta(days=REMINDER_DAYS)
    ids = list(
        Member.objects.filter(
            status=MemberStatus.ACTIVE,
            balance__gt=0,
            entries__kind=EntryKind.EARN,
            entries__expires_at__gt=now,
            entries__expires_at__lte=now + within,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    queued = 0
    for pk in ids:
        member = Member.objects.select_related("customer", "programme").get(pk=pk)
        found = next_expiry(member, now, within)
        if found is None:
            continue
        moment, points = found
        local_day = moment.astimezone(customer_zone(member.customer)).date()
        key = f"expiry:{member.pk}:{local_day.isoformat()}"
        if LoyaltyNotice.objects.filter(key=key).exists():
            continue
        _queue(
            member=member,
            kind=NoticeKind.POINTS_EXPIRING,
            key=key,
            data={"points": points, "expires_at": moment.isoformat()},
            now=now,
        )
        queued += 1
    return queued


def send_due_notices(*, now: datetime | None = None) -> int:
    """Send the notices whose contact hour has come; return how many were sent."""
    now = now or timezone.now()
    ids = list(
        LoyaltyNotice.objects.filter(status=NoticeStatus.SCHEDULED, send_after__lte=now)
        .order_by("send_after")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    sent = 0
    for notice_id in ids:
        try:
            sent += send_notice(notice_id=notice_id, now=now)
        except Exception:
            logger.exception("loyalty notice %s could not be sent", notice_id)
    return sent


def send_notice(*, notice_id: int, now: datetime | None = None) -> bool:
    """Send one scheduled notice, or skip it (no address, membership closed); True if sent."""
    from rapport.feedback.actions.invitations import deliverable_address

    now = now or timezone.now()
    # Claim first: of two workers only one moves the row from scheduled, and only it sends.
    if not LoyaltyNotice.objects.filter(pk=notice_id, status=NoticeStatus.SCHEDULED).update(
        status=NoticeStatus.SENT, sent_at=now
    ):
        return False
    notice = LoyaltyNotice.objects.select_related(
        "member__customer", "member__programme", "member__tier"
    ).get(pk=notice_id)
    if notice.member.status != MemberStatus.ACTIVE:
        _unsend(notice, NoticeStatus.SKIPPED, "member_closed")
        return False
    address, reason = deliverable_address(notice.member.customer)
    if not address:
        _unsend(notice, NoticeStatus.SKIPPED, reason or "no_address")
        return False
    subject, text, html = notice_letter(notice)
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(html, "text/html")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused:
        _unsend(notice, NoticeStatus.SKIPPED, "bounced")
        return False
    except Exception:  # noqa: BLE001 - recorded on the notice for staff to see
        logger.exception("loyalty notice %s could not be emailed", notice_id)
        _unsend(notice, NoticeStatus.FAILED, "send_failed")
        return False
    return True


def _unsend(notice: LoyaltyNotice, status: str, reason: str) -> None:
    LoyaltyNotice.objects.filter(pk=notice.pk).update(
        status=status, skip_reason=reason, sent_at=None
    )
