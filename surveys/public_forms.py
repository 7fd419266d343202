"""The respondent's forms: the score, then the "why" and the driver questions."""

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from surveys import wording
from surveys.models import Question

SCORE_CHOICES = [(str(i), str(i)) for i in range(11)]
COMMENT_TOO_LONG = _("Please keep your answer under %(limit_value)s characters (it has %(show_value)s).")


class ScoreForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a score from 0 to 10."),
            "invalid_choice": _("Choose a score from 0 to 10."),
        },
    )


def _question_field(question: Question) -> forms.Field:
    """The field of one driver question, in the active language (surveys.wording): its choices are
    shown translated and stored as the question's own."""
    required = question.required
    label = wording.translated(question, "text")
    shown = list(zip(question.choices or [], wording.translated(question, "choices") or [], strict=False))
    if question.kind == Question.Kind.CSAT:
        choices = [(str(i), str(i)) for i in range(1, 6)]
        return forms.TypedChoiceField(
            label=label,
            choices=choices,
            coerce=int,
            required=required,
            widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            empty_value=None,
        )
    if question.kind == Question.Kind.EFFORT:
        choices = [(str(i), str(i)) for i in range(1, 8)]
        return forms.TypedChoiceField(
            label=label,
            choices=choices,
            coerce=int,
            required=required,
            widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            empty_value=None,
        )
    if question.kind == Question.Kind.SINGLE:
        return forms.ChoiceField(
            label=label,
            choices=shown,
            required=required,
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        )
    if question.kind == Question.Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            label=label,
            choices=shown,
            required=required,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        )
    return forms.CharField(
        label=label, required=required, max_length=500, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class DetailsForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, questions, why_label, employee: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if employee:  # eNPS: anonymous unless the employee asks to be contacted (no case otherwise)
            self.fields["may_contact"] = forms.BooleanField(
                required=False,
                label=_("You may contact me about my answer."),
                help_text=_(
                    "Your answer is anonymous: nobody sees who gave it. Tick this only if you want someone to "
                    "talk with you about it; they will then know it is yours."
                ),
            )
        limit = settings.KRINGLOOP["COMMENT_MAX_LENGTH"]
        self.fields["comment"].label = why_label
        self.fields["comment"].max_length = limit
        self.fields["comment"].validators.append(MaxLengthValidator(limit, message=COMMENT_TOO_LONG))
        self.fields["comment"].widget.attrs["maxlength"] = str(limit)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"q{question.pk}"] = _question_field(question)

    def question_fields(self):
        """(question, its bound field, the words for its scale's ends) in order, in the active language."""
        return [(q, self[f"q{q.pk}"], wording.question_scale_ends(q)) for q in self.questions]

    def answers(self) -> dict[int, dict | None]:
        result = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"q{question.pk}")
            if value in (None, "", []):
                result[question.pk] = None
            elif question.kind in (Question.Kind.CSAT, Question.Kind.EFFORT):
                result[question.pk] = {"number": value}
            elif question.kind == Question.Kind.MULTIPLE:
                result[question.pk] = {"choices": list(value)}
            else:
                result[question.pk] = {"text": value}
        return result
