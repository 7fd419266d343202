"""Customers' e-mails: the admins' unmatched list (attach to a case they choose, or dismiss), and
the attachments kept on a case."""

from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.roles import admin_required, agent_required
from followups import inbound, inbound_queries
from followups.models import FollowUp, InboundMessage
from followups.queries import followup_for_user

SHOWN = {"open", "dismissed", "all"}


@admin_required
@require_GET
def inbound_list(request):
    show = request.GET.get("show", "open")
    show = show if show in SHOWN else "open"
    page = Paginator(inbound_queries.unmatched_messages(show=show), 50).get_page(request.GET.get("page"))
    return render(request, "followups/inbound_list.html", {"page": page, "show": show, "query": f"show={show}"})


@admin_required
@require_http_methods(["GET", "POST"])
def inbound_detail(request, pk: int):
    message = get_object_or_404(InboundMessage.objects.select_related("followup", "handled_by"), pk=pk)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "dismiss":
            inbound.inbound_dismiss(inbound=message, actor=request.user)
            messages.success(request, _("Dismissed."))
            return redirect("followups:inbound_list")
        if action == "attach":
            number = request.POST.get("case", "").strip().lstrip("#")
            case = FollowUp.objects.filter(pk=int(number)).first() if number.isdigit() and len(number) < 12 else None
            if case is None:
                error = _("There is no case with that number.")
            else:
                inbound.inbound_attach(inbound=message, case=case, actor=request.user)
                messages.success(request, _("The e-mail is now on case #%(pk)s.") % {"pk": case.pk})
                return redirect("followups:followup_detail", pk=case.pk)
        else:
            error = _("Unknown action.")
    return render(
        request,
        "followups/inbound_detail.html",
        {"message": message, "error": error},
        status=400 if error else 200,
    )


@agent_required
@require_GET
def inbound_attachment(request, pk: int, inbound_id: int, number: int):
    """A kept attachment of a customer's e-mail on a case the user may see; always as a download
    (never shown inline: it is whatever the sender chose to send)."""
    case = followup_for_user(request.user, pk)
    message = get_object_or_404(InboundMessage, pk=inbound_id, followup=case)
    items = message.attachments or []
    if not 1 <= number <= len(items) or not items[number - 1].get("path"):
        raise Http404
    item = items[number - 1]
    try:
        handle = default_storage.open(item["path"], "rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=item["name"], content_type="application/octet-stream")
