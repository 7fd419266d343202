"""Touchpoints: the stages of the customer journey a campaign asks about."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models.common import translated_name


class Touchpoint(models.Model):
    """A stage of the customer journey: sales, onboarding, support, billing, renewal …"""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # The name in other languages: {"nl": {"name": "Klantenservice"}} (surveys.wording.translated).
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")

    def __str__(self):
        return translated_name(self)
