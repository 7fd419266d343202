"""Review sites (#30.9): where a campaign sends its promoters to write a review (Google, Trustpilot,
an app store …), each shown only to the promoters it fits, and the clicks on them. Imported into
surveys.models, where Django finds them. Who sees which site, saving them and recording a click are
surveys.review_sites."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewSite(models.Model):
    campaign = models.ForeignKey(
        "surveys.Campaign", on_delete=models.CASCADE, related_name="review_sites", verbose_name=_("campaign")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("site"), max_length=60, help_text=_("E.g. Google, Trustpilot, App Store."))
    url = models.URLField(_("review link"), max_length=500, help_text=_("The page where customers write the review."))
    label = models.CharField(
        _("button text"),
        max_length=100,
        blank=True,
        help_text=_("Empty for “Review us on …” in the reader's language."),
    )
    # Shown only to promoters who read this language (empty: any) and whose contact has every one of
    # these segment attributes ({"plan": "pro"}; empty: anyone, also anonymous answers).
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    segment = models.JSONField(_("segment"), default=dict, blank=True)
    # The button text in other languages: {"nl": {"label": "…"}}.
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("review site")
        verbose_name_plural = _("review sites")

    def __str__(self):
        return self.name


class ReviewClick(models.Model):
    """A promoter followed a review site's link from their thank-you page: once per answer and site.
    Only that they went there; nothing about the review itself (there is no way to know, and no
    wish to)."""

    site = models.ForeignKey(ReviewSite, on_delete=models.CASCADE, related_name="clicks")
    response = models.ForeignKey("surveys.Response", on_delete=models.CASCADE, related_name="review_clicks")
    clicked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "response"], name="review_click_once")]
        verbose_name = _("review click")
        verbose_name_plural = _("review clicks")
