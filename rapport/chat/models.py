"""Live-chat sessions of website visitors and the presence of the agents who answer them."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(raw: str) -> str:
    """Return the SHA-256 hex digest a visitor token is stored as."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class SessionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class ChatSession(models.Model):
    """One visitor's chat from the widget: who they are, which conversation it feeds.

    The visitor holds a random token; only its SHA-256 hash is stored, so a database dump
    cannot be used to read or write anybody's chat.
    """

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="chat_sessions",
        verbose_name=_("customer"),
    )
    conversation = models.ForeignKey(
        "helpdesk.Conversation",
        on_delete=models.CASCADE,
        related_name="chat_sessions",
        verbose_name=_("conversation"),
    )
    # The visitor sees the conversation from this message on (their first one), never
    # what was written before on other channels.
    first_message_id = models.BigIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=8, choices=SessionStatus.choices, default=SessionStatus.ACTIVE
    )
    visitor_name = models.CharField(_("visitor name"), max_length=200, blank=True)
    visitor_email = models.EmailField(_("visitor email"), blank=True)
    page_url = models.CharField(_("page"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_seen_at = models.DateTimeField(_("visitor last seen"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("chat session")
        verbose_name_plural = _("chat sessions")
        indexes = [
            models.Index(fields=["status", "-last_seen_at"], name="chat_session_recent"),
            models.Index(fields=["conversation", "status"], name="chat_session_conversation"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_name or self.visitor_email or self.pk} ({self.status})"

    @staticmethod
    def new_token() -> str:
        return "rcv_" + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.status == SessionStatus.ACTIVE


class AgentPresence(models.Model):
    """When a staff member last had a chat console open (their console pings every 30 s)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_presence"
    )
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("agent presence")
        verbose_name_plural = _("agent presences")

    def __str__(self) -> str:
        return f"{self.user} {self.last_seen_at:%H:%M:%S}"
