"""Scheduled reports' pages: subscribe to the dashboard's report, see and stop one's subscriptions,
and the one-click unsubscribe link of the e-mail (authorised by its signed token, like the
customers' unsubscribe link: a GET asks, a POST stops it; mail providers' RFC 8058 one-click POST
carries no CSRF token)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.i18n import user_language
from core.ratelimit import rate_limit
from core.roles import ADMIN, has_role, viewer_required
from scoring import board_report, report_jobs, subscriptions
from scoring.forms import SubscriptionForm


def _rows(subscriptions_qs):
    return [
        {"subscription": s, "scope": board_report.scope_lines(report_jobs.stored_filters(s.query))}
        for s in subscriptions_qs
    ]


@viewer_required
@require_GET
def report_subscriptions(request):
    return render(
        request,
        "scoring/subscriptions.html",
        {"rows": _rows(subscriptions.visible_subscriptions(request.user)), "admin": has_role(request.user, ADMIN)},
    )


@viewer_required
@require_http_methods(["GET", "POST"])
def report_subscribe(request):
    """Subscribe to the report under the dashboard's filters (in the query string)."""
    admin = has_role(request.user, ADMIN)
    form = SubscriptionForm(request.POST or None, admin=admin)
    query = request.GET.urlencode()
    filters = report_jobs.reader_filters(request.user, query)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            subscriptions.subscription_save(
                actor=request.user,
                query=query,
                frequency=data["frequency"],
                weekday=data["weekday"] or 0,
                day_of_month=data["day_of_month"],
                hour=data["hour"],
                user=data.get("user"),
                team=data.get("team"),
            )
            messages.success(request, _("Subscribed: the report will be e-mailed on schedule."))
            return redirect("scoring:report_subscriptions")
    context = {"form": form, "scope": board_report.scope_lines(filters), "query": filters.as_query()}
    return render(request, "scoring/subscribe.html", context, status=400 if form.errors else 200)


@viewer_required
@require_POST
def report_subscription_stop(request, pk: int):
    subscription = get_object_or_404(subscriptions.visible_subscriptions(request.user), pk=pk)
    subscriptions.subscription_stop(actor=request.user, subscription=subscription)
    messages.success(request, _("You will no longer get this report."))
    return redirect("scoring:report_subscriptions")


def _page(request, context: dict, *, user, status: int = 200):
    with translation.override(user_language(user) if user else None):
        return render(request, "scoring/report_unsubscribe.html", context, status=status)


def _too_many(request, token: str):
    found = subscriptions.subscription_for_token(token)
    return _page(request, {"limited": True}, user=found[1] if found else None, status=429)


@csrf_exempt  # only for RFC 8058 one-click POSTs from mail providers; every other POST is CSRF-checked below
@rate_limit("report-unsubscribe", limit=30, window=60, methods=None, on_limited=_too_many)
@require_http_methods(["GET", "HEAD", "POST"])
def report_unsubscribe(request, token: str):
    found = subscriptions.subscription_for_token(token)
    if found is None:
        raise Http404
    subscription, user = found
    one_click = request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"
    if request.method == "POST" and not one_click:
        rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if rejected is not None:
            return rejected
    if request.method == "POST":
        subscriptions.unsubscribe(subscription=subscription, user=user, via="one-click" if one_click else "link")
        if one_click:
            with translation.override(user_language(user)):
                return HttpResponse(
                    _("You are unsubscribed from this report."), content_type="text/plain; charset=utf-8"
                )
        return _page(request, {"done": True}, user=user)
    return _page(request, {"done": subscriptions.is_unsubscribed(subscription, user)}, user=user)
