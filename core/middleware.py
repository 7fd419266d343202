"""Headers every response gets (Permissions-Policy), respondents always get the product's own
error pages, and everyone gets a "try again in a moment" page while the database is unreachable
(core.unavailable).

With DEBUG on (`make demo`), Django answers an unknown or tampered link with its technical 404 page,
which lists every URL pattern. Staff may keep that page while developing; a customer who opened a
survey or unsubscribe link from an e-mail must never see it. The paths customers reach are listed
in settings.RESPONDENT_PATH_PREFIXES.
"""

from django.conf import settings
from django.http import Http404

from core.unavailable import is_outage, unavailable
from core.views import page_not_found


class PermissionsPolicyMiddleware:
    """Sets settings.PERMISSIONS_POLICY on every response that has none yet."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class RespondentErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(settings.RESPONDENT_PATH_PREFIXES)

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and request.path_info.startswith(self.prefixes):
            return page_not_found(request, exception)
        return None


class DatabaseUnavailableMiddleware:
    """A view that loses the database answers 503 with Retry-After and a friendly page
    (core.unavailable), also with DEBUG on; last in MIDDLEWARE, so it sees the exception first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_outage(exception):
            return unavailable(request, exception)
        return None
