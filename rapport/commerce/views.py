"""Staff pages for products and orders."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render

from rapport.accounts.access import staff_required
from rapport.commerce.forms import ProductFilterForm
from rapport.commerce.models import Order
from rapport.commerce.queries import visible_orders, visible_products

PRODUCTS_PER_PAGE = 50


@staff_required
def product_list(request):
    categories = (
        visible_products(request.user)
        .exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )
    form = ProductFilterForm(request.GET or None, categories=list(categories))
    products = visible_products(request.user)
    page_number = 1
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"].strip()
        if query:
            products = products.filter(Q(sku__istartswith=query) | Q(name__icontains=query))
        if form.cleaned_data["category"]:
            products = products.filter(category=form.cleaned_data["category"])
        page_number = form.cleaned_data["page"] or 1
    elif form.is_bound:
        products = products.none()
    paginator = Paginator(products.order_by("name", "id"), PRODUCTS_PER_PAGE)
    page = paginator.get_page(page_number)
    context = {"form": form, "page": page, "nav": "products"}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "commerce/_product_results.html", context)
    return render(request, "commerce/product_list.html", context)


@staff_required
def order_detail(request, order_id: int):
    try:
        order = (
            visible_orders(request.user)
            .select_related("customer")
            .prefetch_related("lines")
            .get(pk=order_id)
        )
    except Order.DoesNotExist:
        raise Http404 from None
    return render(request, "commerce/order_detail.html", {"order": order, "nav": "customers"})
