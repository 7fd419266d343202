from django.contrib import admin

from scoring.models import CompanySettings, ReportSubscription


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("pk", "user", "team", "frequency", "weekday", "day_of_month", "hour", "active", "default_for_team")
    list_filter = ("frequency", "active")


@admin.register(CompanySettings)
class CompanySettingsAdmin(admin.ModelAdmin):
    list_display = ("pk", "nps_target")
