"""The customer list and the create and edit forms."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from rapport.accounts.access import staff_required
from rapport.accounts.queries import staff_users
from rapport.customers import actions, queries
from rapport.customers.forms import CustomerFilterForm, CustomerForm, add_errors
from rapport.customers.models import CustomFieldDefinition, Tag
from rapport.customers.views.access import load_customer

TAG_CHOICES_LIMIT = 300


@staff_required
def customer_list(request):
    """Search, filter and page through customers; htmx requests get only the results table."""
    tags = list(Tag.objects.values_list("name", flat=True)[:TAG_CHOICES_LIMIT])
    form = CustomerFilterForm(request.GET or None, tags=tags)
    qs = queries.visible_customers(request.user)
    if form.is_bound and not form.is_valid():
        page = queries.customer_page(qs.none())
    elif form.is_bound:
        page = queries.customer_list_page(
            qs,
            query=form.cleaned_data["q"],
            filters=form.filters(),
            sort=form.sort_order(),
            cursor=form.cleaned_data["cursor"] or None,
        )
    else:
        page = queries.customer_page(qs)
    queries.attach_primary_contacts(page.customers)
    filtered = form.is_bound and any(
        form.data.get(name) for name in form.fields if name not in ("sort", "cursor")
    )
    context = {"form": form, "page": page, "filtered": filtered, "nav": "customers"}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "customers/_results.html", context)
    return render(request, "customers/list.html", context)


def _resolve_references(request, form: CustomerForm):
    """Return the organisation and account manager the form names, adding errors for unknown ones."""
    organization = None
    text = form.cleaned_data.get("organization", "")
    if text:
        organization = queries.find_organization(request.user, text)
        if organization is None:
            form.add_error(
                "organization",
                _("There is no organization “%(name)s”. Create it first.") % {"name": text},
            )
    manager = None
    manager_id = form.cleaned_data.get("account_manager")
    if manager_id:
        manager = staff_users().filter(pk=manager_id).first()
        if manager is None:
            form.add_error("account_manager", _("Choose an active staff member."))
    return organization, manager


def _definitions():
    return list(CustomFieldDefinition.objects.all())


@staff_required
def customer_create(request):
    definitions = _definitions()
    form = CustomerForm(
        request.POST if request.method == "POST" else None, creating=True, definitions=definitions
    )
    if request.method == "POST" and form.is_valid():
        organization, manager = _resolve_references(request, form)
        if not form.errors:
            try:
                customer = actions.create_customer(
                    actor=request.user,
                    profile=form.profile(organization=organization, account_manager=manager),
                    contacts=actions.ContactInput(
                        emails=form.lines(form.cleaned_data["emails"]),
                        phones=form.lines(form.cleaned_data["phones"]),
                    ),
                    tags=form.tag_names(),
                    custom_fields=form.custom_values(),
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request, _("%(name)s was created.") % {"name": customer.display_name}
                )
                return redirect("customers:detail", customer_id=customer.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "customers/form.html",
        {"form": form, "customer": None, "nav": "customers"},
        status=status,
    )


def _initial(customer) -> dict:
    initial = {
        name: getattr(customer, name)
        for name in (
            "title",
            "given_name",
            "family_name",
            "preferred_name",
            "salutation",
            "form_of_address",
            "language",
            "country",
            "time_zone",
            "preferred_channel",
            "lifecycle_stage",
            "is_vip",
            "external_id",
        )
    }
    initial["birthday"] = customer.birthday.isoformat() if customer.birthday else ""
    initial["account_manager"] = customer.account_manager_id or ""
    if customer.organization_id:
        initial["organization"] = f"{customer.organization.name} #{customer.organization_id}"
    initial["tags"] = ", ".join(t.name for t in customer.tags.all())
    for key, value in (customer.custom_fields or {}).items():
        initial["cf_" + key] = ("true" if value else "false") if isinstance(value, bool) else value
    return initial


@staff_required
def customer_edit(request, customer_id: int):
    customer = load_customer(request, customer_id)
    definitions = _definitions()
    form = CustomerForm(
        request.POST if request.method == "POST" else None,
        creating=False,
        definitions=definitions,
        initial=_initial(customer),
    )
    if request.method == "POST" and form.is_valid():
        organization, manager = _resolve_references(request, form)
        if not form.errors:
            try:
                actions.update_customer(
                    actor=request.user,
                    customer=customer,
                    profile=form.profile(organization=organization, account_manager=manager),
                    tags=form.tag_names(),
                    custom_fields=form.custom_values(),
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("The profile was saved."))
                return redirect("customers:detail", customer_id=customer.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "customers/form.html",
        {"form": form, "customer": customer, "nav": "customers"},
        status=status,
    )


@staff_required
def organization_suggest(request):
    """Return ``<option>``s of organisations whose name starts with ``organization`` (htmx)."""
    text = request.GET.get("organization", "")[:200]
    found = []
    if text.strip() and "#" not in text:
        qs = queries.search_organizations(queries.visible_organizations(request.user), text)
        found = list(qs.order_by("name_key", "id")[:10])
    return render(request, "customers/_organization_options.html", {"organizations": found})
