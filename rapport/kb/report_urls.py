"""URLs of self-service reports under /kb/reports/."""

app_name = "kb_reports"

urlpatterns: list = []
