from django.http import Http404, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.ratelimit import allow, client_ip
from surveys.unsubscribe import contact_for_token, contact_opt_out


@csrf_exempt  # only for RFC 8058 one-click POSTs from mail providers; every other POST is CSRF-checked below
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    if not allow("unsubscribe", client_ip(request), limit=30, window=60):
        return HttpResponse(_("Too many requests. Please try again in a minute."), status=429,
                            content_type="text/plain; charset=utf-8")
    contact = contact_for_token(token)
    if contact is None:
        raise Http404
    one_click = request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"
    if request.method == "POST" and not one_click:
        rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if rejected is not None:
            return rejected
    with translation.override(contact.language):
        if request.method == "POST":
            contact_opt_out(contact=contact, via="one-click" if one_click else "unsubscribe page")
            if one_click:
                return HttpResponse(status=200)
            return render(request, "surveys/public/unsubscribe.html", {"done": True, "language": contact.language})
        return render(request, "surveys/public/unsubscribe.html", {
            "done": contact.opted_out_at is not None, "language": contact.language})
