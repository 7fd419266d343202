"""The campaign builder's "Add a question": one more blank driver-question form, in place (htmx)."""

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.roles import admin_required
from surveys.models import Campaign
from surveys.question_forms import QuestionFormSet

PREFIX = "questions"


@admin_required
@require_GET
def question_form_new(request):
    """The form for question number `questions-TOTAL_FORMS` (the page's count so far), with the
    texts per language of the campaign's language as the page has it now, and the count plus one
    for the page's management form. Reads and writes nothing."""
    raw = request.GET.get(f"{PREFIX}-TOTAL_FORMS", "0")
    if not raw.isdigit() or int(raw) >= QuestionFormSet.absolute_max:
        return HttpResponseBadRequest(_("The question list on this page is out of date; reload the page."))
    index = int(raw)
    language = request.GET.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    formset = QuestionFormSet(instance=Campaign(language=language), prefix=PREFIX)
    return render(
        request,
        "surveys/_question_new.html",
        {"qform": formset.blank_form(index), "number": index + 1, "total": index + 1, "prefix": PREFIX},
    )
