"""A request budget per token (API_RATE_LIMIT in any 60 seconds), on the sliding-window limiter of core.ratelimit."""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from api.models import ApiToken
from core import ratelimit

WINDOW = 60


class TokenRateThrottle(BaseThrottle):
    retry_after = None

    def allow_request(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return True  # unauthenticated calls are refused before they cost anything
        decision = ratelimit.check("api", token.prefix, limit=settings.API_RATE_LIMIT, window=WINDOW)
        self.retry_after = decision.retry_after
        return decision.allowed

    def wait(self):
        return self.retry_after
