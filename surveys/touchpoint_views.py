"""Staff pages for touchpoints: the list along the journey (move to a position in one step), and
a form to create or rename one with its name in each language. Thin: surveys.touchpoints decides."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.roles import admin_required
from surveys import touchpoints
from surveys.models import Touchpoint
from surveys.wording import translated


class TouchpointForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in touchpoints.other_languages():
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("Name in %(language)s") % {"language": label},
                max_length=80,
                required=False,
                help_text=_("Shown to staff reading in %(language)s; empty: the name above.") % {"language": label},
            )

    def names(self) -> dict:
        return {code: self.cleaned_data.get(f"name_{code}", "") for code, _label in touchpoints.other_languages()}


@admin_required
@require_http_methods(["GET"])
def touchpoint_list(request):
    rows = list(touchpoints.touchpoint_rows())
    languages = touchpoints.other_languages()
    for row in rows:
        row.other_names = [
            (label, ((row.translations or {}).get(code) or {}).get("name", "")) for code, label in languages
        ]
    return render(request, "surveys/touchpoint_list.html", {"rows": rows, "positions": range(1, len(rows) + 1)})


@admin_required
@require_http_methods(["GET", "POST"])
def touchpoint_edit(request, pk: int | None = None):
    touchpoint = get_object_or_404(Touchpoint, pk=pk) if pk else None
    initial = {}
    if touchpoint is not None:
        initial = {"name": touchpoint.name}
        for code, _label in touchpoints.other_languages():
            initial[f"name_{code}"] = ((touchpoint.translations or {}).get(code) or {}).get("name", "")
    form = TouchpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = touchpoints.touchpoint_save(
                actor=request.user,
                name=form.cleaned_data["name"],
                names=form.names(),
                touchpoint_id=touchpoint.pk if touchpoint else None,
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Saved touchpoint “%(name)s”.") % {"name": translated(saved, "name")})
            return redirect("surveys:touchpoint_list")
    title = _("New touchpoint") if touchpoint is None else _("Touchpoint “%(name)s”") % {"name": touchpoint}
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": title, "back_url": reverse("surveys:touchpoint_list")},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def touchpoint_move(request, pk: int):
    try:
        position = int(request.POST.get("position", ""))
    except ValueError:
        messages.error(request, _("Choose a position to move it to."))
        return redirect("surveys:touchpoint_list")
    try:
        touchpoints.touchpoint_move(actor=request.user, touchpoint_id=pk, position=position)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("surveys:touchpoint_list")
