"""The customer 360 page and the small forms on it (contact points, consent, notes, activities).

Each form posts to its own URL. An htmx request gets the re-rendered section back (plus the
timeline out of band, since every change lands there); a plain request is redirected to the
page, or gets the whole page with the form's errors.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.accounts.access import staff_required
from rapport.commerce.queries import purchase_summary, visible_orders
from rapport.customers import actions, queries
from rapport.customers.forms import (
    ActivityForm,
    ConsentForm,
    ContactPointForm,
    NoteForm,
    add_errors,
    ui_locale,
)
from rapport.customers.greetings import greeting
from rapport.customers.models import ConsentSource, ContactPoint, Customer, CustomFieldDefinition
from rapport.customers.views.access import can_merge, load_customer
from rapport.timeline import actions as timeline_actions

TIMELINE_PAGE = 20
ORDERS_SHOWN = 20
DUPLICATES_SHOWN = 5
CONSENT_HISTORY = 50


def _load(request, customer_id) -> Customer:
    customer = load_customer(request, customer_id)
    # One query for the header and profile instead of three lazy ones.
    return (
        queries.visible_customers(request.user)
        .select_related("organization", "account_manager")
        .prefetch_related("tags")
        .get(pk=customer.pk)
    )


def _contacts_context(customer, form=None) -> dict:
    return {
        "customer": customer,
        "contacts": list(customer.contact_points.all()),
        "contact_form": form or ContactPointForm(),
    }


def _consent_context(customer, form=None) -> dict:
    current = queries.current_consents(customer)
    return {
        "customer": customer,
        "consents": [(purpose, current[purpose.value]) for purpose in _purposes()],
        "consent_history": list(customer.consents.select_related("recorded_by")[:CONSENT_HISTORY]),
        "consent_form": form or ConsentForm(),
    }


def _purposes():
    from rapport.customers.models import ConsentPurpose

    return list(ConsentPurpose)


def _timeline_context(customer, *, before=None, note_form=None, activity_form=None) -> dict:
    events, next_cursor = queries.timeline_page(customer, before=before, limit=TIMELINE_PAGE)
    return {
        "customer": customer,
        "events": events,
        "next_cursor": next_cursor,
        "timeline_offset": bool(before),
        "note_form": note_form or NoteForm(),
        "activity_form": activity_form or ActivityForm(),
    }


def _custom_fields(customer) -> list[tuple[str, object]]:
    values = customer.custom_fields or {}
    german = ui_locale() == "de"
    rows = []
    for definition in CustomFieldDefinition.objects.all():
        if definition.key in values:
            label = definition.label_de if german and definition.label_de else definition.label
            rows.append((label, values[definition.key]))
    return rows


def _detail_context(request, customer, **forms) -> dict:
    orders = list(
        visible_orders(request.user)
        .filter(customer=customer)
        .annotate(line_count=Count("lines"))
        .order_by("-ordered_at", "-id")[:ORDERS_SHOWN]
    )
    context = {
        "nav": "customers",
        "customer": customer,
        "greeting": greeting(customer),
        "local_time": customer.local_time(),
        "custom_fields": _custom_fields(customer),
        "orders": orders,
        "summary": purchase_summary(customer),
        "duplicates": queries.duplicate_candidates(customer, limit=DUPLICATES_SHOWN),
        "can_merge": can_merge(request.user),
    }
    context.update(_contacts_context(customer, forms.get("contact_form")))
    context.update(_consent_context(customer, forms.get("consent_form")))
    context.update(
        _timeline_context(
            customer,
            before=request.GET.get("before") or None,
            note_form=forms.get("note_form"),
            activity_form=forms.get("activity_form"),
        )
    )
    return context


@staff_required
def customer_detail(request, customer_id: int):
    customer = _load(request, customer_id)
    return render(request, "customers/detail.html", _detail_context(request, customer))


@staff_required
def customer_timeline(request, customer_id: int):
    """Return the next page of the timeline (htmx "load more"); plain requests go to the page."""
    customer = load_customer(request, customer_id)
    before = request.GET.get("before") or None
    if not request.htmx:
        url = reverse("customers:detail", args=[customer.pk])
        return redirect(f"{url}?{urlencode({'before': before or ''})}#timeline")
    return render(
        request, "customers/_timeline_items.html", _timeline_context(customer, before=before)
    )


def _after_change(request, customer, *, ok: bool, section: str, message: str, **forms):
    """Answer a form post on the 360 page (see the module docstring)."""
    if request.htmx:
        templates = {
            "contacts": ("customers/_contacts.html", _contacts_context),
            "consent": ("customers/_consent.html", _consent_context),
        }
        if section == "timeline":
            context = _timeline_context(
                customer,
                note_form=forms.get("note_form"),
                activity_form=forms.get("activity_form"),
            )
            return render(request, "customers/_timeline.html", context)
        template, build = templates[section]
        context = build(customer, next(iter(forms.values()), None))
        if ok:
            context.update(_timeline_context(customer), oob_timeline=True)
        return render(request, template, context)
    if ok:
        messages.success(request, message)
        return redirect(reverse("customers:detail", args=[customer.pk]) + f"#{section}")
    customer = _load(request, customer.pk)
    return render(
        request, "customers/detail.html", _detail_context(request, customer, **forms), status=400
    )


def _submit_small_form(request, customer, form_class, form_name, section, message, action):
    """Validate one of the 360 page's small forms, call ``action(cleaned_data)``, answer the page."""
    form = form_class(request.POST)
    ok = False
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            ok, form = True, None
    return _after_change(
        request, customer, ok=ok, section=section, message=message, **{form_name: form}
    )


@staff_required
@require_POST
def contact_add(request, customer_id: int):
    customer = load_customer(request, customer_id)
    return _submit_small_form(
        request,
        customer,
        ContactPointForm,
        "contact_form",
        "contacts",
        _("The contact was added."),
        lambda data: actions.add_contact_point(actor=request.user, customer=customer, **data),
    )


def _load_contact(request, customer_id, contact_id) -> tuple[Customer, ContactPoint]:
    customer = load_customer(request, customer_id)
    try:
        return customer, customer.contact_points.get(pk=int(contact_id))
    except (ContactPoint.DoesNotExist, ValueError):
        raise Http404 from None


@staff_required
@require_POST
def contact_remove(request, customer_id: int, contact_id: int):
    customer, point = _load_contact(request, customer_id, contact_id)
    actions.remove_contact_point(actor=request.user, contact_point=point)
    return _after_change(
        request,
        customer,
        ok=True,
        section="contacts",
        message=_("The contact %(value)s was removed.") % {"value": point.value},
    )


@staff_required
@require_POST
def contact_make_primary(request, customer_id: int, contact_id: int):
    customer, point = _load_contact(request, customer_id, contact_id)
    actions.set_primary_contact(actor=request.user, contact_point=point)
    return _after_change(
        request,
        customer,
        ok=True,
        section="contacts",
        message=_("%(value)s is now the primary contact.") % {"value": point.value},
    )


@staff_required
@require_POST
def consent_record(request, customer_id: int):
    customer = load_customer(request, customer_id)
    return _submit_small_form(
        request,
        customer,
        ConsentForm,
        "consent_form",
        "consent",
        _("The consent decision was recorded."),
        lambda data: actions.record_consent(
            actor=request.user, customer=customer, source=ConsentSource.AGENT, **data
        ),
    )


@staff_required
@require_POST
def note_add(request, customer_id: int):
    customer = load_customer(request, customer_id)
    return _submit_small_form(
        request,
        customer,
        NoteForm,
        "note_form",
        "timeline",
        _("The note was added."),
        lambda data: timeline_actions.add_note(
            customer=customer, actor=request.user, body=data["body"]
        ),
    )


@staff_required
@require_POST
def activity_add(request, customer_id: int):
    customer = load_customer(request, customer_id)
    return _submit_small_form(
        request,
        customer,
        ActivityForm,
        "activity_form",
        "timeline",
        _("The activity was logged."),
        lambda data: timeline_actions.log_activity(customer=customer, actor=request.user, **data),
    )
