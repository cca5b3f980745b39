"""ASGI entry point: HTTP through Django, WebSockets (live chat) through Channels.

``rapport serve`` runs this with uvicorn; production servers use ``rapport.asgi:application``.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from rapport.chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The widget runs on customers' own web sites, so the visitor socket checks its origin
        # itself (rapport.chat.consumers); staff sockets rely on the session cookie and are
        # limited to Rapport's own hosts (rapport.chat.routing).
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
