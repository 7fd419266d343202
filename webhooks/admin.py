"""Django admin for webhooks: read-only. Endpoints are created, changed and their secrets rotated
on the product's own pages (webhooks.services), and deliveries are written by the sender only, so
the admin only shows them; the signing secrets never appear here."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from webhooks.models import Delivery, DeliveryAttempt, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "description", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    exclude = ["secret", "previous_secret"]


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ["number", "started_at", "status_code", "duration_ms", "error", "retry_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "endpoint", "event", "status", "attempts", "last_status_code"]
    list_filter = ["status", "event"]
    raw_id_fields = ["endpoint"]
    inlines = [DeliveryAttemptInline]
