"""Staff pages of customer value: the at-risk list (``/analytics/at-risk/``) and the dashboard."""

import csv

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from rapport.accounts.access import staff_required
from rapport.analytics import queries
from rapport.analytics.models import Segment

AT_RISK_PER_PAGE = 50
DEFAULT_BINS = 12
#: The CSV export stops here; the page says so rather than dropping rows silently.
CSV_LIMIT = 100_000


class AtRiskForm(forms.Form):
    page = forms.IntegerField(min_value=1, required=False, label=gettext_lazy("Page"))
    segment = forms.ChoiceField(
        choices=[("", gettext_lazy("All"))] + list(Segment.choices),
        required=False,
        label=gettext_lazy("Segment"),
    )
    format = forms.ChoiceField(
        choices=[("", "HTML"), ("csv", "CSV")], required=False, label=gettext_lazy("Format")
    )


class DashboardForm(forms.Form):
    bins = forms.IntegerField(
        min_value=4, max_value=40, required=False, label=gettext_lazy("Histogram bins")
    )


def _bad_request(request, form: forms.Form, title: str):
    """Render the page's clear 400: which parameter was wrong and why."""
    problems = [
        f"{form.fields[name].label if name in form.fields else name}: {' '.join(errors)}"
        for name, errors in form.errors.items()
    ]
    return render(
        request,
        "analytics/error.html",
        {"title": title, "problems": problems, "nav": "value"},
        status=400,
    )


@staff_required
@require_GET
def at_risk(request):
    """List the valuable customers who are probably lapsing, most value at stake first."""
    form = AtRiskForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form, _("Customers at risk"))
    values = queries.at_risk_values(request.user)
    segment = form.cleaned_data["segment"]
    if segment:
        values = values.filter(segment=segment)
    if form.cleaned_data["format"] == "csv":
        return _at_risk_csv(values)
    paginator = Paginator(values, AT_RISK_PER_PAGE)
    number = form.cleaned_data["page"] or 1
    if number > max(paginator.num_pages, 1):
        form.add_error(
            "page", _("There are only %(pages)s pages.") % {"pages": paginator.num_pages}
        )
        return _bad_request(request, form, _("Customers at risk"))
    page = paginator.page(number)
    return render(
        request,
        "analytics/at_risk.html",
        {
            "page": page,
            "form": form,
            "segment": segment,
            "segments": form.fields["segment"].choices,
            "sees_all": request.user.role in queries.ALL_CUSTOMERS_ROLES,
            "nav": "value",
        },
    )


def _at_risk_csv(values) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="customers-at-risk.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("customer ID"),
            _("customer"),
            _("account manager"),
            _("segment"),
            _("P(alive) now"),
            _("P(alive) before"),
            _("last order"),
            _("expected value (12 months)"),
            _("historic value"),
            _("value at stake"),
            _("currency"),
        ]
    )
    for value in values[:CSV_LIMIT]:
        manager = value.customer.account_manager
        writer.writerow(
            [
                value.customer_id,
                _csv_text(value.customer.display_name),
                _csv_text(manager.get_full_name() or manager.username) if manager else "",
                value.get_segment_display(),
                f"{value.p_alive:.3f}",
                "" if value.p_alive_previous is None else f"{value.p_alive_previous:.3f}",
                value.last_order_at.date().isoformat(),
                value.clv,
                value.total_value,
                value.at_stake,
                value.currency,
            ]
        )
    return response


def _csv_text(text: str) -> str:
    # A cell starting with = + - @ is a formula to spreadsheet programs: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@staff_required
@require_GET
def dashboard(request):
    """Show the distribution of CLV, value by RFM segment and cohort, and the latest fits."""
    if not queries.can_view_dashboard(request.user):
        raise PermissionDenied
    form = DashboardForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, form, _("Customer value"))
    histogram = queries.clv_histogram(form.cleaned_data["bins"] or DEFAULT_BINS)
    segments = queries.value_by_segment()
    cohorts = queries.value_by_cohort()
    currency = settings.RAPPORT_DEFAULT_CURRENCY
    charts = {
        "histogram": {
            "labels": [
                f"{b.low:,.0f}–{b.high:,.0f}" if b.high is not None else f"≥ {b.low:,.0f}"
                for b in histogram
            ],
            "values": [b.customers for b in histogram],
            "label": _("Customers"),
        },
        "segments": {
            "labels": [g.label for g in segments],
            "values": [float(g.total_clv) for g in segments],
            "label": _("Total expected value (%(currency)s)") % {"currency": currency},
        },
        "cohorts": {
            "labels": [g.label for g in cohorts],
            "values": [float(g.total_clv) for g in cohorts],
            "label": _("Total expected value (%(currency)s)") % {"currency": currency},
        },
    }
    return render(
        request,
        "analytics/dashboard.html",
        {
            "histogram": histogram,
            "segments": segments,
            "cohorts": cohorts,
            "fits": queries.latest_fits(),
            "totals": queries.value_totals(),
            "currency": currency,
            "charts": charts,
            "nav": "value",
        },
    )
