"""Helpers for the chat's tests: a fresh in-memory channel layer and socket clients."""

import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings as django_settings
from django.core.cache import cache

from rapport.chat import actions

SHOP = "https://shop.example"


class WebsocketCommunicator(ApplicationCommunicator):
    """Drive an ASGI app over the WebSocket protocol in-process.

    (``channels.testing`` would do the same but imports daphne, which Rapport does not use.)
    """

    def __init__(self, application, path: str, headers=None):
        raw_path, _sep, query = path.partition("?")
        scope = {
            "type": "websocket",
            "path": raw_path,
            "query_string": query.encode(),
            "headers": headers or [],
            "subprotocols": [],
        }
        super().__init__(application, scope)

    async def connect(self, timeout: float = 3):
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return True, None

    async def send_json_to(self, data) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def send_text(self, text: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text})

    async def receive_from(self, timeout: float = 3) -> str:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return response["text"]

    async def receive_close(self, timeout: float = 3) -> int:
        """Return the close code of the next output, which must be a close."""
        while True:
            response = await self.receive_output(timeout)
            if response["type"] == "websocket.close":
                return response.get("code", 1000)

    async def disconnect(self, code: int = 1000, timeout: float = 3) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


@pytest.fixture(autouse=True)
def _fresh_channel_layer(settings):
    """Give each test its own in-memory channel layer (its queues belong to one event loop)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CHAT_ALLOWED_ORIGINS = []
    cache.clear()  # the per-address limits of the widget's API
    yield


def run(coroutine_function, *args, **kwargs):
    """Run an async scenario from a synchronous test (database calls stay in this thread)."""
    return async_to_sync(coroutine_function)(*args, **kwargs)


def visitor_socket(*, origin: str = SHOP, query: str = "") -> WebsocketCommunicator:
    from rapport.asgi import application

    path = "/ws/chat/visitor/" + (f"?{query}" if query else "")
    return WebsocketCommunicator(application, path, headers=[(b"origin", origin.encode())])


def login_cookie(client, user) -> str:
    """Log ``user`` in and return their session cookie (call outside the async scenario)."""
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def agent_socket(cookie: str, conversation_id=None, *, origin="http://testserver"):
    from rapport.asgi import application

    path = "/ws/chat/agent/" + (f"{conversation_id}/" if conversation_id else "")
    return WebsocketCommunicator(
        application, path, headers=[(b"origin", origin.encode()), (b"cookie", cookie.encode())]
    )


async def receive(communicator, *, timeout: float = 3) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_until(communicator, frame_type: str, *, timeout: float = 3) -> dict:
    """Return the next frame of ``frame_type``, skipping others (acknowledgements, pongs)."""
    while True:
        frame = await receive(communicator, timeout=timeout)
        if frame["type"] == frame_type:
            return frame


async def hello(communicator, token: str, last_id: int = 0) -> list[dict]:
    """Say hello and return the catch-up message frames that follow "ready"."""
    connected, _code = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "hello", "token": token, "last_id": last_id})
    ready = await receive(communicator)
    assert ready["type"] == "ready", ready
    frames = []
    while not await communicator.receive_nothing(timeout=0.2):
        frames.append(await receive(communicator))
    return frames


@pytest.fixture
def started(cast):
    """A chat started by Anna (known by her email), with its raw token."""
    return actions.start_chat(
        name="Anna Schmidt",
        email="anna@example.org",
        question="Where is my order?",
        page_url="https://shop.example/orders",
        language="de",
    )


@pytest.fixture
def asgi_server(transactional_db):
    """Serve ``rapport.asgi`` with uvicorn on a free loopback port, in a thread of this process.

    pytest-django's live_server speaks WSGI only; the chat needs WebSockets. Running in this
    process keeps the test database (SQLite in memory or PostgreSQL) and the in-memory channel
    layer shared with the test.
    """
    import socket
    import threading
    import time
    from types import SimpleNamespace

    import uvicorn
    from asgiref.sync import SyncToAsync
    from django.db import connection, connections

    from rapport.asgi import application

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(application, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port)
    server.should_exit = True
    thread.join(timeout=15)
    # The sockets' database work ran in asgiref's shared thread: close its connections so
    # the test database can be flushed and dropped.
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)
    sock.close()
    if connection.vendor == "postgresql":
        # A request thread that ended with its client gone may leave its session inside a
        # transaction, whose locks would block the flush. Only such sessions are ended: idle
        # ones may belong to this process's other threads (pytest-django's live server, or
        # the test itself under another context) and must survive.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state LIKE 'idle in transaction%%'"
            )
