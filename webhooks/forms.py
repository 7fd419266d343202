from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from webhooks import targets
from webhooks.events import EVENT_TYPES
from webhooks.models import Endpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Kringloop POSTs each event as JSON to this address."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        widget=forms.CheckboxSelectMultiple,
        choices=[(name, format_lazy("{} — {}", name, label)) for name, label in EVENT_TYPES.items()],
        error_messages={"required": _("Choose at least one event.")},
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events", "active"]
        help_texts = {"active": _("Only active endpoints receive events.")}

    def clean_url(self):
        url = self.cleaned_data["url"]
        targets.check_url(url)
        return url
