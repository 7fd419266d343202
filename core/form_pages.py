"""The staff pages that are one form (core/form_page.html): save a valid POST through a service,
show the form again with the service's objection, answer 400 when a POST did not save."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render


def save_form(request, form, save, *, saved: str):
    """On a valid POST: `save(cleaned_data)` and the message `saved`; returns what it returned.
    None when nothing was saved (a GET, an invalid form, or the service's ValidationError, which
    becomes the form's error)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save(form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    messages.success(request, saved)
    return result


def form_page(request, form, *, title: str, back_url: str | None = None):
    """The form's page: 400 after a POST (it did not save), else 200."""
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": title, "back_url": back_url},
        status=400 if request.method == "POST" else 200,
    )
