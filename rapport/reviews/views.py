"""Staff pages for reviews: the filtered list and the CSV upload. Thin: parse, authorise,
call, render."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from rapport.accounts.access import staff_required
from rapport.imports.csvfile import FileError
from rapport.reviews.actions import import_review_file
from rapport.reviews.forms import ReviewFilterForm, ReviewImportForm
from rapport.reviews.queries import (
    can_import_reviews,
    filter_reviews,
    known_sources,
    visible_reviews,
)

REVIEWS_PER_PAGE = 50


@staff_required
@require_GET
def review_list(request):
    """List reviews newest first, filtered by source, rating and sentiment."""
    form = ReviewFilterForm(request.GET or None, sources=known_sources())
    reviews = visible_reviews(request.user)
    page_number = 1
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        reviews = filter_reviews(
            reviews,
            source=data["source"],
            rating_min=data["rating_min"] or None,
            rating_max=data["rating_max"] or None,
            sentiment=data["sentiment"],
        )
        page_number = data["page"] or 1
    elif form.is_bound:
        reviews = reviews.none()
    reviews = reviews.select_related("customer", "product").order_by("-reviewed_at", "-id")
    page = Paginator(reviews, REVIEWS_PER_PAGE).get_page(page_number)
    context = {
        "nav": "reviews",
        "form": form,
        "page": page,
        "can_import": can_import_reviews(request.user),
    }
    return render(request, "reviews/list.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def import_reviews(request):
    """Upload a CSV file of reviews and show what happened to each row."""
    if not can_import_reviews(request.user):
        raise PermissionDenied
    report = None
    status = 200
    if request.method == "POST":
        form = ReviewImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = import_review_file(
                    data=data["file"].read(),
                    source=data["source"],
                    scale=data["scale"],
                    actor=request.user,
                    dry_run=data["dry_run"],
                )
            except FileError as exc:
                form.add_error("file", exc.message)
            except ValidationError as exc:
                for name, problems in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, problems)
        if not form.is_valid():
            status = 400
    else:
        form = ReviewImportForm()
    context = {"nav": "reviews", "form": form, "report": report}
    return render(request, "reviews/import.html", context, status=status)
