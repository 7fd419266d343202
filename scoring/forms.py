from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.models import Team
from scoring.models import ReportSubscription
from scoring.report_models import WEEKDAYS


class CompanyTargetForm(forms.Form):
    nps_target = forms.IntegerField(
        label=_("Company NPS target"),
        required=False,
        min_value=-100,
        max_value=100,
        help_text=_("From −100 to 100. Leave empty for no target. Team targets are set on each team."),
    )


class SubscriptionForm(forms.Form):
    """When a scheduled report goes out; admins also choose to whom (scoring.subscriptions)."""

    frequency = forms.ChoiceField(
        label=_("How often"), choices=ReportSubscription.Frequency.choices, initial=ReportSubscription.Frequency.WEEKLY
    )
    weekday = forms.TypedChoiceField(
        label=_("Day of the week (weekly)"), choices=WEEKDAYS, coerce=int, initial=0, required=False, empty_value=0
    )
    day_of_month = forms.IntegerField(label=_("Day of the month (monthly)"), min_value=1, max_value=28, initial=1)
    hour = forms.IntegerField(
        label=_("Hour"), min_value=0, max_value=23, initial=8, help_text=_("In the company's time zone.")
    )
    user = forms.ModelChoiceField(
        label=_("Send it to"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Empty: to you."),
    )
    team = forms.ModelChoiceField(
        label=_("Or to a team"), queryset=Team.objects.all(), required=False, help_text=_("Its lead and members.")
    )

    def __init__(self, *args, admin: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if admin:
            self.fields["user"].queryset = (
                get_user_model().objects.filter(is_active=True).exclude(email="").order_by("username")
            )
        else:
            del self.fields["user"], self.fields["team"]

    def clean(self):
        data = super().clean()
        if data.get("user") and data.get("team"):
            raise forms.ValidationError(_("Send it to a person or to a team, not both."))
        return data
