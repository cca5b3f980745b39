"""Reviews of the shop and its products, collected on review sites and in the shop itself.

A review is identified by its site (``source``, a slug such as "trustpilot") and that site's
id for it (``external_id``): ingesting the same pair again updates the review. Ratings are
kept as written (``original_rating`` of ``original_scale``) and normalised to 1-5
(``rating``) so dashboards can compare sites; see ``normalise_rating`` for the mapping.

Sources are free slugs checked by ``validate_source``, not a table and not a closed list:
a new site needs no code change or admin step, and two different unknown sites never share
an "other" bucket (where their external ids could collide). ``KnownSource`` only gives the
common ones a translated name.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.sentiment.scoring import Label

SOURCE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
ONE_DECIMAL = Decimal("0.1")


class KnownSource(models.TextChoices):
    """Review sites with a translated name; any other slug is allowed and shown as written."""

    TRUSTPILOT = "trustpilot", _("Trustpilot")
    GOOGLE = "google", _("Google")
    SHOP = "shop", _("our shop")
    APP_STORE = "app-store", _("App Store")
    PLAY_STORE = "play-store", _("Google Play")
    TRUSTED_SHOPS = "trusted-shops", _("Trusted Shops")
    AMAZON = "amazon", _("Amazon")


class Scale(models.IntegerChoices):
    """The scales a rating may be given on; each maps linearly onto 1-5 (see ``SCALE_RANGES``)."""

    FIVE = 5, _("1 to 5")
    TEN = 10, _("0 to 10")
    HUNDRED = 100, _("0 to 100")


#: The lowest and highest rating of each scale. Stars start at 1 (there is no zero-star
#: review); ten- and hundred-point scales start at 0 like the NPS question and percentages.
SCALE_RANGES: dict[int, tuple[int, int]] = {5: (1, 5), 10: (0, 10), 100: (0, 100)}


def normalise_rating(value: Decimal, scale: int) -> Decimal:
    """Return ``value`` on ``scale`` mapped linearly onto 1-5, rounded half up to one decimal.

    ``rating = 1 + 4 * (value - low) / (high - low)``: the worst rating of every scale is 1,
    the best is 5. So 4 of 5 is 4.0, 75 of 100 is 4.0, 8 of 10 is 4.2 and 0 of 10 is 1.0.
    """
    low, high = SCALE_RANGES[scale]
    exact = 1 + 4 * (Decimal(value) - low) / (high - low)
    return exact.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def validate_source(value: str) -> None:
    """Refuse source names that are not a slug of lower-case letters, digits and hyphens."""
    if not SOURCE_RE.match(value or ""):
        raise ValidationError(
            _(
                "Use a source name of 1 to 40 lower-case letters, digits and hyphens, "
                "such as “trustpilot” or “app-store”."
            ),
            code="invalid_source",
        )


def source_label(slug: str) -> str:
    """Return the translated name of a known source, else the slug as written."""
    try:
        return str(KnownSource(slug).label)
    except ValueError:
        return slug


class Review(models.Model):
    """One review from one site, matched to a customer by the author's email when possible."""

    source = models.CharField(_("source"), max_length=40, validators=[validate_source])
    external_id = models.CharField(_("ID at the source"), max_length=200)
    # 1.0 .. 5.0; empty for a review that has only words.
    rating = models.DecimalField(_("rating"), max_digits=2, decimal_places=1, null=True, blank=True)
    original_rating = models.DecimalField(
        _("original rating"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    original_scale = models.PositiveSmallIntegerField(
        _("original scale"), choices=Scale.choices, null=True, blank=True
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    author_email = models.EmailField(_("author's email"), max_length=254, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), default=timezone.now)
    language = models.CharField(_("language"), max_length=8, blank=True)
    product = models.ForeignKey(
        "commerce.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("product"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("customer"),
    )
    # Empty when there are no words to judge, or they are in a language the scorer does not know.
    sentiment = models.CharField(_("sentiment"), max_length=8, choices=Label.choices, blank=True)
    sentiment_score = models.FloatField(_("sentiment score"), null=True, blank=True)
    # [{"text": "zu spät", "weight": -2.0}, ...]: the phrases that carried the judgement.
    sentiment_phrases = models.JSONField(default=list, blank=True)
    # Counts changes of content; each change gets its own timeline event.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="reviews_unique_source_external_id"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="reviews_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["-reviewed_at", "-id"], name="reviews_recent"),
            models.Index(fields=["customer", "-reviewed_at"], name="reviews_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"

    @property
    def source_label(self) -> str:
        return source_label(self.source)

    @property
    def positive_phrases(self) -> list[dict]:
        return [p for p in self.sentiment_phrases if p.get("weight", 0) > 0]

    @property
    def negative_phrases(self) -> list[dict]:
        return [p for p in self.sentiment_phrases if p.get("weight", 0) < 0]
