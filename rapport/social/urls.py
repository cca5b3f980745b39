from django.urls import path

from rapport.social import views

app_name = "social"

urlpatterns = [
    path("ingest/<slug:slug>/", views.ingest, name="ingest"),
]
