from django.contrib import admin

from rapport.commerce.models import Order, OrderLine, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "category", "price", "currency", "is_active")
    search_fields = ("sku", "name")


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ("product",)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "ordered_at", "status", "total", "currency")
    list_filter = ("status",)
    raw_id_fields = ("customer",)
    show_full_result_count = False
    inlines = [OrderLineInline]
