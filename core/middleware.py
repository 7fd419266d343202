"""Headers every response gets (Permissions-Policy), and respondents always get the product's own
error pages.

With DEBUG on (`make demo`), Django answers an unknown or tampered link with its technical 404 page,
which lists every URL pattern. Staff may keep that page while developing; a customer who opened a
survey or unsubscribe link from an e-mail must never see it. The paths customers reach are listed
in settings.RESPONDENT_PATH_PREFIXES.
"""

from django.conf import settings
from django.http import Http404

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
