from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password

from core.models import Team, UserProfile
from core.roles import ROLES

User = get_user_model()
ROLE_CHOICES = [(r, r.capitalize()) for r in reversed(ROLES)]


class UserForm(forms.ModelForm):
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    teams = forms.ModelMultipleChoiceField(queryset=Team.objects.all(), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    password = forms.CharField(widget=forms.PasswordInput, required=False,
                               help_text="Required for a new user; leave empty to keep the current one.")

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "is_active"]

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if not self.instance.pk and not password:
            raise forms.ValidationError("A new user needs a password.")
        if password:
            validate_password(password, self.instance if self.instance.pk else None)
        return password


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "lead", "members", "nps_target"]
        widgets = {"members": forms.CheckboxSelectMultiple}

    def clean_nps_target(self):
        target = self.cleaned_data.get("nps_target")
        if target is not None and not -100 <= target <= 100:
            raise forms.ValidationError("An NPS target lies between -100 and 100.")
        return target


class ProfileForm(forms.ModelForm):
    class Meta:
        model = UserProfile
        fields = ["language", "weekly_digest"]
