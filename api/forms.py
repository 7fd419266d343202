from django import forms
from django.utils.translation import gettext_lazy as _

from api.scopes import SCOPES


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("The integration that uses it, e.g. “CRM sync” or “Helpdesk”.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=list(SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Give the integration only what it needs."),
    )
