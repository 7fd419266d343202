from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # The respondent's pages first: every answer resolves here without trying the staff patterns.
    path("", include("surveys.urls_public")),
    path("", include("accounts.urls")),  # sign-in, two-factor, single sign-on, password reset
    path("", include("core.urls")),
    path("", include("surveys.urls")),
    path("", include("followups.urls")),
    path("", include("themes.urls")),
    path("", include("scoring.urls")),
    path("", include("api.urls_admin")),  # staff pages for API tokens
    path("api/", include("api.urls")),  # the REST API (bearer tokens), its schema and docs
    path("", include("webhooks.urls")),
    path("anymail/", include("anymail.urls")),  # ESP tracking webhooks (basic auth: ANYMAIL_WEBHOOK_SECRET)
    path("django-admin/", admin.site.urls),
]
if settings.DEMO_TOOLS:  # the outbox's "Reply as the customer" (demo/): never in production
    urlpatterns.append(path("demo/", include("demo.urls")))

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
