"""The unsubscribe page: a GET (or HEAD) asks (mail scanners follow links), a POST opts out.

Mail providers send the RFC 8058 one-click POST (body `List-Unsubscribe=One-Click`) without a
CSRF token; the signed token in the URL authenticates it. Every other POST is CSRF-checked.
"""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.ratelimit import rate_limit
from surveys.unsubscribe import contact_for_token, contact_opt_out

TEMPLATE = "surveys/public/unsubscribe.html"


def _page(request, context: dict, *, language: str, status: int = 200):
    with translation.override(language):
        return render(
            request, TEMPLATE, {"company_name": settings.COMPANY_NAME, "language": language, **context}, status=status
        )


def _too_many(request, token: str):
    contact = contact_for_token(token)
    return _page(
        request, {"limited": True}, language=contact.language if contact else settings.LANGUAGE_CODE, status=429
    )


@csrf_exempt  # only for RFC 8058 one-click POSTs from mail providers; every other POST is CSRF-checked below
@rate_limit("unsubscribe", limit=30, window=60, methods=None, on_limited=_too_many)
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    contact = contact_for_token(token)
    if contact is None:
        raise Http404
    one_click = request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"
    if request.method == "POST" and not one_click:
        rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if rejected is not None:
            return rejected
    if request.method == "POST":
        contact_opt_out(contact=contact, via="one-click" if one_click else "unsubscribe page")
        if one_click:
            with translation.override(contact.language):
                return HttpResponse(_("You are unsubscribed"), content_type="text/plain; charset=utf-8")
        return _page(request, {"done": True}, language=contact.language)
    return _page(request, {"done": contact.opted_out_at is not None}, language=contact.language)
