from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.models import RetentionSettings, Team, UserProfile
from core.roles import ROLE_LABELS, ROLES
from core.services import check_nps_target

User = get_user_model()
ROLE_CHOICES = [(r, ROLE_LABELS[r]) for r in reversed(ROLES)]


class UserForm(forms.ModelForm):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(), required=False, label=_("Teams"), widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        widget=forms.PasswordInput,
        required=False,
        label=_("Password"),
        help_text=_("Required for a new user; leave empty to keep the current one."),
    )

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "is_active"]

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if not self.instance.pk and not password:
            raise forms.ValidationError(_("A new user needs a password."))
        if password:
            validate_password(password, self.instance if self.instance.pk else None)
        return password


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "lead", "members", "nps_target", "language"]
        widgets = {"members": forms.CheckboxSelectMultiple}

    def clean_nps_target(self):
        target = self.cleaned_data.get("nps_target")
        try:
            check_nps_target(target)
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["nps_target"]) from None
        return target


class ProfileForm(forms.ModelForm):
    class Meta:
        model = UserProfile
        fields = ["language"]


class RetentionForm(forms.ModelForm):
    class Meta:
        model = RetentionSettings
        fields = ["comments_days", "contacts_days", "emails_days", "outbox_days", "audit_days"]
        widgets = {name: forms.NumberInput(attrs={"min": 1}) for name in fields}

    def clean(self):
        data = super().clean()
        for name in self.Meta.fields:
            if data.get(name) == 0:
                self.add_error(name, _("Keep data at least one day, or leave the field empty to keep it."))
        return data
