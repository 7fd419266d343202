"""Installed apps, middleware, URL configuration and templates."""

from config.env import env_str
from config.settings.base import BASE_DIR

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "anymail",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from the package, never a CDN
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "core",
    "accounts",
    "surveys",
    "themes",
    "followups",
    "scoring",
    "webhooks",
    "api",
    "demo",  # demo data and `make demo` (dev only; the top layer)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): which 2FA device this session used
    "core.i18n.UserLanguageMiddleware",  # a logged-in user's own language (after LocaleMiddleware and auth)
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.TwoFactorSetupMiddleware",  # staff who must set up 2FA see only that page
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.RespondentErrorPagesMiddleware",  # never Django's technical 404 on a customer's link
    "core.middleware.DatabaseUnavailableMiddleware",  # 503 "try again in a moment" while the database is away
]
# Paths customers reach from e-mails and QR codes: the survey, anonymous link and unsubscribe pages.
RESPONDENT_PATH_PREFIXES = ("/s/", "/a/", "/u/")

ROOT_URLCONF = env_str("ROOT_URLCONF", "config.urls")  # the benchmark adds its baseline view
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.navigation",
            ],
        },
    },
]
