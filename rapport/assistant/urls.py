"""URLs of the self-service assistant (chat widget and portal) under /assistant/."""

from django.urls import path

from rapport.assistant import views

app_name = "assistant"

urlpatterns = [
    path("api/start", views.api_start, name="api_start"),
    path("api/ask", views.api_ask, name="api_ask"),
    path("api/feedback", views.api_feedback, name="api_feedback"),
    path("api/handover", views.api_handover, name="api_handover"),
    path("portal/", views.portal, name="portal"),
    path("portal/ask/", views.portal_ask, name="portal_ask"),
    path("portal/answers/<int:turn_id>/feedback/", views.portal_feedback, name="portal_feedback"),
    path("portal/person/", views.portal_handover, name="portal_handover"),
    path("portal/new/", views.portal_restart, name="portal_restart"),
]
