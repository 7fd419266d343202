import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core import privacy
from core.roles import admin_required
from surveys.models import Contact


@admin_required
@require_GET
def contact_export_json(request, pk: int):
    contact = get_object_or_404(Contact, pk=pk)
    data = privacy.export(contact, actor=request.user)
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def contact_erase_confirm(request, pk: int):
    contact = get_object_or_404(Contact, pk=pk)
    if request.method == "POST":
        if request.POST.get("confirm", "").strip().lower() != contact.email.lower():
            messages.error(request, _("Type the contact's e-mail address exactly to confirm the erasure."))
            return render(request, "surveys/privacy/erase_confirm.html", {"contact": contact}, status=400)
        privacy.erase(contact, actor=request.user)
        messages.success(request, _("The contact's personal data was erased; their scores are kept anonymously."))
        return redirect(_contact_page(contact.pk))
    return render(request, "surveys/privacy/erase_confirm.html", {"contact": contact})


def _contact_page(pk: int) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("surveys:contact_detail", args=[pk])
    except NoReverseMatch:
        return reverse("surveys:contact_erase_confirm", args=[pk])
