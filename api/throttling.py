"""A request budget per token (API_RATE_LIMIT a minute), on the shared rate limiter of core.ratelimit."""

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from api.models import ApiToken
from core import ratelimit

WINDOW = 60


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return True  # unauthenticated calls are refused before they cost anything
        return ratelimit.allow("api", token.prefix, limit=settings.API_RATE_LIMIT, window=WINDOW)

    def wait(self):
        return WINDOW - time.time() % WINDOW
