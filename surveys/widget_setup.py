"""Setting up a campaign's widget from the staff pages (#22.1): its settings (who, where, when, how
it looks), saved with the campaign, and its signing secret, shown to staff once and then only as a
new one after a rotation, each with an audit entry.

The rules for a valid origin and page pattern are the model's (surveys.widget_models.clean_origin,
clean_page_pattern), so the campaign page, the Django admin and any other caller agree.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.audit import audit_log
from surveys.models import Campaign, WidgetSettings
from surveys.widget_models import clean_origin, clean_page_pattern, new_widget_secret

WIDGET_FIELDS = (
    "origins",
    "anonymous",
    "after_days",
    "url_patterns",
    "event",
    "sample_percent",
    "snooze_days",
    "colour",
    "position",
)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def widget_settings_save(campaign: Campaign, values: dict) -> list[str]:
    """Create or change `campaign`'s widget settings from plain values (WIDGET_FIELDS; origins and
    url_patterns as lists of text, normalised here). Returns the names of the fields that changed.
    Raises ValidationError, by field, for a value the model refuses. Call it inside the caller's
    transaction (surveys.services.campaign_save)."""
    unknown = sorted(set(values) - set(WIDGET_FIELDS))
    if unknown:
        raise TypeError(f"Not fields of the widget settings: {', '.join(unknown)}")
    values = dict(values)
    errors = {}
    for name, clean in (("origins", clean_origin), ("url_patterns", clean_page_pattern)):
        if name in values:
            try:
                values[name] = _unique([clean(item) for item in values[name] if str(item).strip()])
            except ValidationError as error:
                errors[name] = error
    if errors:
        raise ValidationError(errors)
    if "colour" in values:
        values["colour"] = str(values["colour"]).lower()
    widget = WidgetSettings.objects.select_for_update().filter(campaign=campaign).first()
    created = widget is None
    widget = widget or WidgetSettings(campaign=campaign)
    before = {name: getattr(widget, name) for name in values}
    for name, value in values.items():
        setattr(widget, name, value)
    widget.full_clean(exclude=["campaign", "public_key", "secret"])
    widget.save()
    if created:
        return sorted(name for name, value in values.items() if value not in ("", [], None))
    return [name for name in values if getattr(widget, name) != before[name]]


def _shown_refusal(widget: WidgetSettings) -> str:
    if widget.secret_shown_at is None:
        return ""
    return _("The signing secret was shown on %(date)s and is not shown again. Rotate it to get a new one.") % {
        "date": date_format(timezone.localtime(widget.secret_shown_at), "SHORT_DATETIME_FORMAT")
    }


def widget_secret_reveal(*, campaign_id: int, actor) -> str:
    """The campaign's signing secret, the one time it is shown. ValidationError once it has been
    shown (rotate instead); WidgetSettings.DoesNotExist when the campaign has no widget."""
    with transaction.atomic():
        widget = WidgetSettings.objects.select_for_update().select_related("campaign").get(campaign_id=campaign_id)
        refusal = _shown_refusal(widget)
        if refusal:
            raise ValidationError(refusal)
        widget.secret_shown_at = timezone.now()
        widget.save(update_fields=["secret_shown_at"])
        audit_log(actor=actor, action="widget.secret_shown", target=widget.campaign, data={"widget": widget.pk})
    return widget.secret


def widget_secret_rotate(*, campaign_id: int, actor) -> str:
    """A new signing secret for the campaign's widget, shown this once; the old one stops working at
    once (users signed with it are no longer identified). WidgetSettings.DoesNotExist without a widget."""
    with transaction.atomic():
        widget = WidgetSettings.objects.select_for_update().select_related("campaign").get(campaign_id=campaign_id)
        widget.secret = new_widget_secret()
        widget.secret_shown_at = timezone.now()
        widget.save(update_fields=["secret", "secret_shown_at"])
        audit_log(actor=actor, action="widget.secret_rotated", target=widget.campaign, data={"widget": widget.pk})
    return widget.secret


def secret_hint(widget: WidgetSettings) -> str:
    """How the page names the secret without showing it: its prefix and last four characters."""
    return f"{widget.secret[:6]}…{widget.secret[-4:]}"
