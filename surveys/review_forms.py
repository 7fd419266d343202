"""The campaign builder's review sites (#30.9): one form per site and the formset around them, saved
through services.campaign_save (surveys.review_sites.review_sites_save)."""

from django import forms
from django.conf import settings
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from surveys import wording
from surveys.forms import (
    AddInPlaceFormSetMixin,
    add_translation_fields,
    cleaned_translations,
    parse_segment,
    translation_groups,
)
from surveys.models import Campaign, ReviewSite
from surveys.review_sites import MAX_SITES, SITE_FIELDS

LABEL_TEXTS = {"label": _("Button text")}


class ReviewSiteForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        label=_("Review link"),
        help_text=_("The page where customers write the review."),
    )
    segment_text = forms.CharField(
        required=False,
        max_length=300,
        label=_("Only for the segment"),
        help_text=_("Contacts whose attributes match, e.g. plan=pro. Empty: every promoter."),
    )

    class Meta:
        model = ReviewSite
        fields = ["name", "url", "label", "language"]
        labels = {"language": _("Only for the language")}

    def __init__(self, *args, campaign_language: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("any language")), *settings.LANGUAGES]
        self.fields["segment_text"].initial = ", ".join(f"{k}={v}" for k, v in (self.instance.segment or {}).items())
        campaign = Campaign(language=campaign_language or settings.LANGUAGE_CODE)
        add_translation_fields(self, self.instance, LABEL_TEXTS, wording.other_languages(campaign))

    def translation_groups(self):
        return translation_groups(self)

    def clean_segment_text(self):
        return parse_segment(self.cleaned_data.get("segment_text", ""))

    def clean(self):
        data = super().clean()
        data["segment"] = data.get("segment_text") or {}
        data["translations"] = cleaned_translations(self, data, own_language=None)
        return data


class BaseReviewSiteFormSet(AddInPlaceFormSetMixin, forms.BaseInlineFormSet):
    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "campaign_language": self.instance.language}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = _("Remove this site")

    def sites(self) -> list[dict]:
        """The review sites as the form leaves them, in order, as plain values for
        services.campaign_save: kept ones (with their id) and new ones; removed ones and blank new
        rows left out."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE") or (form.instance.pk is None and not form.has_changed()):
                continue
            rows.append({"id": form.instance.pk, **{name: data[name] for name in SITE_FIELDS}})
        return rows


ReviewSiteFormSet = inlineformset_factory(
    Campaign,
    ReviewSite,
    form=ReviewSiteForm,
    formset=BaseReviewSiteFormSet,
    extra=0,
    max_num=MAX_SITES,
    validate_max=True,
    can_delete=True,
)
