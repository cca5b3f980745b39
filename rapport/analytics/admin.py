"""The value model fits and customers' scores for administrators: read-only, written by scoring."""

from django.contrib import admin

from rapport.analytics.models import CustomerValue, ValueModelFit


class ReadOnlyAdmin(admin.ModelAdmin):
    """Show rows without letting anyone change them: ``scoring.score_customers`` owns them."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ValueModelFit)
class ValueModelFitAdmin(ReadOnlyAdmin):
    list_display = ("fitted_at", "kind", "outcome", "log_likelihood", "customers", "converged")
    list_filter = ("kind", "outcome", "converged")


@admin.register(CustomerValue)
class CustomerValueAdmin(ReadOnlyAdmin):
    list_display = ("customer", "segment", "p_alive", "clv", "currency", "scored_at")
    list_filter = ("segment", "valuable")
    raw_id_fields = ("customer", "fit")
    list_select_related = ("customer",)
