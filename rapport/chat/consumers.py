"""The chat's WebSockets: one for visitors (the widget), one for agents (the console).

Frames are JSON objects with a ``type``. A visitor authenticates with its session token in
its first frame (``{"type": "hello", "token": ..., "last_id": N}``; ``?token=`` in the URL
works too) and is sent every message after ``last_id`` again, so a reconnect loses nothing.
Refusals are ``{"type": "error", "code": ..., "message": ...}`` frames, followed by a close
with code 4401 (bad token), 4403 (wrong origin) or 4408 (no hello in time).

When the chat ends (the visitor's ``end``, the agent's "End chat", or a solve in the helpdesk;
a ping or the console's hello still checks for a solve in case that news was lost) visitors
get ``{"type": "ended", "from": ...}`` with a ``survey`` to answer through
``/chat/api/survey`` when the customer is to be asked.
"""

import asyncio
import json
import time
from collections import deque
from urllib.parse import parse_qs, urlsplit

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.utils import translation
from django.utils.translation import gettext as _

from rapport.chat import actions, queries
from rapport.chat.delivery import (
    agents_group,
    ended_frame,
    message_frame,
    session_group,
    visitors_group,
)
from rapport.helpdesk.actions import HelpdeskError
from rapport.helpdesk.models import Conversation, DeliveryStatus, Message
from rapport.helpdesk.queries import get_conversation

HELLO_TIMEOUT = 10
TYPING_INTERVAL = 1.0
PRESENCE_INTERVAL = 20.0


HEALTH_CHECK_SECONDS = 30.0
_last_health_check = 0.0


def _check_connections() -> None:
    global _last_health_check
    now = time.monotonic()
    if now - _last_health_check < HEALTH_CHECK_SECONDS:
        return
    _last_health_check = now
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.is_usable():
            connection.close()


def database_sync_to_async(func):
    """Run ``func`` in the one thread that does the sockets' database work, keeping its connection.

    Channels' own ``database_sync_to_async`` closes the connection after every call (with
    ``CONN_MAX_AGE=0``); for a socket sending many small messages that costs more than the
    queries (on SQLite each close checkpoints the WAL). Here the connection stays open, is
    checked every 30 s, and is dropped after a database error so the next call reconnects.
    """

    def run(*args, **kwargs):
        _check_connections()
        try:
            return func(*args, **kwargs)
        except (InterfaceError, OperationalError):
            connections.close_all()
            raise

    return sync_to_async(run, thread_sensitive=True)


def origin_allowed(scope) -> bool:
    """Return True when the socket's Origin may use the widget (``CHAT_ALLOWED_ORIGINS``)."""
    allowed = settings.CHAT_ALLOWED_ORIGINS
    if not allowed or "*" in allowed:
        return True
    origin = ""
    for name, value in scope.get("headers", []):
        if name == b"origin":
            origin = value.decode("latin-1").strip().lower()
    if not origin:
        return False
    parts = urlsplit(origin)
    normalized = f"{parts.scheme}://{parts.netloc}"
    return normalized in {item.rstrip("/").lower() for item in allowed}


def _error_code(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        codes = (
            [error.code for error in exc.error_list]
            if not hasattr(exc, "error_dict")
            else [error.code for errors in exc.error_dict.values() for error in errors]
        )
        return next((code for code in codes if code), "invalid")
    return getattr(exc, "code", None) or "invalid"


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return getattr(exc, "message", "") or str(exc)


class ChatSocket(AsyncWebsocketConsumer):
    """What both sockets share: frame parsing, size checks, error frames, group frames."""

    language = "en"

    async def dispatch(self, message):
        """Call the handler of ``message`` (without Channels' per-message connection cleanup).

        Channels closes old database connections before every frame and group message, which
        sends each delivered frame through the database thread and behind its queue; our
        database calls manage their connection themselves (``database_sync_to_async`` above).
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def max_frame_chars(self) -> int:
        return settings.CHAT_MAX_MESSAGE_CHARS * 2 + 512

    async def send_json(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def send_error(self, code: str, message: str, **extra) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, **extra})

    async def refuse(self, code: str, message: str, *, close_code: int) -> None:
        await self.send_error(code, message)
        await self.close(code=close_code)

    async def receive(self, text_data=None, bytes_data=None):
        with translation.override(self.language):
            if text_data is None:
                await self.send_error("bad_frame", _("Send text frames with JSON."))
                return
            if len(text_data) > self.max_frame_chars():
                await self.send_error(
                    "too_long",
                    _("Please keep your message under %(limit)d characters.")
                    % {"limit": settings.CHAT_MAX_MESSAGE_CHARS},
                )
                return
            try:
                frame = json.loads(text_data)
            except ValueError:
                frame = None
            if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                await self.send_error("bad_frame", _("This frame is not understood."))
                return
            handler = getattr(self, "on_" + frame["type"], None)
            if handler is None:
                await self.send_error("bad_frame", _("This frame is not understood."))
                return
            await handler(frame)

    async def relay_typing(self, frame: dict, *, group: str, sender: str, name: str) -> None:
        """Tell the other side that this one is typing, at most once per TYPING_INTERVAL."""
        now = time.monotonic()
        typing = bool(frame.get("typing"))
        if typing and now - self.last_typing < TYPING_INTERVAL:
            return
        self.last_typing = now if typing else 0.0
        await self.channel_layer.group_send(
            group,
            {
                "type": "chat.frame",
                "frame": {"type": "typing", "from": sender, "typing": typing, "name": name},
            },
        )

    async def chat_frame(self, event):
        """Forward a frame another process or socket sent to one of our groups."""
        if event.get("sender") == self.channel_name:
            return
        await self.send_json(event["frame"])

    @staticmethod
    def last_id(value) -> int:
        try:
            return max(0, int(value))
        except (TypeError, ValueError):
            return 0


class VisitorConsumer(ChatSocket):
    """The widget's socket: a visitor writes to and reads from their own chat session."""

    async def connect(self):
        self.session = None
        self.groups_joined: list[str] = []
        self.sent: deque[float] = deque()
        self.last_typing = 0.0
        self.hello_timer = None
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.language = actions.visitor_language((query.get("lang") or [""])[0]) or "en"
        await self.accept()
        with translation.override(self.language):
            if not origin_allowed(self.scope):
                await self.refuse(
                    "origin_not_allowed",
                    _("The chat is not available on this web site."),
                    close_code=4403,
                )
                return
        token = (query.get("token") or [""])[0]
        if token:
            await self.on_hello({"token": token, "last_id": (query.get("last_id") or ["0"])[0]})
        else:
            self.hello_timer = asyncio.get_running_loop().call_later(
                HELLO_TIMEOUT, lambda: asyncio.ensure_future(self._hello_timeout())
            )

    async def _hello_timeout(self):
        if self.session is None:
            await self.close(code=4408)

    async def disconnect(self, code):
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def on_hello(self, frame):
        if self.session is not None:
            # Already authenticated: a second hello only asks for the catch-up again (the
            # socket stays bound to its first session whatever token it names).
            last_id = self.last_id(frame.get("last_id"))
            for item in await database_sync_to_async(self._catch_up)(last_id):
                await self.send_json(item)
            return
        with translation.override(self.language):
            session = await database_sync_to_async(queries.session_for_token)(frame.get("token"))
            if session is None:
                await self.refuse(
                    "invalid_token",
                    _("This chat cannot be found any more. Please start a new one."),
                    close_code=4401,
                )
                return
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        self.session = session
        self.language = session.language or self.language
        for group in (session_group(session.pk), visitors_group(session.conversation_id)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        frames = await database_sync_to_async(self._catch_up)(self.last_id(frame.get("last_id")))
        await self.send_json(
            {
                "type": "ready",
                "number": session.conversation.number,
                "name": session.visitor_name,
            }
        )
        for item in frames:
            await self.send_json(item)

    def _catch_up(self, after_id: int) -> list[dict]:
        actions.touch_session(session=self.session)
        actions.close_solved_chat(conversation_id=self.session.conversation_id)
        return [
            message_frame(message, for_visitor=True)
            for message in queries.visitor_messages(self.session, after_id=after_id)
        ]

    async def _require_session(self) -> bool:
        if self.session is None:
            await self.refuse(
                "not_authenticated", _("Say hello with your chat token first."), close_code=4401
            )
            return False
        return True

    def _rate_limited(self) -> float:
        """Return the seconds to wait before the next message, or 0 when it may be sent."""
        now = time.monotonic()
        window = settings.CHAT_RATE_WINDOW_SECONDS
        while self.sent and self.sent[0] <= now - window:
            self.sent.popleft()
        if len(self.sent) >= settings.CHAT_RATE_LIMIT_MESSAGES:
            return round(self.sent[0] + window - now, 1)
        self.sent.append(now)
        return 0

    async def on_message(self, frame):
        if not await self._require_session():
            return
        wait = self._rate_limited()
        if wait:
            await self.send_error(
                "rate_limited",
                _("You are sending messages very quickly. Please wait a moment."),
                retry_after=wait,
                client_id=frame.get("client_id") or "",
            )
            return
        try:
            await database_sync_to_async(actions.post_visitor_message)(
                session=self.session,
                body=frame.get("body"),
                client_id=frame.get("client_id") or "",
            )
        except (ValidationError, actions.ChatError, HelpdeskError) as exc:
            code = _error_code(exc)
            await self.send_error(code, _error_text(exc), client_id=frame.get("client_id") or "")
            if code == "session_ended":
                await self.close(code=4401)
        except DatabaseError:
            await self.send_error(
                "unavailable",
                _("Something went wrong. Please try again."),
                client_id=frame.get("client_id") or "",
            )

    async def on_typing(self, frame):
        if not await self._require_session():
            return
        await self.relay_typing(
            frame,
            group=agents_group(self.session.conversation_id),
            sender="visitor",
            name=self.session.visitor_name,
        )

    async def on_ping(self, frame):
        if self.session is not None:
            await database_sync_to_async(self._keep_alive)()
        await self.send_json({"type": "pong"})

    def _keep_alive(self) -> None:
        actions.touch_session(session=self.session)
        # The helpdesk ends the chat at a solve; should that have failed, the next ping does.
        actions.close_solved_chat(conversation_id=self.session.conversation_id)

    async def on_end(self, frame):
        if not await self._require_session():
            return
        ended = await database_sync_to_async(self._end)()
        await self.channel_layer.group_send(
            agents_group(self.session.conversation_id),
            {"type": "chat.frame", "frame": {"type": "ended", "from": "visitor"}},
        )
        # The session's other sockets (more tabs) learn it too, with the same survey.
        await self.channel_layer.group_send(
            session_group(self.session.pk),
            {"type": "chat.frame", "frame": ended, "sender": self.channel_name},
        )
        await self.send_json(ended)
        await self.close(code=1000)

    def _end(self) -> dict:
        invitation = actions.end_chat(session=self.session)
        return ended_frame(by="visitor", invitation=invitation)


class AgentConsumer(ChatSocket):
    """A staff member's console: live messages of one conversation, or presence only."""

    async def connect(self):
        self.user = self.scope.get("user")
        self.conversation = None
        self.last_typing = 0.0
        self.last_presence = 0.0
        if (
            self.user is None
            or not self.user.is_authenticated
            or not getattr(self.user, "is_staff_member", False)
        ):
            await self.close(code=4403)
            return
        self.language = self.user.language or settings.LANGUAGE_CODE
        conversation_id = self.scope["url_route"]["kwargs"].get("conversation_id")
        if conversation_id is not None:
            self.conversation = await database_sync_to_async(self._load)(conversation_id)
            if self.conversation is None:
                await self.close(code=4403)
                return
            await self.channel_layer.group_add(
                agents_group(self.conversation.pk), self.channel_name
            )
        await self.accept()
        await self._mark_present()

    def _load(self, conversation_id) -> Conversation | None:
        try:
            return get_conversation(self.user, conversation_id)
        except Conversation.DoesNotExist:
            return None

    async def disconnect(self, code):
        if self.conversation is not None:
            await self.channel_layer.group_discard(
                agents_group(self.conversation.pk), self.channel_name
            )

    async def _mark_present(self):
        self.last_presence = time.monotonic()
        await database_sync_to_async(actions.mark_agent_present)(user=self.user)

    async def on_ping(self, frame):
        if time.monotonic() - self.last_presence >= PRESENCE_INTERVAL:
            await self._mark_present()
        await self.send_json({"type": "pong"})

    async def _require_conversation(self) -> bool:
        if self.conversation is None:
            await self.send_error("no_conversation", _("Open a conversation's chat first."))
            return False
        return True

    async def on_hello(self, frame):
        if not await self._require_conversation():
            return
        frames = await database_sync_to_async(self._catch_up)(self.last_id(frame.get("last_id")))
        await self.send_json({"type": "ready", "number": self.conversation.number})
        for item in frames:
            await self.send_json(item)

    def _catch_up(self, after_id: int) -> list[dict]:
        # The console opens again on the conversation's page after the agent solved it there:
        # that ends the chat at once (the visitor's ping would, within 30 s).
        actions.close_solved_chat(conversation_id=self.conversation.pk)
        return [
            message_frame(message, for_visitor=False)
            for message in queries.chat_messages(self.conversation, after_id=after_id)
        ]

    async def on_message(self, frame):
        if not await self._require_conversation():
            return
        try:
            message = await database_sync_to_async(self._reply)(frame.get("body"))
        except (ValidationError, actions.ChatError, HelpdeskError) as exc:
            await self.send_error(_error_code(exc), _error_text(exc))
            return
        except DatabaseError:
            await self.send_error("unavailable", _("Something went wrong. Please try again."))
            return
        if message.delivery_status == DeliveryStatus.FAILED:
            await self.send_error(
                "not_delivered",
                _("The visitor has left the chat; the reply is kept in the conversation."),
                id=message.pk,
            )

    def _reply(self, body) -> Message:
        # Checked again per reply: the agent may have lost access since the socket opened.
        try:
            conversation = get_conversation(self.user, self.conversation.pk)
        except Conversation.DoesNotExist:
            raise actions.ChatError(
                "forbidden", _("You may no longer answer in this conversation.")
            ) from None
        message = actions.post_agent_reply(conversation=conversation, author=self.user, body=body)
        message.refresh_from_db(fields=["delivery_status"])
        return message

    async def on_typing(self, frame):
        if not await self._require_conversation():
            return
        await self.relay_typing(
            frame,
            group=visitors_group(self.conversation.pk),
            sender="agent",
            name=self.user.first_name or self.user.get_full_name(),
        )
