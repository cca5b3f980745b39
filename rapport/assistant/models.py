"""Exchanges with the self-service assistant, kept whole for the hand-over to a person."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SessionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    HANDED_OVER = "handed_over", _("Handed over")
    CLOSED = "closed", _("Closed")


class SessionChannel(models.TextChoices):
    CHAT = "chat", _("Chat widget")
    PORTAL = "portal", _("Portal")


class AssistantSession(models.Model):
    """One customer's (or visitor's) exchange with the assistant.

    A visitor holds the session by a token whose SHA-256 hash is stored. When the assistant
    hands over, ``conversation`` is the helpdesk conversation that received the exchange.
    """

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    channel = models.CharField(max_length=16, choices=SessionChannel.choices)
    language = models.CharField(max_length=16, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assistant_sessions",
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=16, choices=SessionStatus.choices, default=SessionStatus.OPEN
    )
    conversation = models.ForeignKey(
        "helpdesk.Conversation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assistant_sessions",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("assistant session")
        verbose_name_plural = _("assistant sessions")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.created_at:%Y-%m-%d %H:%M}"


class TurnRole(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    ASSISTANT = "assistant", _("Assistant")


class AssistantTurn(models.Model):
    """A question or an answer; an answer names its article, passage, score and reasons."""

    session = models.ForeignKey(AssistantSession, on_delete=models.CASCADE, related_name="turns")
    role = models.CharField(max_length=16, choices=TurnRole.choices)
    text = models.TextField()
    translation = models.ForeignKey(
        "kb.ArticleTranslation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # For answers: {"articles": [{slug, language, score}...], "passage": ..., "score": ...,
    # "handoff": bool, "reason": code, "signals": {...}} (what agents see as the explanation).
    explanation = models.JSONField(default=dict, blank=True)
    helpful = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("assistant turn")
        verbose_name_plural = _("assistant turns")

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:60]}"


class ChunkVector(models.Model):
    """A text's embedding by one model (``rapport.assistant.embeddings``), found by the
    text's digest: computed once, whichever article version or process needs it."""

    model = models.CharField(max_length=16)
    digest = models.CharField(max_length=64)  # SHA-256 of the text, hex
    vector = models.BinaryField()  # float32, unit length
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "digest"], name="assistant_vector_unique")
        ]

    def __str__(self) -> str:
        return f"{self.model}:{self.digest[:12]}"
