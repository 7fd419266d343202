"""The mode (`KRINGLOOP_ENV`), debug, the secret key, allowed hosts and the site's URL: what every other
settings module reads."""

import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent


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
