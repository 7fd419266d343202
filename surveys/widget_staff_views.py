"""The campaign page's widget actions for admins: show the signing secret once, or rotate it (a new
one, shown once). The rules and the audit entries are surveys.widget_setup's."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.roles import admin_required
from surveys.models import Campaign, WidgetSettings
from surveys.widget_setup import widget_secret_reveal, widget_secret_rotate

ACTIONS = {"reveal": widget_secret_reveal, "rotate": widget_secret_rotate}


@admin_required
@require_POST
def campaign_widget_secret(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return HttpResponseBadRequest(_("Choose to show or to rotate the secret."))
    try:
        secret = ACTIONS[action](campaign_id=campaign.pk, actor=request.user)
    except WidgetSettings.DoesNotExist:
        raise Http404(_("This campaign has no widget.")) from None
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("surveys:campaign_detail", pk=campaign.pk)
    response = render(
        request, "surveys/widget_secret.html", {"campaign": campaign, "secret": secret, "rotated": action == "rotate"}
    )
    response["Cache-Control"] = "no-store"  # not kept by the browser's back button or a proxy
    return response
