from django.contrib import admin

from rapport.customers.models import (
    ConsentRecord,
    ContactPoint,
    Customer,
    CustomerMerge,
    CustomFieldDefinition,
    Organization,
    Tag,
)


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    readonly_fields = ("normalized",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "given_name",
        "family_name",
        "country",
        "language",
        "lifecycle_stage",
        "is_vip",
    )
    list_filter = ("lifecycle_stage", "is_vip", "form_of_address")
    search_fields = ("=external_id", "family_key", "given_key")
    show_full_result_count = False
    raw_id_fields = ("organization", "account_manager", "portal_user")
    inlines = [ContactPointInline]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "industry")
    search_fields = ("name",)


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(admin.ModelAdmin):
    list_display = ("key", "label", "label_de", "field_type", "required", "position")
    list_editable = ("position",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ("customer", "purpose", "granted", "source", "wording_version", "recorded_at")
    raw_id_fields = ("customer",)

    def has_change_permission(self, request, obj=None):
        return False  # consent history is append-only


@admin.register(CustomerMerge)
class CustomerMergeAdmin(admin.ModelAdmin):
    list_display = ("survivor", "merged_customer_id", "merged_by", "merged_at")
    raw_id_fields = ("survivor",)
