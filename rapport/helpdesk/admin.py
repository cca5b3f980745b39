"""Administration of routing rules, team queues and reply templates (conversations live in the inbox)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from rapport.helpdesk.models import ReplyTemplate, ReplyTemplateVariant, RoutingRule, TeamQueue


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "is_active", "channel", "language", "keywords", "team")
    list_display_links = ("name",)
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "team", "channel")
    search_fields = ("name", "keywords")
    autocomplete_fields = ("customer_tag",)
    fieldsets = (
        (None, {"fields": ("name", "position", "is_active")}),
        (
            _("Conditions"),
            {
                "fields": (
                    "channel",
                    "language",
                    "keywords",
                    "vip_only",
                    "min_loyalty_rank",
                    "customer_tag",
                )
            },
        ),
        (
            _("Outcome"),
            {"fields": ("team", "set_priority", "add_tags", "to_account_manager")},
        ),
    )


@admin.register(TeamQueue)
class TeamQueueAdmin(admin.ModelAdmin):
    list_display = ("team", "assignment", "last_assigned")
    list_editable = ("assignment",)


class VariantInline(admin.StackedInline):
    model = ReplyTemplateVariant
    extra = 1


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "set_status", "set_priority", "add_tags", "updated_at")
    list_filter = ("set_status",)
    search_fields = ("name",)
    inlines = [VariantInline]
