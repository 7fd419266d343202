"""Kringloop settings: one module, driven by environment variables.

`KRINGLOOP_ENV` names the mode:
- `production` (the default): every secret and host must be given; nothing permissive.
- `development`: `make demo`. SQLite, a broker on the file system, emails to the in-app outbox,
  a secret key generated once per checkout (never committed).
- `test`: `make test`. PostgreSQL and Redis on localhost, as CI has them.
Every variable is listed in README.md.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from config.env import env_bool, env_choice, env_int, env_list, env_rates, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

KRINGLOOP_ENV = env_choice("KRINGLOOP_ENV", "production", ("production", "development", "test"))
PRODUCTION = KRINGLOOP_ENV == "production"
DEVELOPMENT = KRINGLOOP_ENV == "development"
TESTING = KRINGLOOP_ENV == "test"

DEBUG = env_bool("DEBUG", DEVELOPMENT)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when KRINGLOOP_ENV=production.")

DEMO_DIR = Path(env_str("KRINGLOOP_DEMO_DIR", str(BASE_DIR / ".demo")))
if DEVELOPMENT:
    DEMO_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    # Generated once per checkout and kept out of git (.gitignore), so no secret is in the repo.
    path = BASE_DIR / ".dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long in production.")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS is required in production (comma-separated host names).")
else:
    SECRET_KEY = env_str("SECRET_KEY", "") or _development_secret_key()
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

SITE_URL = env_str("SITE_URL", "" if PRODUCTION else f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")
if PRODUCTION and not SITE_URL:
    raise ImproperlyConfigured("SITE_URL is required in production (e.g. https://nps.example.com); emails link to it.")
# RFC 8058: the one-click List-Unsubscribe URL must be https. Plain http only when asked for by name.
ALLOW_HTTP_SITE_URL = env_bool("ALLOW_HTTP_SITE_URL", False)
if PRODUCTION and not SITE_URL.lower().startswith("https://") and not ALLOW_HTTP_SITE_URL:
    raise ImproperlyConfigured(
        f"SITE_URL={SITE_URL!r} is not https. E-mails carry a one-click List-Unsubscribe link to it, and RFC 8058 "
        "requires https; set an https SITE_URL, or ALLOW_HTTP_SITE_URL=true to accept plain http on purpose."
    )
COMPANY_NAME = env_str("COMPANY_NAME", "Acme")

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

# --- Database -------------------------------------------------------------------------------
_default_database_url = {
    "production": None,
    "development": f"sqlite:///{DEMO_DIR / 'kringloop.sqlite3'}",
    "test": "postgres://postgres@localhost:5432/kringloop",
}[KRINGLOOP_ENV]
DATABASE_URL = env_str("DATABASE_URL", _default_database_url)
if DATABASE_URL is None:
    raise ImproperlyConfigured("DATABASE_URL is required in production (postgres://user:pass@host:5432/db).")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters travel apart from the SQL, so psycopg prepares a statement that a connection runs
    # often (the answer POST's lookup and insert, the worker's batch queries) and PostgreSQL plans it
    # once per connection instead of on every execution. README: Performance.
    # Behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21),
    # set DB_PREPARED_STATEMENTS=false.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5 if env_bool("DB_PREPARED_STATEMENTS", True) else None}
    )
    # A kept connection the server has cut (a restart, a failover, pg_terminate_backend) is found out
    # before a request uses it and opened again, instead of failing that request (make chaos).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs web, worker and beat as three processes on one SQLite file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# Reads on a PostgreSQL streaming replica (core/replica.py, README "Reads on a replica"): the
# dashboard, comments, exports and the API's lists and summary read there while it answers and lags
# less than REPLICA_MAX_LAG_S; everything else, and every write, stays on the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]),
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
REPLICA_MAX_LAG_S = env_int("REPLICA_MAX_LAG_S", 10, minimum=0)
REPLICA_CHECK_S = env_int("REPLICA_CHECK_S", 5, minimum=0)
REPLICA_READ_APPS = ("core", "surveys", "followups", "themes", "scoring", "webhooks")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://localhost:6379/0" if TESTING else "")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL is required in production (the shared cache for rate limits).")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "kringloop"),
        }
    }
else:
    # Development without Redis: a cache on disk that the web server, worker and beat share.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DEMO_DIR / "cache"),
        }
    }

_filesystem_broker = not (env_str("CELERY_BROKER_URL", "") or REDIS_URL)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if _filesystem_broker:
    # A broker that needs no server: kombu's file-system transport, for `make demo`.
    _broker_dir = DEMO_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # else kombu makes ./control in the checkout
        "store_processed": False,
    }
else:
    # Longer than any countdown or ETA we use, so an unacknowledged task is not redelivered early.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 6 * 3600)}
# Webhook deliveries and bulk sending (a campaign's invitations and reminders, "you said, we did"
# notices) have a queue each, which every worker also consumes (taking from the three in turn):
# thousands of deliveries, a receiver that keeps timing out, or a send of 20,000 never hold up the
# answers, cases and alerts queued behind them (make chaos: a send of 20,000 waited behind 2,800
# deliveries, then the answers of the next three minutes waited behind the send's 200 batches).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (
    Queue("celery", routing_key="celery"),
    Queue("bulk", routing_key="bulk"),
    Queue("webhooks", routing_key="webhooks"),
)
CELERY_TASK_ROUTES = {
    "webhooks.tasks.deliver": {"queue": "webhooks"},
    **dict.fromkeys(
        (
            "surveys.tasks.start_wave",
            "surveys.tasks.send_invitation_batch",
            "surveys.tasks.send_reminder_batch",
            "followups.tasks.send_improvement_notices",
            "followups.tasks.send_improvement_notice",
        ),
        {"queue": "bulk"},
    ),
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Tasks publish from web requests: fail fast when the broker is down (the sweep picks the work up).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2}

# --- Email ----------------------------------------------------------------------------------
# `core.mail.OutboxBackend` stores every message in the database; admins read it at /outbox/.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "core.mail.OutboxBackend" if not PRODUCTION else "")
if PRODUCTION and not EMAIL_BACKEND:
    raise ImproperlyConfigured("EMAIL_BACKEND is required in production, e.g. anymail.backends.postmark.EmailBackend.")
# Can the e-mail provider deliver to an address with a UTF-8 local part (SMTPUTF8, RFC 6531)? The
# contacts' address rule (surveys.addresses) accepts such addresses only then. The outbox and the
# test backends deliver nothing, so they can; Django's SMTP backend cannot; for an ESP that can, set it.
_DELIVERS_NOTHING = {
    "core.mail.OutboxBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "anymail.backends.test.EmailBackend",
}
# Invitations through the provider's batch API (surveys/esp_batch.py): "auto" for anymail's Mailgun and
# SendGrid backends (one call per up to 1,000 recipients), "off" for one call per message.
INVITE_ESP_BATCH = env_str("INVITE_ESP_BATCH", "auto")
EMAIL_SMTPUTF8 = env_bool("EMAIL_SMTPUTF8", EMAIL_BACKEND in _DELIVERS_NOTHING)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kringloop <nps@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The ESP's tracking webhook is protected by HTTP basic auth with this "user:password".
ANYMAIL = {
    "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET")
    if PRODUCTION
    else env_str("ANYMAIL_WEBHOOK_SECRET", f"kringloop:{SECRET_KEY[:24]}"),
}
# ESP credentials (e.g. POSTMARK_SERVER_TOKEN) are read by anymail from ANYMAIL_<ESP>_* variables.
for _key, _value in os.environ.items():
    if _key.startswith("ANYMAIL_") and _key != "ANYMAIL_WEBHOOK_SECRET":
        ANYMAIL[_key.removeprefix("ANYMAIL_")] = _value
# Customers' replies come back into the case (followups.inbound): e-mails to customers carry
# Reply-To: reply+<signed token>@INBOUND_DOMAIN, and the ESP posts what arrives there to
# /anymail/<esp>/inbound/ (the same basic auth as the tracking webhook). Empty: off.
INBOUND_DOMAIN = env_str("INBOUND_DOMAIN", "replies.localhost" if DEVELOPMENT else "").strip().lower()
INBOUND_KEEP_ATTACHMENTS = env_bool("INBOUND_KEEP_ATTACHMENTS", False)
INBOUND_ATTACHMENT_MAX_BYTES = env_int("INBOUND_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=0)
# Kudos (followups.kudos): the hour (TIME_ZONE) from which the day's batched praise goes out, and
# the contact attribute that names the staff member who served the customer.
KUDOS_HOUR = env_int("KUDOS_HOUR", 16, minimum=0)
KUDOS_SERVED_BY_ATTRIBUTE = env_str("KUDOS_SERVED_BY_ATTRIBUTE", "served_by")
# The demo's "Reply as the customer" button on the outbox (demo/): never in production.
DEMO_TOOLS = DEVELOPMENT or TESTING

# --- Text messages (SMS) ---------------------------------------------------------------------
# core.sms: `outbox` stores each text message with the e-mails at /outbox/ (demo, development),
# `console` prints it, `twilio` and `messagebird` send it through the provider's REST API. The
# provider calls back on /sms/<backend>/status/ (delivery) and /sms/<backend>/inbound/ (STOP).
SMS = {
    "BACKEND": env_choice("SMS_BACKEND", "outbox", ("outbox", "console", "twilio", "messagebird")),
    # The sender: a number in E.164 form, or an alphanumeric sender id of at most 11 characters.
    "FROM": env_str("SMS_FROM", "Kringloop"),
    "DEFAULT_REGION": env_str("SMS_DEFAULT_REGION", "NL"),  # for numbers written without +country code
    "HOURS": env_str("SMS_HOURS", "09:00-20:00"),  # sent only then, in the contact's time zone
    "TIMEOUT": env_int("SMS_TIMEOUT", 10, minimum=1),
    "TWILIO_ACCOUNT_SID": env_str("TWILIO_ACCOUNT_SID", ""),
    "TWILIO_AUTH_TOKEN": env_str("TWILIO_AUTH_TOKEN", ""),
    "TWILIO_MESSAGING_SERVICE_SID": env_str("TWILIO_MESSAGING_SERVICE_SID", ""),  # instead of SMS_FROM
    "TWILIO_API_URL": env_str("TWILIO_API_URL", "https://api.twilio.com").rstrip("/"),
    "MESSAGEBIRD_ACCESS_KEY": env_str("MESSAGEBIRD_ACCESS_KEY", ""),
    "MESSAGEBIRD_SIGNING_KEY": env_str("MESSAGEBIRD_SIGNING_KEY", ""),
    "MESSAGEBIRD_API_URL": env_str("MESSAGEBIRD_API_URL", "https://rest.messagebird.com").rstrip("/"),
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# How long a password-reset link works (seconds).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600, minimum=300)
# Two-factor authentication (django-otp): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", f"Kringloop {COMPANY_NAME}")
# Passkeys (django-otp-webauthn, accounts/passkeys.py): bound to the site's host name and origin.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "django_otp_webauthn.backends.WebAuthnBackend",  # sign-in with a passkey
]
OTP_WEBAUTHN_RP_NAME = "Kringloop"
_site = urlsplit(SITE_URL)
if _site.scheme == "https":
    OTP_WEBAUTHN_RP_ID = _site.hostname
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [SITE_URL]
else:
    # Browsers offer passkeys over plain http only on localhost: open the demo at http://localhost:8000.
    OTP_WEBAUTHN_RP_ID = "localhost"
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"http://localhost:{_site.port or 80}"]

# Single sign-on with OpenID Connect (accounts/sso.py). Off unless OIDC_ISSUER and OIDC_CLIENT_ID are set.
OIDC = {
    "ISSUER": env_str("OIDC_ISSUER", "").rstrip("/"),
    "CLIENT_ID": env_str("OIDC_CLIENT_ID", ""),
    "CLIENT_SECRET": env_str("OIDC_CLIENT_SECRET", ""),
    "SCOPES": env_str("OIDC_SCOPES", "openid email profile"),
    "PROVIDER_NAME": env_str("OIDC_PROVIDER_NAME", ""),
    "CREATE_USERS": env_bool("OIDC_CREATE_USERS", False),
    "DEFAULT_ROLE": env_choice("OIDC_DEFAULT_ROLE", "viewer", ("viewer", "agent", "admin", "none")),
}
# Staff sign in only through SSO; the password login then accepts only the break-glass admin.
SSO_ONLY = env_bool("SSO_ONLY", False)
BREAK_GLASS_USERNAME = env_str("BREAK_GLASS_USERNAME", "")
if SSO_ONLY and not (OIDC["ISSUER"] and OIDC["CLIENT_ID"]):
    raise ImproperlyConfigured("SSO_ONLY needs single sign-on configured: set OIDC_ISSUER and OIDC_CLIENT_ID.")
if SSO_ONLY and not BREAK_GLASS_USERNAME:
    raise ImproperlyConfigured(
        "SSO_ONLY needs BREAK_GLASS_USERNAME: the one admin who may still sign in with a password."
    )

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # English keeps ISO-like short dates; Dutch uses Django's own
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
_node = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", _node / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", _node / "bootstrap-icons" / "font"),
    ("vendor/chart.js", _node / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_AUTOREFRESH = not PRODUCTION  # serve straight from the finders outside production
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DEMO_DIR / "media")))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Uploads: CSV imports may be large; they are streamed to disk, not held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
CONTACT_IMPORT_MAX_BYTES = 50 * 1024 * 1024  # a larger contact CSV is refused with a message: split it

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy on every response (django-csp): scripts only from our own static files,
# never inline (the page's data goes in <script type="application/json">, which never runs).
# Styles allow inline style attributes (Bootstrap's progress bars, Chart.js, htmx's indicator
# style); img data: for Bootstrap's icons. Views that need something else say so themselves: the
# e-mail preview sets its own stricter header, /api/docs/ loads Swagger UI's script as a file too.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}
# Browser features the product never uses are off for every page (core.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), interest-cohort=()"
)
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# How many reverse proxies in front of the app append to X-Forwarded-For; rate limits read the
# client address from there (0: use REMOTE_ADDR, no proxy).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0, minimum=0)
if TRUSTED_PROXY_HOPS:
    # Only a proxy that sets X-Forwarded-Proto itself (and drops the client's) may say the request
    # came over https; without one, any client could claim it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Product rules --------------------------------------------------------------------------
KRINGLOOP = {
    "QUIET_PERIOD_DAYS": env_int("QUIET_PERIOD_DAYS", 30, minimum=0),
    "REMINDER_AFTER_DAYS": env_int("REMINDER_AFTER_DAYS", 5, minimum=1),
    "ANSWER_EDIT_DAYS": 7,
    "COMMENT_MAX_LENGTH": 5000,
    "MIN_RESPONSES": env_int("NPS_MIN_RESPONSES", 30, minimum=1),
    "SLA_HOURS": {"detractor": 48, "passive": 168, "promoter": 168},
    "BUSINESS_HOURS": env_str("BUSINESS_HOURS", "09:00-17:00"),
    "BUSINESS_DAYS": env_str("BUSINESS_DAYS", "1,2,3,4,5"),
    "INVITE_BATCH_SIZE": env_int("INVITE_BATCH_SIZE", 500, minimum=1),
    "DIGEST_WEEKDAY": 0,  # Monday
    "DIGEST_HOUR": env_int("DIGEST_HOUR", 8, minimum=0),
    # The period alerts on real drops judge (scoring.alerts): the week or the calendar month just ended.
    "ALERT_PERIOD": env_choice("NPS_ALERT_PERIOD", "week", ("week", "month")),
    # New answers reach the worker through a Redis list and a dispatcher in each worker (core/handoff.py);
    # off: one Celery message per answer, published by the web request.
    "ANSWER_HANDOFF": env_bool("ANSWER_HANDOFF", True),
    # How long the dispatcher lets answers gather after the first before it hands them on as one batch.
    "ANSWER_GATHER_MS": env_int("ANSWER_GATHER_MS", 250, minimum=0),
    # A new case's owner alert waits for the customer's "why", at most this long (0: at once).
    "OWNER_ALERT_HOLD_SECONDS": env_int("OWNER_ALERT_HOLD_SECONDS", 600, minimum=0),
    "WEBHOOK_PRIVATE_NETWORKS": env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", not PRODUCTION),
    # Accounts (#24): the currency revenue figures are summed in, fixed rates from other currencies
    # into it (surveys.account_money; accounts in a currency without a rate are left out of the
    # sums, and counted), and the ARR from which an account is a key account (shorter SLA).
    "CURRENCY": env_str("CURRENCY", "EUR").upper()[:3],
    "EXCHANGE_RATES": env_rates("EXCHANGE_RATES"),
    "KEY_ACCOUNT_ARR": env_int("KEY_ACCOUNT_ARR", 50000, minimum=0),
    # Seconds between a webhook delivery's attempts (webhooks.delivery), and each attempt's time limit.
    "WEBHOOK_RETRY_DELAYS": tuple(
        int(s) for s in env_list("WEBHOOK_RETRY_DELAYS", ["120", "240", "480", "960", "1920"]) if s.strip()
    ),
    "WEBHOOK_TIMEOUT": env_int("WEBHOOK_TIMEOUT", 10, minimum=1),
}

# --- REST API (api/) ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kringloop API",
    "DESCRIPTION": "Contacts, transactional surveys, responses, follow-ups and NPS. Every call needs "
    "`Authorization: Bearer <token>`; admins create tokens with scopes under API tokens.",
    "VERSION": "1.3",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_AUTHENTICATION": [],  # the schema and docs are public; a stale token must not hide them
    "ENUM_NAME_OVERRIDES": {
        "InvitationStatusEnum": "surveys.models.Invitation.Status",
        "FollowUpStatusEnum": "followups.models.FollowUp.Status",
        "CampaignKindEnum": "surveys.models.Campaign.Kind",
        "CampaignChannelEnum": "surveys.models.Campaign.Channel",
        "TriggerChannelEnum": "api.serializers.TRIGGER_CHANNELS",
        "FollowUpEventKindEnum": "followups.models.FollowUpEvent.Kind",
        "AccountStatusEnum": "surveys.models.Account.Status",
    },
}
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 600, minimum=1)  # requests per minute per token

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "filters": {"forbidden_is_info": {"()": "core.logs.ForbiddenIsInfo"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Django's own "django" logger also writes to a console of its own while DEBUG is on, so
        # every line came twice: everything of Django's goes to the root's console only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A 403 is one INFO line, not a WARNING with a traceback.
        "django.request": {"filters": ["forbidden_is_info"]},
        # WeasyPrint logs every typesetting step at INFO (the board report): only its warnings.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
