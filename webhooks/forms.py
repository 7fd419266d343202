from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.models import Team
from webhooks import targets
from webhooks.chat import CHAT_EVENTS
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


class ChatEndpointForm(forms.ModelForm):
    """A Slack or Microsoft Teams channel: its incoming/workflow webhook URL, the team whose news it
    gets, and which news."""

    format = forms.ChoiceField(label=_("Tool"), choices=Endpoint.Format.choices[1:])
    url = forms.URLField(
        label=_("Webhook URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "Slack: an incoming webhook URL (https://hooks.slack.com/services/…). Teams: the URL of a "
            "workflow started by “When a Teams webhook request is received”."
        ),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=_("Every team"),
        help_text=_("Messages are about this team's cases and written in the team's language."),
    )
    events = forms.MultipleChoiceField(
        label=_("Messages"),
        widget=forms.CheckboxSelectMultiple,
        choices=list(CHAT_EVENTS.items()),
        error_messages={"required": _("Choose at least one event.")},
    )

    class Meta:
        model = Endpoint
        fields = ["format", "url", "team", "description", "events", "active"]
        help_texts = {"active": _("Only active endpoints receive events.")}

    def clean_url(self):
        url = self.cleaned_data["url"]
        targets.check_url(url)
        return url
