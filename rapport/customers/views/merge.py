"""Reviewing and merging duplicate customers (administrators and managers only)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from rapport.accounts.access import staff_required
from rapport.accounts.models import User
from rapport.customers import actions, queries
from rapport.customers.forms import MergeForm, add_errors
from rapport.customers.models import Customer, Organization
from rapport.customers.templatetags.customers import country_name, language_name
from rapport.customers.views.access import load_customer, require_merge_permission

RECENT_CUSTOMERS_CHECKED = 20


def _display(name: str, value, customer: Customer) -> str:
    """Return a field value as a person reads it (names instead of ids and codes)."""
    if value in (None, ""):
        return "—"
    if name == "organization_id":
        org = Organization.objects.filter(pk=value).only("name").first()
        return org.name if org else "—"
    if name == "account_manager_id":
        user = User.objects.filter(pk=value).first()
        return (user.get_full_name() or user.username) if user else "—"
    if name == "is_vip":
        return _("yes") if value else _("no")
    if name == "language":
        return language_name(value)
    if name == "country":
        return country_name(value)
    if name == "birthday":
        return date_format(value, "SHORT_DATE_FORMAT")
    field = Customer._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _rows(preview: dict, survivor: Customer, merged: Customer) -> list[dict]:
    rows = []
    for row in preview["fields"]:
        name = row["name"]
        label = Customer._meta.get_field(name.removesuffix("_id")).verbose_name
        rows.append(
            {
                **row,
                "label": capfirst(str(label)),
                "survivor_display": _display(name, row["survivor"], survivor),
                "merged_display": _display(name, row["merged"], merged),
                "result_display": _display(name, row["result"], survivor),
            }
        )
    return rows


@staff_required
def merge_review(request, customer_id: int, other_id: int):
    """Show what merging ``other_id`` into ``customer_id`` does; a confirmed POST merges them."""
    require_merge_permission(request.user)
    survivor = load_customer(request, customer_id)
    merged = load_customer(request, other_id)
    if survivor.pk == merged.pk:
        raise Http404
    preview = actions.merge_preview(survivor=survivor, merged=merged)
    rows = _rows(preview, survivor, merged)
    conflicts = [row for row in rows if row["conflict"]]
    form = MergeForm(request.POST if request.method == "POST" else None, conflicts=conflicts)
    for row in conflicts:
        row["field"] = form["take_" + row["name"]]
    if request.method == "POST" and form.is_valid():
        try:
            actions.merge_customers(
                actor=request.user,
                survivor=survivor,
                merged=merged,
                take_fields=form.take_fields(),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(merged)s (#%(id)s) was merged into %(survivor)s.")
                % {
                    "merged": merged.display_name,
                    "id": merged.pk,
                    "survivor": survivor.display_name,
                },
            )
            return redirect("customers:detail", customer_id=survivor.pk)
    context = {
        "nav": "customers",
        "survivor": survivor,
        "merged": merged,
        "rows": rows,
        "preview": preview,
        "form": form,
    }
    return render(request, "customers/merge.html", context, status=400 if form.errors else 200)


@staff_required
def duplicate_list(request):
    """List the most recently created customers that probably have a duplicate."""
    require_merge_permission(request.user)
    recent = queries.visible_customers(request.user).order_by("-created_at", "-id")[
        :RECENT_CUSTOMERS_CHECKED
    ]
    pairs = []
    for customer in recent:
        candidates = queries.duplicate_candidates(customer, limit=5)
        if candidates:
            pairs.append((customer, candidates))
    return render(
        request,
        "customers/duplicates.html",
        {"nav": "customers", "pairs": pairs, "checked": RECENT_CUSTOMERS_CHECKED},
    )
