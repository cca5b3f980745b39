"""Read-only admin of the assistant's exchanges (they are written by the actions only)."""

from django.contrib import admin

from rapport.assistant.models import AssistantSession, AssistantTurn


class TurnInline(admin.TabularInline):
    model = AssistantTurn
    fields = ("created_at", "role", "text", "translation", "helpful", "explanation")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AssistantSession)
class AssistantSessionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "language", "customer", "status", "conversation")
    list_filter = ("channel", "status", "language")
    search_fields = ("name", "email")
    readonly_fields = (
        "channel",
        "language",
        "customer",
        "name",
        "email",
        "status",
        "conversation",
        "created_at",
        "updated_at",
    )
    exclude = ("token_hash",)
    inlines = [TurnInline]

    def has_add_permission(self, request) -> bool:
        return False
