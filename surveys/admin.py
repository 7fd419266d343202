"""Django admin for the surveys records: a fallback for support staff. The product's own pages
(campaigns, contacts, import) are where admins work; status changes go through surveys.lifecycle,
so status is read-only here."""

from django.contrib import admin

from surveys.models import (
    Account,
    AccountProposal,
    Answer,
    Campaign,
    Contact,
    ContactImport,
    ContactList,
    Invitation,
    Question,
    Response,
    SendWave,
    Touchpoint,
    WidgetSettings,
)


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    prepopulated_fields = {"slug": ["name"]}


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["order", "kind", "driver", "text", "choices", "required"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "touchpoint", "team", "channel", "language", "status", "created_at"]
    list_filter = ["status", "kind", "channel", "language", "touchpoint", "team"]
    search_fields = ["name"]
    readonly_fields = ["status", "anonymous_token", "created_by", "created_at", "updated_at"]
    raw_id_fields = ["audience_list"]
    inlines = [QuestionInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "name",
        "external_id",
        "company",
        "language",
        "account_owner",
        "opted_out_at",
        "undeliverable_at",
        "erased_at",
    ]
    list_filter = ["language"]
    search_fields = ["email", "name", "external_id", "company"]
    raw_id_fields = ["account_owner", "account"]
    readonly_fields = ["created_at", "updated_at", "erased_at"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    """Churn goes through the product's account page (surveys.accounts.account_churn: the webhook);
    health is derived data, so status and health are read-only here."""

    list_display = ["name", "external_id", "segment", "arr", "currency", "owner", "team", "renewal_date", "status"]
    list_filter = ["status", "segment", "health", "team"]
    search_fields = ["name", "external_id"]
    raw_id_fields = ["owner"]
    readonly_fields = [
        "status",
        "churned_at",
        "churn_reason",
        "health",
        "health_nps",
        "health_n",
        "health_changed_at",
        "created_at",
        "updated_at",
    ]


@admin.register(AccountProposal)
class AccountProposalAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_count", "status", "decided_by", "decided_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in AccountProposal._meta.fields]


@admin.register(ContactList)
class ContactListAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    raw_id_fields = ["contacts"]


@admin.register(ContactImport)
class ContactImportAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "status",
        "total_rows",
        "processed_rows",
        "created_count",
        "updated_count",
        "error_count",
        "created_by",
        "created_at",
    ]
    list_filter = ["status"]
    readonly_fields = [f.name for f in ContactImport._meta.fields]


@admin.register(SendWave)
class SendWaveAdmin(admin.ModelAdmin):
    list_display = ["campaign", "number", "scheduled_for", "started_at", "finished_at", "total"]
    raw_id_fields = ["campaign"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["campaign", "contact", "status", "sent_at", "reminded_at", "answered_at"]
    list_filter = ["status"]
    search_fields = ["contact__email", "provider_message_id"]
    raw_id_fields = ["campaign", "wave", "contact"]
    readonly_fields = ["token", "created_at"]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    raw_id_fields = ["question"]


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["campaign", "contact", "score", "category", "touchpoint", "channel", "submitted_at"]
    list_filter = ["category", "kind", "channel", "touchpoint"]
    search_fields = ["contact__email", "comment"]
    raw_id_fields = ["campaign", "contact", "invitation"]
    date_hierarchy = "submitted_at"
    inlines = [AnswerInline]


@admin.register(WidgetSettings)
class WidgetSettingsAdmin(admin.ModelAdmin):
    """A widget campaign's widget: who may show it, when it asks, how it looks (also on the campaign's
    edit page). The public key goes in the script tag; the secret signs identified users on the
    company's back end (README, "The website and in-app widget")."""

    list_display = ["campaign", "public_key", "anonymous", "sample_percent", "position"]
    # The secret is shown once, on the campaign's page (surveys.widget_setup), never here.
    exclude = ["secret"]
    readonly_fields = ["public_key", "secret_shown_at"]
    raw_id_fields = ["campaign"]
