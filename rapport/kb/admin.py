"""Administration of the help centre's categories (articles are edited on the /kb/ pages)."""

from django.contrib import admin

from rapport.kb.models import ArticleTranslation, Category, CategoryName, SelfServiceEvent
from rapport.kb.search import index_translations


class CategoryNameInline(admin.TabularInline):
    model = CategoryName
    extra = 1


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("slug", "position")
    list_editable = ("position",)
    search_fields = ("slug", "names__name")
    inlines = [CategoryNameInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The category's names are searchable with its articles.
        index_translations(
            ArticleTranslation.objects.filter(article__category=form.instance).values_list(
                "pk", flat=True
            )
        )


@admin.register(SelfServiceEvent)
class SelfServiceEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "source", "language", "query")
    list_filter = ("kind", "source", "language")
    search_fields = ("query",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
