"""Staff pages of customer value (``/analytics/``)."""

from django.urls import path

from rapport.analytics import views

app_name = "analytics"

urlpatterns = [
    path("at-risk/", views.at_risk, name="at_risk"),
    path("value/", views.dashboard, name="dashboard"),
]
