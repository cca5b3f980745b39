"""Staff pages of the loyalty programme: a member's whole ledger, adjustments, reports."""

import csv
import uuid
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from rapport.accounts.access import staff_required
from rapport.accounts.models import Role
from rapport.loyalty import actions, queries, reports
from rapport.loyalty.models import Member
from rapport.metrics.periods import Period, PeriodError

ENTRIES_PER_PAGE = 50
DEFAULT_REPORT_DAYS = 30


class AdjustForm(forms.Form):
    """Points to add (or, negative, to take away) and why."""

    points = forms.IntegerField(
        label=gettext_lazy("Points"),
        help_text=gettext_lazy("Negative to take points away."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255)
    # Made when the form is shown: the same form sent twice adjusts once.
    request_ref = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)


def _member(member_id) -> Member:
    return get_object_or_404(
        Member.objects.select_related("programme", "tier", "customer"), pk=member_id
    )


def _member_page(request, member: Member, form: AdjustForm | None, status: int = 200):
    entries = Paginator(queries.member_entries(member), ENTRIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    may_adjust = actions.may_adjust(request.user)
    return render(
        request,
        "loyalty/staff/member.html",
        {
            "member": member,
            "customer": member.customer,
            "entries": entries,
            "may_adjust": may_adjust,
            "form": (form or AdjustForm(initial={"request_ref": uuid.uuid4().hex}))
            if may_adjust
            else None,
            "nav": "customers",
        },
        status=status,
    )


@staff_required
@require_GET
def member_detail(request, member_id: int):
    """Show the member's panel and whole ledger, newest first, paged."""
    return _member_page(request, _member(member_id), None)


@staff_required
@require_http_methods(["POST"])
def adjust(request, member_id: int):
    """Add or take away points by hand, with a reason; the entry records who did it."""
    member = _member(member_id)
    if not actions.may_adjust(request.user):
        raise PermissionDenied
    form = AdjustForm(request.POST)
    if not form.is_valid():
        return _member_page(request, member, form, status=400)
    try:
        posted = actions.adjust_points(
            member=member,
            points=form.cleaned_data["points"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
            request_ref=form.cleaned_data["request_ref"],
        )
    except actions.LoyaltyError as error:
        form.add_error(None, error.message)
        return _member_page(request, member, form, status=400)
    if posted.replayed:
        messages.info(request, _("This adjustment was already made; nothing was added."))
    else:
        messages.success(
            request, _("Adjusted by %(points)+d points.") % {"points": posted.entry.points}
        )
    # Redirect after the POST, so that reloading the page does not adjust twice.
    return redirect("loyalty:member", member_id=member.pk)


def can_view_reports(user) -> bool:
    """Return whether ``user`` may see the programme's reports (managers and admins)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.role in (Role.ADMIN, Role.MANAGER)
    )


def _period(params) -> tuple[Period, str]:
    """Return the period asked for (default: the last 30 days) and an error, if any."""
    today = timezone.localdate()
    default = Period.from_dates(today - timedelta(days=DEFAULT_REPORT_DAYS - 1), today)
    first, last = params.get("from", ""), params.get("to", "")
    if not first and not last:
        return default, ""
    try:
        return Period.parse(first, last), ""
    except PeriodError as error:
        return default, str(error)


@staff_required
@require_GET
def report(request):
    """Show the programme's figures for a period; ``?format=csv`` downloads them."""
    if not can_view_reports(request.user):
        raise PermissionDenied
    period, error = _period(request.GET)
    try:
        programme = actions.default_programme()
    except actions.LoyaltyError as refused:
        return render(
            request,
            "loyalty/staff/reports.html",
            {"error": refused.message, "nav": "loyalty_reports"},
        )
    result = reports.loyalty_report(programme, period)
    first, last = period.local_dates()
    rows = [(label, result.values()[key], key) for key, label in reports.FIGURES]
    if request.GET.get("format") == "csv" and not error:
        return _csv(programme, first, last, rows, result)
    return render(
        request,
        "loyalty/staff/reports.html",
        {
            "programme": programme,
            "report": result,
            "rows": rows,
            "first": first,
            "last": last,
            "error": error,
            "nav": "loyalty_reports",
        },
        status=400 if error else 200,
    )


def _csv(programme, first, last, rows, result) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="loyalty-{first}-{last}.csv"'
    writer = csv.writer(response)
    writer.writerow([_("figure"), _("value"), _("from"), _("to"), _("currency")])
    for label, value, _key in rows:
        writer.writerow(
            [str(label), "" if value is None else value, first, last, programme.currency]
        )
    for name, _rank, count in result.tier_distribution:
        label = _("Members in tier %(tier)s now") % {"tier": name or _("no tier")}
        writer.writerow([label, count, first, last, programme.currency])
    return response
