"""The website and in-app widget's records: a campaign's widget settings, and when the widget first
saw an identified contact and when they dismissed it (imported by surveys.models)."""

import secrets

from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_widget_key() -> str:
    return "kl_" + secrets.token_urlsafe(15)


def new_widget_secret() -> str:
    return "klsec_" + secrets.token_urlsafe(32)


class WidgetSettings(models.Model):
    """How a widget campaign's widget asks: who, where, when, and how it looks."""

    class Position(models.TextChoices):
        BOTTOM_RIGHT = "bottom-right", _("Bottom right")
        BOTTOM_LEFT = "bottom-left", _("Bottom left")

    campaign = models.OneToOneField("surveys.Campaign", on_delete=models.CASCADE, related_name="widget")
    # The script tag's data-campaign: public, it only names the campaign.
    public_key = models.CharField(max_length=40, unique=True, default=new_widget_key)
    # Signs identified users (HMAC-SHA256 of the user id); known to the company's back end only.
    secret = models.CharField(max_length=80, default=new_widget_secret)
    origins = models.JSONField(
        _("allowed origins"), default=list, blank=True, help_text=_("The sites that may show the widget.")
    )
    anonymous = models.BooleanField(
        _("anonymous answers"),
        default=False,
        help_text=_("Visitors who are not identified (or whose signature is wrong) may answer, without a contact."),
    )
    after_days = models.PositiveIntegerField(_("days since first seen"), default=0)
    url_patterns = models.JSONField(_("pages"), default=list, blank=True)
    event = models.CharField(_("after the event"), max_length=80, blank=True)
    sample_percent = models.PositiveSmallIntegerField(_("sample (%)"), default=100, validators=[MaxValueValidator(100)])
    snooze_days = models.PositiveIntegerField(_("after dismissal, wait (days)"), default=30)
    colour = models.CharField(
        _("brand colour"),
        max_length=7,
        default="#1f5f8b",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour such as #1f5f8b."))],
    )
    position = models.CharField(_("position"), max_length=12, choices=Position.choices, default=Position.BOTTOM_RIGHT)

    class Meta:
        verbose_name = _("widget settings")
        verbose_name_plural = _("widget settings")

    def __str__(self):
        return f"Widget of {self.campaign}"


class WidgetSighting(models.Model):
    """An identified contact the widget of a campaign has seen: since when, and their last dismissal."""

    campaign = models.ForeignKey("surveys.Campaign", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("surveys.Contact", on_delete=models.CASCADE, related_name="+")
    first_seen_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "contact"], name="widget_sighting_once")]
