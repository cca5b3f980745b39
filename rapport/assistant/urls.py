"""URLs of the self-service assistant (chat widget and portal) under /assistant/."""

app_name = "assistant"

urlpatterns: list = []
