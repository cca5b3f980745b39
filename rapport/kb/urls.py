"""URLs of staff pages under /kb/."""

app_name = "kb"

urlpatterns: list = []
