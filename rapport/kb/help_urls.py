"""URLs of the public help centre under /help/."""

app_name = "help"

urlpatterns: list = []
