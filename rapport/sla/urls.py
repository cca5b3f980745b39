from django.urls import path

from rapport.sla import views

app_name = "sla"

urlpatterns = [
    path("", views.service_levels, name="service_levels"),
    path(
        "conversations/<int:conversation_id>/delay-notice/",
        views.delay_notice,
        name="delay_notice",
    ),
]
