"""Static files, media and uploads."""

from pathlib import Path

from config.env import env_int, env_str
from config.settings.base import BASE_DIR, DEMO_DIR, PRODUCTION

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
