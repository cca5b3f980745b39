"""URLs of self-service reports under /kb/reports/."""

from django.urls import path

from rapport.kb.views import reports

app_name = "kb_reports"

urlpatterns = [
    path("", reports.overview, name="overview"),
]
