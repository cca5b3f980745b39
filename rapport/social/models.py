"""Connected social media accounts that send us mentions and direct messages."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.customers.models import SocialPlatform


def generate_secret() -> str:
    return "ssec_" + secrets.token_urlsafe(32)


class SocialSource(models.Model):
    """One connected account: its ingest URL is /social/ingest/<slug>/, signed with its secret.

    The secret must be readable to check signatures (HMAC needs the key itself), so it is
    stored as is, shown only to administrators, and never kept in the repository.
    """

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    network = models.CharField(_("network"), max_length=16, choices=SocialPlatform.choices)
    signing_secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=generate_secret,
        help_text=_("Signs ingest requests and the replies sent to the reply URL."),
    )
    reply_url = models.URLField(
        _("reply URL"),
        max_length=500,
        blank=True,
        help_text=_("Replies are POSTed here as signed JSON (the generic webhook adapter)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("social media source")
        verbose_name_plural = _("social media sources")

    def __str__(self) -> str:
        return self.name
