"""Django admin for API tokens: read-only. A token is created (its secret shown once) and revoked
on the product's API tokens page (api.services), which keeps the audit log; the hash never shows."""

from django.contrib import admin

from api.models import ApiToken
from core.admin import ReadOnlyAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "prefix", "scopes", "created_by", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name", "prefix"]
    exclude = ["secret_hash"]
