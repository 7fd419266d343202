"""Forms of the account pages (#24). They only check input; surveys.accounts does the writing."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.accounts import ACCOUNT_FIELDS
from surveys.addresses import normalise
from surveys.forms import parse_segment
from surveys.models import Account, Contact, Role


class AccountForm(forms.ModelForm):
    attributes_text = forms.CharField(
        required=False,
        label=_("Segment attributes"),
        help_text=_("attribute=value, separated by commas, e.g. industry=retail, region=EU"),
    )

    class Meta:
        model = Account
        fields = list(ACCOUNT_FIELDS)
        widgets = {"renewal_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attributes_text"].initial = ", ".join(
            f"{k}={v}" for k, v in (self.instance.attributes or {}).items()
        )
        self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["owner"].help_text = _("Cases of its contacts without an account owner of their own go to them.")

    def clean_attributes_text(self):
        return parse_segment(self.cleaned_data.get("attributes_text", ""))

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError(_("Use a three-letter currency code, e.g. EUR."))
        return currency


class ChurnForm(forms.Form):
    churned_at = forms.DateField(
        label=_("Churned on"), widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def clean_churned_at(self):
        value = self.cleaned_data["churned_at"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("A churn date cannot be in the future."))
        return value


class MemberForm(forms.Form):
    """Add a contact to the account by e-mail address, with a role; cleans `email` to the Contact."""

    email = forms.CharField(label=_("Contact's e-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("No role")), *Role.choices], required=False)

    def clean_email(self):
        email = normalise(self.cleaned_data["email"])
        contact = Contact.objects.filter(email__iexact=email, erased_at__isnull=True).select_related("account").first()
        if contact is None:
            raise forms.ValidationError(
                _("No contact has the address %(email)s. Add the contact under Contacts first.") % {"email": email}
            )
        return contact
