"""Scopes: every API view declares the scope each method needs; a token without it gets 403."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission

from api.models import ApiToken


def required_scope(view, method: str) -> str | None:
    """The scope `view` declares for `method` (`required_scopes = {"GET": …, "POST": …}`)."""
    scopes = getattr(view, "required_scopes", None) or {}
    return scopes.get("GET" if method == "HEAD" else method)


class HasScope(BasePermission):
    message = gettext_lazy("This token may not do that.")

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return False
        if request.method == "OPTIONS":
            return True
        scope = required_scope(view, request.method)
        if scope is None:
            return False  # a view that declares nothing is closed
        if not token.has_scope(scope):
            self.message = _("This token lacks the scope %(scope)s.") % {"scope": scope}
            return False
        return True
