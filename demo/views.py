"""The demo's own pages (only with settings.DEMO_TOOLS, never in production)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.models import OutboxMessage
from core.roles import admin_required
from demo.customer_reply import reply_as_customer


@admin_required
@require_POST
def outbox_reply_as_customer(request, pk: int):
    inbound = reply_as_customer(get_object_or_404(OutboxMessage, pk=pk))
    if inbound is None:
        messages.error(request, _("The inbound webhook refused the reply; see the server log."))
        return redirect("core:outbox")
    if inbound.followup_id:
        messages.success(request, _("The customer's reply came in on case #%(pk)s.") % {"pk": inbound.followup_id})
        return redirect("followups:followup_detail", pk=inbound.followup_id)
    messages.warning(request, _("The customer's reply matched no case; it is on the unmatched list."))
    return redirect("followups:inbound_detail", pk=inbound.pk)
