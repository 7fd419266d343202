"""The website and in-app widget's records: a campaign's widget settings, and when the widget first
saw an identified contact and when they dismissed it (imported by surveys.models)."""

import re
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# An origin as a browser sends it: scheme and host, a port perhaps, nothing after.
ORIGIN = re.compile(
    r"^https?://(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:\d{1,5})?$"
)
MAX_ORIGINS, MAX_PAGES, MAX_DAYS = 20, 20, 3650


def new_widget_key() -> str:
    return "kl_" + secrets.token_urlsafe(15)


def new_widget_secret() -> str:
    return "klsec_" + secrets.token_urlsafe(32)


def clean_origin(text: str) -> str:
    """A site that may show the widget, as the browser's Origin header names it: "https://Shop.example.com/"
    -> "https://shop.example.com". ValidationError for anything else (a path, another scheme, a bare host)."""
    origin = str(text or "").strip().rstrip("/").lower()
    port = origin.rsplit(":", 1)[-1] if origin.count(":") == 2 else ""
    if not ORIGIN.match(origin) or (port.isdigit() and not 0 < int(port) < 65536):
        raise ValidationError(
            _(
                "“%(origin)s” is not a site's origin: write its scheme and host, such as https://shop.example.com "
                "(a port may follow, as in http://localhost:8080; no path)."
            ),
            code="origin",
            params={"origin": str(text or "").strip()[:200]},
        )
    return origin


def validate_origins(value) -> None:
    if not isinstance(value, list) or len(value) > MAX_ORIGINS:
        raise ValidationError(_("At most %(n)s sites.") % {"n": MAX_ORIGINS}, code="origins")
    for origin in value:
        if clean_origin(origin) != origin:
            raise ValidationError(
                _("Write “%(origin)s” as %(clean)s.") % {"origin": origin, "clean": clean_origin(origin)}
            )


def clean_page_pattern(text: str) -> str:
    """A page pattern: a path starting with /, * for any characters ("/checkout/*")."""
    pattern = str(text or "").strip()
    if not pattern.startswith("/") or len(pattern) > 200 or any(c.isspace() for c in pattern):
        raise ValidationError(
            _("“%(pattern)s” is not a page pattern: start with / and use * for any characters, such as /checkout/*."),
            code="page",
            params={"pattern": pattern[:200]},
        )
    return pattern


def validate_page_patterns(value) -> None:
    if not isinstance(value, list) or len(value) > MAX_PAGES:
        raise ValidationError(_("At most %(n)s page patterns.") % {"n": MAX_PAGES}, code="pages")
    for pattern in value:
        clean_page_pattern(pattern)


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
    # When the secret was last shown to staff: it is shown once; after that only rotating shows one.
    secret_shown_at = models.DateTimeField(null=True, blank=True, editable=False)
    origins = models.JSONField(
        _("allowed origins"),
        default=list,
        blank=True,
        validators=[validate_origins],
        help_text=_("The sites that may show the widget."),
    )
    anonymous = models.BooleanField(
        _("anonymous answers"),
        default=False,
        help_text=_("Visitors who are not identified (or whose signature is wrong) may answer, without a contact."),
    )
    after_days = models.PositiveIntegerField(
        _("days since first seen"), default=0, validators=[MaxValueValidator(MAX_DAYS)]
    )
    url_patterns = models.JSONField(_("pages"), default=list, blank=True, validators=[validate_page_patterns])
    event = models.CharField(
        _("after the event"),
        max_length=80,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9_.:-]+$", _("An event name such as checkout_completed: letters, digits and _ . : -")
            )
        ],
    )
    sample_percent = models.PositiveSmallIntegerField(_("sample (%)"), default=100, validators=[MaxValueValidator(100)])
    snooze_days = models.PositiveIntegerField(
        _("after dismissal, wait (days)"), default=30, validators=[MaxValueValidator(MAX_DAYS)]
    )
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
