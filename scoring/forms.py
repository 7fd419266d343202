from django import forms
from django.utils.translation import gettext_lazy as _


class CompanyTargetForm(forms.Form):
    nps_target = forms.IntegerField(
        label=_("Company NPS target"),
        required=False,
        min_value=-100,
        max_value=100,
        help_text=_("From −100 to 100. Leave empty for no target. Team targets are set on each team."),
    )
