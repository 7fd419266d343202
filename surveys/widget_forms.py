"""The widget's part of the campaign form (surveys/campaign_form.html, shown for the widget channel):
who may show it, when it asks and how it looks. The rules are the model's; this form only turns
the page's text boxes into lists and says what is wrong beside the field."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from surveys.models import WidgetSettings
from surveys.widget_models import clean_origin, clean_page_pattern, validate_origins, validate_page_patterns
from surveys.widget_setup import WIDGET_FIELDS


def _lines(text: str) -> list[str]:
    return [line.strip() for line in str(text or "").replace(",", "\n").splitlines() if line.strip()]


class WidgetSettingsForm(forms.ModelForm):
    origins_text = forms.CharField(
        required=False,
        label=_("Allowed sites"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://shop.example.com", "spellcheck": "false"}),
        help_text=_(
            "One per line: the scheme and host (and port) of each site or web app that shows the widget, "
            "such as https://shop.example.com. Other sites get no answer."
        ),
    )
    pages_text = forms.CharField(
        required=False,
        label=_("Only on these pages"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "/checkout/*", "spellcheck": "false"}),
        help_text=_("One path per line, * for any characters, such as /checkout/*. Empty: every page."),
    )

    class Meta:
        model = WidgetSettings
        fields = [name for name in WIDGET_FIELDS if name not in ("origins", "url_patterns")]
        widgets = {"colour": forms.TextInput(attrs={"type": "color", "class": "form-control-color"})}
        labels = {
            "anonymous": _("Anonymous visitors may answer"),
            "after_days": _("Ask after (days since first seen)"),
            "event": _("Only after this event"),
            "sample_percent": _("Ask this share of visitors (%)"),
            "snooze_days": _("After “Not now”, wait (days)"),
            "colour": _("Brand colour"),
            "position": _("Corner"),
        }
        help_texts = {
            "after_days": _("0: at the first visit."),
            "event": _('Your page calls kringloop("track", "checkout_completed"). Empty: no event needed.'),
            "sample_percent": _("0–100. The same visitors are asked each time."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["origins_text"] = "\n".join(self.instance.origins or [])
        self.initial["pages_text"] = "\n".join(self.instance.url_patterns or [])
        for name in ("after_days", "snooze_days", "sample_percent"):
            self.fields[name].widget.attrs["min"] = 0
        self.fields["sample_percent"].widget.attrs["max"] = 100
        # A colour input always holds a value: HTML allows neither maxlength nor required on it.
        self.fields["colour"].widget.attrs.pop("maxlength", None)
        self.fields["colour"].widget.use_required_attribute = lambda initial: False

    def _each(self, name: str, clean, validate) -> list[str]:
        """The lines of a text box, each checked and normalised by the model's rule."""
        items, errors = [], []
        for line in _lines(self.cleaned_data.get(name, "")):
            try:
                items.append(clean(line))
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        items = list(dict.fromkeys(items))
        validate(items)
        return items

    def clean_origins_text(self):
        return self._each("origins_text", clean_origin, validate_origins)

    def clean_pages_text(self):
        return self._each("pages_text", clean_page_pattern, validate_page_patterns)

    MOVED = {"origins": "origins_text", "url_patterns": "pages_text"}

    def takes(self, error: ValidationError) -> bool:
        """Is `error` (from surveys.widget_setup) about this form's fields?"""
        names = {self.MOVED.get(name, name) for name in getattr(error, "error_dict", {"": None})}
        return names <= set(self.fields)

    def add_model_error(self, error: ValidationError) -> None:
        """Show the service's error by field, beside the text box it came from."""
        self.add_error(None, ValidationError({self.MOVED.get(k, k): v for k, v in error.error_dict.items()}))

    def values(self) -> dict:
        """The plain values for surveys.services.campaign_save(widget=...)."""
        data = {name: self.cleaned_data[name] for name in self._meta.fields}
        data["origins"] = self.cleaned_data["origins_text"]
        data["url_patterns"] = self.cleaned_data["pages_text"]
        return data
