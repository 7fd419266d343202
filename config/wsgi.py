import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from core.gcfreeze import freeze_loaded  # noqa: E402  (Django must be set up first)

freeze_loaded()  # each web process's loaded code, out of the full collections' way (core/gcfreeze.py)
