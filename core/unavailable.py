"""When the database is unreachable (a restart, a failover, every connection cut), people get a
friendly "try again in a moment" page, 503 with Retry-After, never a traceback or a bare 500.

core.middleware.DatabaseUnavailableMiddleware turns a view's (or its template's) OperationalError or
InterfaceError into this page, also with DEBUG on; core.views.server_error does the same for one
raised anywhere else (another middleware, a session save). The page is rendered without the
database: a template of its own, no context processors (they would read the session and the user).
An answer that was not stored is not lost silently: the respondent is told to send it again.
"""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

RETRY_AFTER = 10  # seconds: a restart or failover usually takes a few
OUTAGE = (OperationalError, InterfaceError)
logger = logging.getLogger(__name__)


def is_outage(exception) -> bool:
    return isinstance(exception, OUTAGE)


def unavailable(request, exception=None) -> HttpResponse:
    """The 503 answer: JSON for the API, else the page."""
    logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exception)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": _("The service is briefly unavailable. Try again in a moment.")}, status=503)
    else:
        again = request.get_full_path() if request.method in ("GET", "HEAD") else request.path
        html = render_to_string(
            "core/unavailable.html",
            {
                "language": get_language() or settings.LANGUAGE_CODE,
                "company_name": settings.COMPANY_NAME,
                "again": again,
                "posted": request.method == "POST",
                "retry_after": RETRY_AFTER,
            },
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response
