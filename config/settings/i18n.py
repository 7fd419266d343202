"""Internationalisation: languages, translations, formats, time zone."""

from config.env import env_str
from config.settings.base import BASE_DIR

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # English keeps ISO-like short dates; Dutch uses Django's own
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True
