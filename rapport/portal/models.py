"""Sign-in links for the customer portal."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalLoginToken(models.Model):
    """A one-time sign-in link sent by email. Only the SHA-256 hash of its secret is stored."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="portal_login_tokens"
    )
    email = models.EmailField(_("email"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("portal sign-in link")
        verbose_name_plural = _("portal sign-in links")

    def __str__(self) -> str:
        return f"{self.email} ({self.created_at:%Y-%m-%d %H:%M})"
