"""The customer's loyalty pages in the portal: points, tier, history, rewards, vouchers.

Every page starts from the signed-in customer's own membership; ids in a URL are looked up
inside it, so another customer's reward or voucher is a 404.
"""

import re
import secrets
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rapport.loyalty import actions
from rapport.loyalty.actions import LoyaltyError
from rapport.loyalty.letters import tier_benefits
from rapport.loyalty.models import Member, Reward, VoucherStatus
from rapport.loyalty.notifications import next_expiry
from rapport.portal.views import portal_login_required

HISTORY_PAGE_SIZE = 20
# Points expiring within this window are shown on the overview.
EXPIRY_WINDOW = timedelta(days=90)
# The hidden form token that makes a double-clicked "Redeem" one redemption.
TOKEN_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def _programme():
    try:
        return actions.default_programme()
    except LoyaltyError:
        return None


def _membership(request) -> Member | None:
    """Return the signed-in customer's membership of the active programme, or None."""
    programme = _programme()
    if programme is None:
        return None
    return (
        Member.objects.select_related("programme", "tier", "customer")
        .filter(programme=programme, customer=request.customer)
        .first()
    )


def _member_or_404(request) -> Member:
    member = _membership(request)
    if member is None:
        raise Http404
    return member


def _own_reward(member: Member, reward_id: int) -> Reward:
    reward = (
        Reward.objects.select_related("min_tier")
        .filter(pk=reward_id, programme=member.programme, is_active=True)
        .first()
    )
    if reward is None:
        raise Http404
    return reward


def _rewards(member: Member) -> list[dict]:
    """Return the active rewards with whether the member may redeem each now, and if not why."""
    rows = []
    rank = member.tier.rank if member.tier else -1
    for reward in Reward.objects.select_related("min_tier").filter(
        programme=member.programme, is_active=True
    ):
        missing = max(reward.cost - member.balance, 0)
        if reward.min_tier and rank < reward.min_tier.rank:
            why = _("For %(tier)s members and above") % {"tier": reward.min_tier.name}
        elif reward.stock is not None and reward.stock <= 0:
            why = _("Out of stock")
        elif missing:
            # Grouped the reader's way: "4,450" in English is "4.450" in German.
            why = _("%(points)s more points needed") % {
                "points": number_format(missing, force_grouping=True)
            }
        else:
            why = ""
        rows.append({"reward": reward, "available": not why, "why": why})
    return rows


@portal_login_required
def overview(request):
    programme = _programme()
    member = _membership(request)
    if member is None:
        return render(request, "loyalty/portal/join.html", {"programme": programme})
    now = timezone.now()
    upcoming = next_expiry(member, now, EXPIRY_WINDOW)
    progress = actions.next_tier(member, now)
    rewards = _rewards(member)
    return render(
        request,
        "loyalty/portal/overview.html",
        {
            "member": member,
            "programme": member.programme,
            "benefits": tier_benefits(member.tier),
            "next_tier": progress[0] if progress else None,
            "spend_missing": progress[1] if progress else None,
            "expiring": upcoming,
            "affordable": [row for row in rewards if row["available"]],
            "not_yet": [row for row in rewards if not row["available"]],
            "recent": member.entries.select_related("order").order_by("-created_at", "-id")[:5],
            "nav": "loyalty",
        },
    )


@portal_login_required
@require_POST
def join(request):
    programme = _programme()
    if programme is None:
        messages.error(request, _("There is no loyalty programme to join at the moment."))
        return redirect("loyalty_portal:overview")
    if _membership(request) is None:
        actions.enroll_customer(customer=request.customer, programme=programme)
        messages.success(request, _("Welcome to %(programme)s.") % {"programme": programme.name})
    return redirect("loyalty_portal:overview")


@portal_login_required
def history(request):
    member = _member_or_404(request)
    page = Paginator(
        member.entries.select_related("order").order_by("-created_at", "-id"), HISTORY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request, "loyalty/portal/history.html", {"member": member, "page": page, "nav": "loyalty"}
    )


@portal_login_required
def rewards(request):
    member = _member_or_404(request)
    return render(
        request,
        "loyalty/portal/rewards.html",
        {"member": member, "rows": _rewards(member), "nav": "loyalty"},
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def redeem(request, reward_id: int):
    """Ask to confirm a redemption (GET), then redeem it once per form (POST)."""
    member = _member_or_404(request)
    reward = _own_reward(member, reward_id)
    if request.method == "GET":
        return _confirm(request, member, reward, secrets.token_hex(16))
    token = request.POST.get("token", "")
    if not TOKEN_PATTERN.match(token):
        return _confirm(
            request,
            member,
            reward,
            secrets.token_hex(16),
            error=_("The form was not complete. Please confirm again."),
            status=400,
        )
    try:
        voucher = actions.redeem_reward(
            member=member, reward=reward, request_ref=f"portal:{member.pk}:{token}"
        )
    except LoyaltyError as error:
        member.refresh_from_db()
        return _confirm(
            request, member, reward, secrets.token_hex(16), error=error.message, status=400
        )
    return redirect("loyalty_portal:voucher", voucher_id=voucher.pk)


def _confirm(request, member, reward, token, *, error="", status=200):
    return render(
        request,
        "loyalty/portal/redeem.html",
        {
            "member": member,
            "reward": reward,
            "token": token,
            "error": error,
            "left": member.balance - reward.cost,
            "missing": number_format(max(reward.cost - member.balance, 0), force_grouping=True),
            "nav": "loyalty",
        },
        status=status,
    )


@portal_login_required
def vouchers(request):
    member = _member_or_404(request)
    return render(
        request,
        "loyalty/portal/vouchers.html",
        {
            "member": member,
            "vouchers": member.vouchers.select_related("reward").order_by("-created_at", "-id"),
            "now": timezone.now(),
            "nav": "loyalty",
        },
    )


@portal_login_required
def voucher(request, voucher_id: int):
    member = _member_or_404(request)
    found = member.vouchers.select_related("reward").filter(pk=voucher_id).first()
    if found is None:
        raise Http404
    return render(
        request,
        "loyalty/portal/voucher.html",
        {
            "member": member,
            "voucher": found,
            "usable": found.status == VoucherStatus.ISSUED and found.valid_until > timezone.now(),
            "nav": "loyalty",
        },
    )
