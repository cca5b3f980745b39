"""WebSocket routes of the live chat."""

from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from rapport.chat.consumers import AgentConsumer, VisitorConsumer

websocket_urlpatterns = [
    # Visitors come from customers' web sites: the consumer checks CHAT_ALLOWED_ORIGINS.
    path("ws/chat/visitor/", VisitorConsumer.as_asgi()),
    # Staff sockets carry the session cookie, so only Rapport's own pages may open them.
    path("ws/chat/agent/", AllowedHostsOriginValidator(AgentConsumer.as_asgi())),
    path(
        "ws/chat/agent/<int:conversation_id>/",
        AllowedHostsOriginValidator(AgentConsumer.as_asgi()),
    ),
]
