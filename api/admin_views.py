"""Staff pages for API tokens (admins only): list, create (the secret is shown once), revoke."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from api import services
from api.forms import ApiTokenForm
from api.models import ApiToken
from core.roles import admin_required


@admin_required
@require_GET
def token_list(request):
    tokens = ApiToken.objects.select_related("created_by")
    return render(request, "api/token_list.html", {"tokens": tokens})


@admin_required
@require_http_methods(["GET", "POST"])
@never_cache  # the answer to a POST holds the secret
def token_create(request):
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, secret = services.token_create(
            name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"], actor=request.user
        )
        # Rendered, not redirected: the secret is never stored, so this answer is the only place it appears.
        return render(request, "api/token_created.html", {"token": token, "secret": secret})
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("New API token"), "back_url": reverse("api:token_list")},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk)
    if services.token_revoke(token=token, actor=request.user):
        messages.success(
            request, _("Revoked the token %(name)s; calls with it are refused from now on.") % {"name": token.name}
        )
    return redirect("api:token_list")
