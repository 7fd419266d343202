from django import forms

from scoring.models import CompanySettings


class CompanyTargetForm(forms.ModelForm):
    class Meta:
        model = CompanySettings
        fields = ["nps_target"]
        labels = {"nps_target": "Company NPS target"}

    def clean_nps_target(self):
        target = self.cleaned_data.get("nps_target")
        if target is not None and not -100 <= target <= 100:
            raise forms.ValidationError("An NPS target lies between -100 and 100.")
        return target
