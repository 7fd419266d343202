"""Django admin for the follow-up records: a read-mostly fallback for support staff. Cases are
worked on the product's own pages, where every change goes through followups.services and is kept
in the case history; so status, owner and history are read-only here."""

from django.contrib import admin

from followups.models import FollowUp, FollowUpEvent, RootCauseTag, RoundRobinState, RoutingRule, SLAPolicy


@admin.register(RootCauseTag)
class RootCauseTagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active"]
    list_filter = ["active"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "active", "target", "target_user", "team"]
    list_filter = ["active", "target", "team"]
    raw_id_fields = ["campaign", "target_user"]


@admin.register(RoundRobinState)
class RoundRobinStateAdmin(admin.ModelAdmin):
    list_display = ["team", "last_user"]
    readonly_fields = ["team", "last_user"]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ["category", "hours", "business_hours"]


class FollowUpEventInline(admin.TabularInline):
    model = FollowUpEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["created_at", "actor", "kind", "text"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["pk", "category", "status", "owner", "team", "due_at", "escalation_level", "at_risk"]
    list_filter = ["status", "category", "team", "escalation_level", "at_risk"]
    search_fields = ["contact__email", "contact__name"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "response",
        "contact",
        "category",
        "owner",
        "team",
        "routed_by",
        "status",
        "due_at",
        "escalation_level",
        "first_contact_at",
        "closed_at",
        "closed_reason",
        "resolution_summary",
        "created_at",
        "updated_at",
    ]
    inlines = [FollowUpEventInline]
