from django.urls import path

from rapport.mail import views

app_name = "mail"

urlpatterns = [
    path("inbound/", views.inbound_webhook, name="inbound"),
    path("quarantine/", views.received_list, name="quarantine"),
    path("quarantine/<int:inbound_id>/raw/", views.download_raw, name="raw"),
    path("quarantine/<int:inbound_id>/replay/", views.replay, name="replay"),
]
