"""Pages of the improvement cycle: initiatives with their before/after verdict, and drivers.

Thin: parse, authorise, call an action or a query, render. Every staff member may read;
only managers and administrators change initiatives.
"""

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.accounts.access import staff_required
from rapport.accounts.models import Team, User
from rapport.helpdesk.models import Channel
from rapport.improvement import actions, noise
from rapport.improvement.evaluation import NOT_STARTED, UNAVAILABLE, Evaluation, evaluate
from rapport.improvement.forms import PERIODS, CloseForm, InitiativeForm, PeriodForm
from rapport.improvement.models import Initiative
from rapport.improvement.queries import (
    TOPICS,
    DriverError,
    can_manage_initiatives,
    driver_records,
    drivers,
    get_initiative,
    visible_initiatives,
)
from rapport.metrics.figures import UNITS
from rapport.metrics.queries import KPIS
from rapport.metrics.views import drill_token

PER_PAGE = 25
RECORDS_PER_PAGE = 100
# Decimal places per KPI as the KPI dashboard shows them.
PLACES = {"ces": "2g", "inquiry_volume": "0g", "backlog": "0g"}
DEFAULT_PLACES = "1g"
CSV_TABLES = ("tags", "topics", "phrases")


def _require_manager(user) -> None:
    if not can_manage_initiatives(user):
        raise PermissionDenied


def _initiative_or_404(user, initiative_id) -> Initiative:
    try:
        return get_initiative(user, initiative_id)
    except Initiative.DoesNotExist:
        raise Http404 from None


def verdict_text(evaluation: Evaluation) -> str:
    """Return the sentence that says what the comparison found."""
    texts = {
        NOT_STARTED: _("Not started yet: no whole day since the start date."),
        UNAVAILABLE: _("This KPI cannot be computed for this slice."),
        noise.Verdict.NO_DATA: _("No data before or after the start."),
        noise.Verdict.NO_ESTIMATE: _(
            "No noise estimate: the KPI engine gives no variance for this KPI, so the change "
            "cannot be judged against chance."
        ),
        noise.Verdict.TOO_FEW: _("Too few records to tell the change from chance."),
        noise.Verdict.BEYOND: _("The change exceeds the noise (95 percent)."),
        noise.Verdict.WITHIN: _("The change is within the noise: it may be chance."),
    }
    return texts[evaluation.verdict]


def short_verdict(evaluation: Evaluation) -> str:
    texts = {
        NOT_STARTED: _("not started"),
        UNAVAILABLE: _("not available"),
        noise.Verdict.NO_DATA: _("no data"),
        noise.Verdict.NO_ESTIMATE: _("no noise estimate"),
        noise.Verdict.TOO_FEW: _("too few records"),
        noise.Verdict.BEYOND: _("beyond noise"),
        noise.Verdict.WITHIN: _("within noise"),
    }
    return texts[evaluation.verdict]


def direction_text(evaluation: Evaluation) -> str:
    if evaluation.change is None:
        return ""
    if evaluation.improved is None:
        return _("unchanged")
    return _("better") if evaluation.improved else _("worse")


METHODS = {
    "proportions": gettext_lazy("two-proportion z-test"),
    "nps": gettext_lazy(
        "difference of NPS with its standard error from the promoter and detractor shares"
    ),
    "mean": gettext_lazy("difference of means with the standard deviation of the answers"),
}


SLICE_LABELS = {
    "channel": gettext_lazy("Channel"),
    "team": gettext_lazy("Team"),
    "agent": gettext_lazy("Agent"),
    "country": gettext_lazy("Country"),
    "language": gettext_lazy("Language"),
}


def slice_labels(filters: dict) -> list[tuple[str, str]]:
    """Return the slice of an initiative as readable (dimension, value) pairs."""
    names = {
        "channel": {value: str(label) for value, label in Channel.choices},
        "language": {code: str(name) for code, name in settings.LANGUAGES},
    }
    if "team" in filters:
        names["team"] = dict(Team.objects.filter(pk=filters["team"]).values_list("pk", "name"))
    if "agent" in filters:
        agent = User.objects.filter(pk=filters["agent"]).first()
        names["agent"] = {agent.pk: agent.get_full_name() or agent.username} if agent else {}
    return [
        (str(SLICE_LABELS.get(key, key)), names.get(key, {}).get(value, str(value)))
        for key, value in filters.items()
    ]


def _show(evaluation: Evaluation) -> dict:
    """Return what a page shows of one evaluation."""
    kpi = evaluation.initiative.kpi
    after = evaluation.after
    unit = UNITS.get(after.unit, after.unit) if after else ""
    return {
        # A change of a percentage is in percentage points, not percent.
        "change_unit": _("percentage points") if after and after.unit == "percent" else unit,
        "evaluation": evaluation,
        "kpi_name": KPIS.get(kpi, kpi),
        "unit": unit,
        "places": PLACES.get(kpi, DEFAULT_PLACES),
        "verdict": short_verdict(evaluation),
        "verdict_text": verdict_text(evaluation),
        "direction": direction_text(evaluation),
        "method": str(METHODS.get(evaluation.method, "")),
        "before_token": drill_token(evaluation.before.drill) if evaluation.before else "",
        "after_token": drill_token(evaluation.after.drill) if evaluation.after else "",
    }


def _labelled(initiative: Initiative) -> Initiative:
    initiative.kpi_label = KPIS.get(initiative.kpi, initiative.kpi)
    return initiative


@staff_required
@require_GET
def initiative_list(request):
    """List the initiatives; each row loads its verdict separately (see ``initiative_row``).

    A verdict costs two KPI reports, so the page itself stays fast however many rows it has.
    """
    page = Paginator(visible_initiatives(request.user), PER_PAGE).get_page(request.GET.get("page"))
    for initiative in page.object_list:
        _labelled(initiative)
    context = {
        "nav": "improvement",
        "page": page,
        "can_manage": can_manage_initiatives(request.user),
    }
    return render(request, "improvement/list.html", context)


@staff_required
@require_GET
def initiative_row(request, initiative_id: int):
    """Return one row of the list with its KPI before and after and the verdict (htmx)."""
    initiative = _labelled(_initiative_or_404(request.user, initiative_id))
    context = {"initiative": initiative, "shown": _show(evaluate(initiative, request.user))}
    return render(request, "improvement/_row.html", context)


@staff_required
@require_GET
def initiative_detail(request, initiative_id: int):
    """Show one initiative and its KPI before and after the start."""
    initiative = _initiative_or_404(request.user, initiative_id)
    context = {
        "nav": "improvement",
        "initiative": initiative,
        "shown": _show(evaluate(initiative, request.user)),
        "slice": slice_labels(initiative.filters),
        "can_manage": can_manage_initiatives(request.user),
        "close_form": CloseForm(),
    }
    return render(request, "improvement/detail.html", context)


def _save(request, form: InitiativeForm, initiative: Initiative | None):
    """Call the action with the form's data; put its errors on the form. Return the result."""
    arguments = form.action_arguments()
    try:
        if initiative is None:
            return actions.create_initiative(actor=request.user, **arguments)
        return actions.update_initiative(actor=request.user, initiative=initiative, **arguments)
    except ValidationError as error:
        for name, problems in error.message_dict.items():
            target = name if name in form.fields else None
            for problem in problems:
                form.add_error(target, problem)
    return None


@staff_required
@require_http_methods(["GET", "POST"])
def initiative_new(request):
    """Create an initiative (managers and administrators)."""
    _require_manager(request.user)
    form = InitiativeForm(
        request.POST if request.method == "POST" else None, initial={"owner": request.user.pk}
    )
    if request.method == "POST" and form.is_valid():
        initiative = _save(request, form, None)
        if initiative is not None:
            messages.success(request, _("Initiative created."))
            return redirect("improvement:detail", initiative.pk)
    status = 400 if form.errors else 200
    context = {"nav": "improvement", "form": form, "initiative": None}
    return render(request, "improvement/form.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def initiative_edit(request, initiative_id: int):
    """Edit an initiative (managers and administrators)."""
    _require_manager(request.user)
    initiative = _initiative_or_404(request.user, initiative_id)
    form = InitiativeForm(
        request.POST if request.method == "POST" else None,
        initial=InitiativeForm.initial_for(initiative),
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, initiative)
        if saved is not None:
            messages.success(request, _("Initiative saved."))
            return redirect("improvement:detail", saved.pk)
    status = 400 if form.errors else 200
    context = {"nav": "improvement", "form": form, "initiative": initiative}
    return render(request, "improvement/form.html", context, status=status)


@staff_required
@require_POST
def initiative_close(request, initiative_id: int):
    """Close an initiative as done or abandoned (managers and administrators)."""
    _require_manager(request.user)
    initiative = _initiative_or_404(request.user, initiative_id)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            actions.close_initiative(
                actor=request.user,
                initiative=initiative,
                status=form.cleaned_data["status"],
                end_date=form.cleaned_data["end_date"],
            )
        except ValidationError as error:
            for problem in error.messages:
                messages.error(request, problem)
        else:
            messages.success(request, _("Initiative closed."))
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return redirect("improvement:detail", initiative.pk)


def _bad_request(request, message: str):
    return render(
        request, "improvement/error.html", {"nav": "improvement", "message": message}, status=400
    )


@staff_required
@require_GET
def drivers_page(request):
    """Show the tags, topics and phrases behind low answers; ``?format=csv`` exports a table."""
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        errors = [str(problem) for problems in form.errors.values() for problem in problems]
        return _bad_request(request, " ".join(errors))
    if not request.GET:
        form = PeriodForm({"period": "last_30_days"})
        form.is_valid()
    period = form.cleaned_data["range"]
    found = drivers(request.user, period)
    if request.GET.get("format") == "csv":
        table = request.GET.get("table", "tags")
        if table not in CSV_TABLES:
            return _bad_request(request, _("“%(value)s” is not a table.") % {"value": table})
        return _csv(found, table, *form.dates())
    first, last = form.dates()
    context = {
        "nav": "improvement",
        "form": form,
        "periods": PERIODS,
        "period_key": form.cleaned_data["period"],
        "first": first,
        "last": last,
        "found": found,
        "topics": [(key, label, found.topics[key]) for key, label in TOPICS.items()],
        "query": {"period": "custom", "start": first.isoformat(), "end": last.isoformat()},
    }
    return render(request, "improvement/drivers.html", context)


def _percent(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.1f}"


def _csv(found, table: str, first, last) -> HttpResponse:
    """Return one drivers table as CSV."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"drivers-{table}-{first.isoformat()}-{last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    if table == "phrases":
        writer.writerow(
            [
                _("Phrase"),
                _("Records"),
                _("Low CSAT comments"),
                _("Detractor comments"),
                _("Negative reviews"),
            ]
        )
        for row in found.phrases:
            writer.writerow([_safe(row.text), row.count, row.csat, row.nps, len(row.reviews)])
        return response
    heading = [
        _("Low-score conversations"),
        _("Share of low-score conversations (%)"),
        _("Answered conversations"),
        _("Share of answered conversations (%)"),
        _("Lift"),
    ]
    if table == "tags":
        writer.writerow([_("Tag"), *heading])
        groups = [("", found.tags)]
    else:
        writer.writerow([_("Topic"), _("Value"), *heading])
        groups = [(str(TOPICS[key]), rows) for key, rows in found.topics.items()]
    for topic, rows in groups:
        for row in rows:
            cells = [
                row.low,
                _percent(row.low_share),
                row.answered,
                _percent(row.answered_share),
                "" if row.lift is None else f"{row.lift:.2f}",
            ]
            writer.writerow(
                [topic, _safe(row.label), *cells] if topic else [_safe(row.label), *cells]
            )
    return response


def _safe(text: str) -> str:
    """Return ``text`` so a spreadsheet will not run it as a formula (a tag named "=cmd")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@staff_required
@require_GET
def driver_records_page(request):
    """List the low answers (and negative reviews) behind one tag, topic or phrase."""
    form = PeriodForm(request.GET)
    if not form.is_valid():
        errors = [str(problem) for problems in form.errors.values() for problem in problems]
        return _bad_request(request, " ".join(errors))
    try:
        found = driver_records(
            request.user,
            form.cleaned_data["range"],
            request.GET.get("kind", ""),
            request.GET.get("value", ""),
        )
    except DriverError as error:
        return _bad_request(request, str(error))
    first, last = form.dates()
    answers = Paginator(found.answers, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "nav": "improvement",
        "found": found,
        "kind_label": TOPICS.get(found.kind) or (_("Tag") if found.kind == "tag" else _("Phrase")),
        "answers": answers,
        "reviews": list(found.reviews[:RECORDS_PER_PAGE]),
        "review_count": found.reviews.count(),
        "first": first,
        "last": last,
        "query": {"period": "custom", "start": first.isoformat(), "end": last.isoformat()},
    }
    return render(request, "improvement/records.html", context)
