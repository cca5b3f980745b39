from django.contrib import admin

from rapport.reviews.models import Review


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("source", "external_id", "rating", "sentiment", "customer", "reviewed_at")
    list_filter = ("source", "sentiment")
    search_fields = ("external_id", "author_name", "author_email", "title")
    raw_id_fields = ("customer", "product")
    readonly_fields = ("sentiment", "sentiment_score", "sentiment_phrases", "revision")

    # Reviews change only through ingestion (actions.ingest_reviews), never by hand here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
