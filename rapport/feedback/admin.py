from django.contrib import admin

from rapport.feedback.models import SurveyInvitation, SurveyResponse


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "customer", "conversation", "channel", "status", "send_after")
    list_filter = ("kind", "status", "channel", "trigger")
    raw_id_fields = ("customer", "conversation")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "score",
        "customer",
        "conversation",
        "answered_at",
        "changes",
        "follow_up",
        "loop_closed_at",
    )
    list_filter = ("kind", "channel")
    raw_id_fields = ("invitation", "customer", "conversation", "follow_up", "loop_closed_by")
