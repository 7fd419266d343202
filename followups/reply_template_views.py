"""Reply templates, for admins: the list, a template's form (with the placeholders explained), delete."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.roles import admin_required
from followups import reply_templates
from followups.forms import ReplyTemplateForm
from followups.models import ReplyTemplate


@admin_required
@require_GET
def reply_template_list(request):
    return render(
        request,
        "followups/reply_template_list.html",
        {"templates": ReplyTemplate.objects.all(), "placeholders": reply_templates.PLACEHOLDERS},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def reply_template_edit(request, pk: int | None = None):
    template = get_object_or_404(ReplyTemplate, pk=pk) if pk else None
    form = ReplyTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in reply_templates.FIELDS}
        try:
            saved = reply_templates.template_save(template=template, actor=request.user, **values)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved template “%(name)s”.") % {"name": saved.name})
            return redirect("followups:reply_template_list")
    return render(
        request,
        "followups/reply_template_form.html",
        {"form": form, "template": template, "placeholders": reply_templates.PLACEHOLDERS},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def reply_template_delete(request, pk: int):
    template = get_object_or_404(ReplyTemplate, pk=pk)
    reply_templates.template_delete(template=template, actor=request.user)
    messages.success(request, _("Template deleted."))
    return redirect("followups:reply_template_list")
