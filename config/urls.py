from django.conf import settings
from django.contrib import admin
from django.urls import include, path

# One include per app, each with its own namespace (app_name in its urls.py). No pattern shadows
# another, so the order below decides nothing (tests/test_url_names.py checks that every pattern
# resolves back to itself). The respondent's /s/, /a/ and /u/ paths are in e-mails already sent:
# they are kept forever.
urlpatterns = [
    path("", include("surveys.urls")),  # the respondent's pages; campaigns, contacts, touchpoints
    path("", include("accounts.urls")),  # sign-in, two-factor, single sign-on, password reset
    path("account/passkeys/", include("accounts.passkeys")),  # WebAuthn ceremonies (namespace otp_webauthn)
    path("", include("core.urls")),  # start page, profile, users and teams, outbox, audit, retention
    path("", include("followups.urls")),  # cases, routing, improvements
    path("themes/", include("themes.urls")),
    path("", include("scoring.urls")),  # the dashboard under dashboard/, accounts' health under accounts/
    path("", include("api.urls")),  # the REST API under api/, its token pages under api-tokens/
    path("webhooks/", include("webhooks.urls")),
    path("anymail/", include("anymail.urls")),  # ESP tracking webhooks (basic auth: ANYMAIL_WEBHOOK_SECRET)
    path("django-admin/", admin.site.urls),
]
if settings.DEMO_TOOLS:  # the outbox's "Reply as the customer" (demo/): never in production
    urlpatterns.append(path("demo/", include("demo.urls")))

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
