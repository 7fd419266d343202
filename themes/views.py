"""Staff pages for themes (admins): the themes with their phrases, and the proposals discovery made,
to accept (and name), merge into a theme, or reject. Thin: themes.services decides."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.roles import admin_required
from themes import queries, services
from themes.forms import AcceptForm, MergeForm, ThemeForm
from themes.models import Theme


@admin_required
@require_http_methods(["GET"])
def theme_list(request):
    return render(
        request,
        "themes/theme_list.html",
        {
            "themes": queries.theme_rows(),
            "proposals": queries.open_proposals(),
            "coverage": queries.coverage(),
            "state": queries.state(),
            "all_themes": Theme.objects.all(),
            "recent_days": queries.RECENT_DAYS,
        },
    )


def _form_errors(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@admin_required
@require_http_methods(["GET", "POST"])
def theme_edit(request, pk: int | None = None):
    theme = get_object_or_404(Theme, pk=pk) if pk else None
    form = ThemeForm(request.POST or None, initial=ThemeForm.initial_for(theme) if theme else {"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.theme_save(actor=request.user, theme_id=pk, **form.values())
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request,
                _("Saved theme “%(name)s”. Comments are matched to it again tonight; new comments at once.")
                % {"name": saved},
            )
            return redirect("themes:theme_list")
    title = _("New theme") if theme is None else _("Theme “%(name)s”") % {"name": theme}
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": title, "back_url": reverse("themes:theme_list")},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def theme_delete(request, pk: int):
    theme = get_object_or_404(Theme, pk=pk)
    if request.method == "GET":
        return render(
            request,
            "core/confirm_delete.html",
            {
                "title": _("Delete theme “%(name)s”?") % {"name": theme},
                "consequence": _("Reports no longer show it; the comments stay. To keep its history, deactivate it."),
                "button": _("Delete theme"),
                "cancel_url": reverse("themes:theme_list"),
            },
        )
    services.theme_delete(actor=request.user, theme_id=pk)
    messages.success(request, _("Deleted theme “%(name)s”.") % {"name": theme})
    return redirect("themes:theme_list")


@admin_required
@require_POST
def proposal_accept(request, pk: int):
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the new theme a name."))
        return redirect("themes:theme_list")
    try:
        theme = services.proposal_accept(
            actor=request.user,
            proposal_id=pk,
            name=form.cleaned_data["name"],
            names={"nl": form.cleaned_data["name_nl"]},
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Theme “%(name)s” added.") % {"name": theme})
    return redirect("themes:theme_list")


@admin_required
@require_POST
def proposal_merge(request, pk: int):
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the theme to merge it into."))
        return redirect("themes:theme_list")
    try:
        theme = services.proposal_merge(actor=request.user, proposal_id=pk, theme_id=form.cleaned_data["theme"].pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Merged into “%(name)s”.") % {"name": theme})
    return redirect("themes:theme_list")


@admin_required
@require_POST
def proposal_reject(request, pk: int):
    try:
        services.proposal_reject(actor=request.user, proposal_id=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Proposal rejected; it will not be proposed again."))
    return redirect("themes:theme_list")
