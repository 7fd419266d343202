from django import forms
from django.utils.translation import gettext_lazy as _

from themes.models import Theme
from themes.services import parse_phrases


class ThemeForm(forms.Form):
    name = forms.CharField(label=_("Name (English)"), max_length=80)
    name_nl = forms.CharField(label=_("Name (Dutch)"), max_length=80, required=False)
    phrases_nl = forms.CharField(
        label=_("Dutch phrases or keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or comma-separated. ‘wachten’ also finds ‘gewacht’ and ‘wachttijd’."),
    )
    phrases_en = forms.CharField(
        label=_("English phrases or keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or comma-separated. ‘wait’ also finds ‘waiting’ and ‘waited’."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def initial_for(cls, theme: Theme) -> dict:
        return {
            "name": theme.name,
            "name_nl": (theme.translations.get("nl") or {}).get("name", ""),
            "phrases_nl": "\n".join(theme.phrases.get("nl", [])),
            "phrases_en": "\n".join(theme.phrases.get("en", [])),
            "active": theme.active,
        }

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "names": {"nl": data["name_nl"]},
            "phrases": {"nl": parse_phrases(data["phrases_nl"]), "en": parse_phrases(data["phrases_en"])},
            "active": data["active"],
        }


class AcceptForm(forms.Form):
    name = forms.CharField(label=_("Name (English)"), max_length=80)
    name_nl = forms.CharField(label=_("Name (Dutch)"), max_length=80, required=False)


class MergeForm(forms.Form):
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.all())
