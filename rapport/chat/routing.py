"""WebSocket routes of the live chat."""

websocket_urlpatterns: list = []
