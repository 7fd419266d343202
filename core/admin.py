"""Django admin for core's records: a read-mostly fallback for operators.

Mail, outbox and audit records are evidence: they are written only by the services that send or
act, so the admin shows them and changes nothing. Teams and user profiles hold plain settings with
no rule behind them and stay editable.
"""

from django.contrib import admin

from core.models import AuditLog, EmailDelivery, OutboxMessage, Team, UserProfile


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows records that only a service may write: no add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead", "nps_target"]
    search_fields = ["name"]
    filter_horizontal = ["members"]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    list_filter = ["language"]
    raw_id_fields = ["user"]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "to", "status", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "key", "message_id"]
    date_hierarchy = "created_at"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "to", "subject"]
    search_fields = ["to", "subject", "message_id"]
    date_hierarchy = "created_at"


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_name", "action", "target_type", "target_repr"]
    list_filter = ["action"]
    search_fields = ["actor_name", "action", "target_repr"]
    date_hierarchy = "created_at"
