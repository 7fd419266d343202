"""The campaign builder's driver questions: one form per question and the formset around them.

Questions are added in place (the builder asks surveys.builder_views for one more blank form),
removed by ticking their DELETE box, and put in order by their ORDER field, which the page's script
(static/js/questions.js) renumbers after a drag or a move up or down. `questions()` hands the
result to services.campaign_save as plain values, in that order.
"""

from django import forms
from django.conf import settings
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from surveys import services, wording
from surveys.forms import AddInPlaceFormSetMixin, add_translation_fields, cleaned_translations, translation_groups
from surveys.models import Campaign, Question

MAX_QUESTIONS = 10


class QuestionForm(forms.ModelForm):
    choices_text = forms.CharField(
        required=False, label=_("Choices (one per line)"), widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = Question
        fields = ["text", "kind", "driver", "required", "scale_low", "scale_high"]
        labels = {"scale_low": _("Label of the lowest number"), "scale_high": _("Label of the highest number")}
        help_texts = {"scale_low": _("Satisfaction and effort questions; empty for the standard words.")}

    def __init__(self, *args, campaign_language: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choices_text"].initial = "\n".join(self.instance.choices or [])
        campaign = Campaign(language=campaign_language or settings.LANGUAGE_CODE)
        add_translation_fields(self, self.instance, wording.QUESTION_TEXTS, wording.other_languages(campaign))

    def translation_groups(self):
        return translation_groups(self)

    def is_removed(self) -> bool:
        """Whether the admin removed this question in the form (shown as removed, with an undo)."""
        return self.is_bound and "DELETE" in self.fields and bool(self["DELETE"].value())

    def has_changed(self):
        # A new question's place (ORDER) is always sent; it alone leaves a blank new row blank.
        return any(name not in ("ORDER", "DELETE") for name in self.changed_data)

    def clean(self):
        data = super().clean()
        problem = services.question_change_problem(self.instance, kind=data.get("kind", self.instance.kind))
        if problem:
            self.add_error("kind", problem)
        choices = [c.strip() for c in (data.get("choices_text") or "").splitlines() if c.strip()]
        if (
            data.get("kind") in (Question.Kind.SINGLE, Question.Kind.MULTIPLE)
            and len(choices) < 2
            and not data.get("DELETE")
        ):
            self.add_error("choices_text", _("A choice question needs at least two choices."))
        if len(choices) > 20:
            self.add_error("choices_text", _("At most 20 choices."))
        data["choices"] = choices
        data["translations"] = cleaned_translations(self, data, own_language=None)
        for language, texts in data["translations"].items():
            if len(texts.get("choices", [])) > len(choices):
                self.add_error(
                    f"tr_{language}_choices", _("Give one translation per choice, in the order of the choices.")
                )
        return data


class BaseQuestionFormSet(AddInPlaceFormSetMixin, forms.BaseInlineFormSet):
    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "campaign_language": self.instance.language}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Both are set by the page's script, never typed: ORDER is the position on the page.
        form.fields["ORDER"].widget = forms.HiddenInput(attrs={"data-question-order": ""})
        form.fields["DELETE"].widget = forms.CheckboxInput(attrs={"data-question-delete": "", "hidden": ""})

    def blank_form(self, index: int):
        """What the builder's "Add a question" appends: a new question at the end."""
        form = super().blank_form(index)
        form.fields["ORDER"].initial = index + 1
        return form

    def forms_in_order(self) -> list:
        """The forms in the order the admin left them on the page (a form sent back with an error
        keeps the order it was sent in)."""

        def position(pair):
            index, form = pair
            value = form["ORDER"].value()
            return (int(value) if str(value or "").isdigit() else index + 1, index)

        return [form for _index, form in sorted(enumerate(self.forms), key=position)]

    def clean(self):
        super().clean()
        for form in self.forms:
            problem = services.question_delete_problem(form.instance) if form.cleaned_data.get("DELETE") else ""
            if problem:
                raise forms.ValidationError(problem)

    def questions(self) -> list[dict]:
        """The driver questions as the form leaves them, in the order the admin put them (ORDER, else
        the form's place), as plain values for services.campaign_save: kept and changed ones (with
        their id) and new ones; removed ones and blank new rows left out."""
        rows = []
        for index, form in enumerate(self.forms):
            data = form.cleaned_data
            if not data or data.get("DELETE") or (form.instance.pk is None and not form.has_changed()):
                continue
            position = data.get("ORDER") if data.get("ORDER") is not None else index + 1
            rows.append((position, index, {"id": form.instance.pk, **{n: data[n] for n in services.QUESTION_FIELDS}}))
        return [row for _position, _index, row in sorted(rows, key=lambda r: r[:2])]


QuestionFormSet = inlineformset_factory(
    Campaign,
    Question,
    form=QuestionForm,
    formset=BaseQuestionFormSet,
    extra=0,
    max_num=MAX_QUESTIONS,
    validate_max=True,
    can_delete=True,
    can_order=True,
)
