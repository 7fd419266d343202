"""Staff pages of the outbound webhooks (admins only)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.roles import admin_required
from webhooks import queries, services
from webhooks.chat import CHAT_EVENTS
from webhooks.events import EVENT_TYPES, PING
from webhooks.forms import ChatEndpointForm, EndpointForm
from webhooks.models import Delivery, Endpoint


@admin_required
@require_GET
def endpoint_list(request):
    return render(
        request,
        "webhooks/endpoint_list.html",
        {"endpoints": queries.endpoint_rows(), "event_types": EVENT_TYPES, "chat_events": CHAT_EVENTS},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def endpoint_edit(request, pk: int | None = None):
    endpoint = get_object_or_404(Endpoint, pk=pk) if pk else Endpoint()
    chat = endpoint.is_chat if pk else request.GET.get("chat") == "1"
    form = (ChatEndpointForm if chat else EndpointForm)(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        created = endpoint.pk is None
        endpoint = services.endpoint_save(endpoint=endpoint, actor=request.user, **form.cleaned_data)
        if created and chat:
            messages.success(request, _("Channel connected. Send a test message to check it."))
            return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
        if created:
            messages.success(request, _("Endpoint added. Copy its signing secret below into the receiving system."))
            return redirect(reverse("webhooks:endpoint_detail", args=[endpoint.pk]) + "?secret=show")
        messages.success(request, _("Endpoint saved."))
        return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
    return render(
        request,
        "webhooks/endpoint_form.html",
        {"form": form, "endpoint": endpoint, "chat": chat},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_GET
def endpoint_detail(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    status, event = request.GET.get("status", ""), request.GET.get("event", "")
    deliveries = queries.endpoint_deliveries(endpoint, status=status, event=event)
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("status", status), ("event", event)) if v})
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "page": page,
            "query": query,
            "status": status,
            "event": event,
            "statuses": Delivery.Status.choices,
            "events": [*(CHAT_EVENTS if endpoint.is_chat else EVENT_TYPES), PING],
            "show_secret": request.GET.get("secret") == "show",
            "previous_until": endpoint.previous_secret_expires_at
            if endpoint.previous_secret
            and endpoint.previous_secret_expires_at
            and endpoint.previous_secret_expires_at > timezone.now()
            else None,
        },
    )


@admin_required
@require_POST
def endpoint_toggle(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    services.endpoint_set_active(endpoint=endpoint, active=not endpoint.active, actor=request.user)
    messages.success(
        request,
        _("The endpoint is now enabled.")
        if endpoint.active
        else _("The endpoint is now disabled; deliveries still waiting were cancelled."),
    )
    return redirect("webhooks:endpoint_detail", pk=endpoint.pk)


@admin_required
@require_POST
def endpoint_delete(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    services.endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, _("Endpoint deleted."))
    return redirect("webhooks:endpoint_list")


@admin_required
@require_POST
def endpoint_rotate_secret(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    services.endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
    messages.success(
        request,
        _("New signing secret made. The old one keeps signing for 24 hours, so the receiving system can switch over."),
    )
    return redirect(reverse("webhooks:endpoint_detail", args=[endpoint.pk]) + "?secret=show")


@admin_required
@require_POST
def endpoint_ping(request, pk: int):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    delivery = services.endpoint_ping(endpoint=endpoint, actor=request.user)
    messages.success(request, _("Test ping queued; its result appears in the log below."))
    return redirect("webhooks:delivery_detail", pk=delivery.pk)


@admin_required
@require_GET
def delivery_detail(request, pk):
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint"), pk=pk)
    return render(
        request,
        "webhooks/delivery_detail.html",
        {
            "delivery": delivery,
            "endpoint": delivery.endpoint,
            "body": queries.pretty_body(delivery),
            "attempts": delivery.attempt_log.all(),
        },
    )


@admin_required
@require_POST
def delivery_resend(request, pk):
    delivery = get_object_or_404(Delivery, pk=pk)
    try:
        services.delivery_resend(delivery=delivery, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("webhooks:delivery_detail", pk=delivery.pk)
    messages.success(request, _("Re-send queued; the new attempt appears below."))
    return redirect("webhooks:delivery_detail", pk=delivery.pk)
