from django.contrib import admin

from rapport.improvement.models import Initiative


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ("title", "kpi", "status", "owner", "start_date", "end_date")
    list_filter = ("status", "kpi", "direction")
    search_fields = ("title", "problem", "hypothesis", "action")
    date_hierarchy = "start_date"
    raw_id_fields = ("owner", "created_by")
    readonly_fields = ("created_by", "created_at", "updated_at", "closed_at")
