"""Organisation pages: list, detail, create and edit."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from rapport.accounts.access import staff_required
from rapport.accounts.queries import staff_users
from rapport.customers import actions, queries
from rapport.customers.forms import OrganizationForm, add_errors
from rapport.customers.models import Organization

CUSTOMERS_SHOWN = 50
FIELDS = ("external_id", "domain", "vat_id", "country", "industry", "phone", "notes")


def _load(request, organization_id) -> Organization:
    try:
        return (
            queries.visible_organizations(request.user)
            .select_related("account_manager")
            .get(pk=int(organization_id))
        )
    except (Organization.DoesNotExist, ValueError):
        raise Http404 from None


@staff_required
def organization_list(request):
    query = request.GET.get("q", "")[:200]
    qs = queries.search_organizations(queries.visible_organizations(request.user), query)
    rows, next_cursor = queries.organization_page(qs, cursor=request.GET.get("cursor") or None)
    context = {
        "nav": "organizations",
        "organizations": rows,
        "next_cursor": next_cursor,
        "query": query,
        "paged": bool(request.GET.get("cursor")),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "customers/_organization_results.html", context)
    return render(request, "customers/organization_list.html", context)


@staff_required
def organization_detail(request, organization_id: int):
    organization = _load(request, organization_id)
    members = queries.visible_customers(request.user).filter(organization=organization)
    customers = list(members.order_by("family_key", "given_key", "id")[: CUSTOMERS_SHOWN + 1])
    queries.attach_primary_contacts(customers)
    return render(
        request,
        "customers/organization_detail.html",
        {
            "nav": "organizations",
            "organization": organization,
            "customers": customers[:CUSTOMERS_SHOWN],
            "more_customers": len(customers) > CUSTOMERS_SHOWN,
        },
    )


def _fields(request, form: OrganizationForm) -> dict | None:
    data = form.cleaned_data
    fields = {name: data.get(name, "") for name in FIELDS}
    fields["external_id"] = fields["external_id"] or None
    fields["account_manager"] = None
    if data.get("account_manager"):
        fields["account_manager"] = staff_users().filter(pk=data["account_manager"]).first()
        if fields["account_manager"] is None:
            form.add_error("account_manager", _("Choose an active staff member."))
            return None
    return fields


def _save(request, form: OrganizationForm, organization: Organization | None):
    fields = _fields(request, form)
    if fields is None:
        return None
    try:
        if organization is None:
            return actions.create_organization(
                actor=request.user, name=form.cleaned_data["name"], **fields
            )
        return actions.update_organization(
            actor=request.user, organization=organization, name=form.cleaned_data["name"], **fields
        )
    except ValidationError as exc:
        add_errors(form, exc)
        return None


@staff_required
def organization_create(request):
    form = OrganizationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        organization = _save(request, form, None)
        if organization is not None:
            messages.success(request, _("%(name)s was created.") % {"name": organization.name})
            return redirect("customers:organization_detail", organization_id=organization.pk)
    return render(
        request,
        "customers/organization_form.html",
        {"nav": "organizations", "form": form, "organization": None},
        status=400 if form.errors else 200,
    )


@staff_required
def organization_edit(request, organization_id: int):
    organization = _load(request, organization_id)
    initial = {name: getattr(organization, name) or "" for name in FIELDS + ("name",)}
    initial["account_manager"] = organization.account_manager_id or ""
    form = OrganizationForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if _save(request, form, organization) is not None:
            messages.success(request, _("The organization was saved."))
            return redirect("customers:organization_detail", organization_id=organization.pk)
    return render(
        request,
        "customers/organization_form.html",
        {"nav": "organizations", "form": form, "organization": organization},
        status=400 if form.errors else 200,
    )
