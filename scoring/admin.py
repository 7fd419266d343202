from django.contrib import admin

from scoring.models import CompanySettings, DigestDelivery


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ("user", "week_start", "sent_at")
    list_filter = ("week_start",)
    readonly_fields = ("user", "week_start", "sent_at")


@admin.register(CompanySettings)
class CompanySettingsAdmin(admin.ModelAdmin):
    list_display = ("pk", "nps_target")
