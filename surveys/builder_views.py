"""The campaign builder's lists that grow in place (htmx): "Add a question" and "Add a review site"
each fetch one more blank form, numbered after the page's count so far."""

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.roles import admin_required
from surveys.models import Campaign
from surveys.question_forms import QuestionFormSet
from surveys.review_forms import ReviewSiteFormSet


def _blank_form(request, formset_class, prefix: str, template: str):
    """The form for number `<prefix>-TOTAL_FORMS` (the page's count so far), with the 'Texts in …'
    fields of the campaign's language as the page has it now, and the count plus one for the page's
    management form (out of band). Reads and writes nothing."""
    raw = request.GET.get(f"{prefix}-TOTAL_FORMS", "0")
    if not raw.isdigit() or int(raw) >= formset_class.absolute_max:
        return HttpResponseBadRequest(_("The list on this page is out of date; reload the page."))
    index = int(raw)
    language = request.GET.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    formset = formset_class(instance=Campaign(language=language), prefix=prefix)
    return render(
        request,
        template,
        {"form": formset.blank_form(index), "number": index + 1, "total": index + 1, "prefix": prefix},
    )


@admin_required
@require_GET
def question_form_new(request):
    return _blank_form(request, QuestionFormSet, "questions", "surveys/_question_new.html")


@admin_required
@require_GET
def review_site_form_new(request):
    return _blank_form(request, ReviewSiteFormSet, "sites", "surveys/_review_site_new.html")
