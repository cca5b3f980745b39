from django.contrib import admin

from rapport.social.models import SocialSource


@admin.register(SocialSource)
class SocialSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "network", "is_active", "reply_url", "created_at")
    list_filter = ("network", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_by", "created_at")
    fields = (
        "name",
        "slug",
        "network",
        "is_active",
        "reply_url",
        "signing_secret",
        "created_by",
        "created_at",
    )

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
