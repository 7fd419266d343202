import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core import health, reply_address
from core.audit import audit_log
from core.forms import ProfileForm, RetentionForm, TeamForm, UserForm
from core.i18n import remember_language
from core.models import AuditLog, OutboxMessage, RetentionSettings, Team
from core.replica import replica_status
from core.roles import AGENT, admin_required, user_role
from core.services import profile_for, profile_save, team_save, user_save
from core.unavailable import is_outage, unavailable

User = get_user_model()


@login_required
def home(request):
    """Send each role to the page it starts its day on: agents to their queue, others to the dashboard."""
    role = user_role(request.user)
    if role is None:
        return render(request, "core/home.html")
    return redirect("followups:followup_mine" if role == AGENT else "scoring:dashboard")


@require_GET
@never_cache
def healthz(request):
    db_ok, db_detail = health.database_ok()
    broker_ok, broker_detail = health.broker_ok()
    healthy = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": db_detail,
            "broker": broker_detail,
            "derived": health.freshness() if db_ok else {},
            # Reads fall back to the primary when the replica is down or behind: reported, still 200.
            "replica": replica_status(),
        },
        status=200 if healthy else 503,
    )


@admin_required
def outbox(request):
    page = Paginator(OutboxMessage.objects.all(), 50).get_page(request.GET.get("page"))
    for message in page:  # the demo's "Reply as the customer", where a reply would reach a case
        message.customer_can_reply = _demo_reply_possible(message)
    return render(request, "core/outbox.html", {"page": page})


def _demo_reply_possible(message: OutboxMessage) -> bool:
    parsed = reply_address.parse(message.headers.get("Reply-To", "")) if settings.DEMO_TOOLS else None
    return parsed is not None and parsed.genuine


@admin_required
@require_http_methods(["POST"])
def outbox_send_test(request):
    """Queue a test e-mail to the admin through the worker, to check the whole mail path."""
    import uuid

    from django.db import transaction

    from core.tasks import send_test_email

    to = request.user.email
    if not to:
        messages.error(request, _("Your account has no e-mail address; set one first."))
        return redirect("core:outbox")
    key = f"test-email:{uuid.uuid4().hex}"
    transaction.on_commit(lambda: send_test_email.delay(to, request.user.get_username(), key))
    messages.success(
        request,
        _("A test e-mail to %(address)s was queued; it appears here once the worker sends it.") % {"address": to},
    )
    return redirect("core:outbox")


@admin_required
def outbox_detail(request, pk: int):
    message = get_object_or_404(OutboxMessage, pk=pk)
    message.customer_can_reply = _demo_reply_possible(message)
    return render(request, "core/outbox_detail.html", {"message": message})


@admin_required
@require_GET
def audit_log_list(request):
    entries = AuditLog.objects.all()
    action = request.GET.get("action", "").strip()[:80]
    actor = request.GET.get("actor", "").strip()[:150]
    if action:
        entries = entries.filter(action__startswith=action)
    if actor:
        entries = entries.filter(actor_name__iexact=actor)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    actions = AuditLog.objects.order_by().values_list("action", flat=True).distinct()
    query = "&".join(f"{k}={v}" for k, v in (("action", action), ("actor", actor)) if v)
    return render(
        request,
        "core/audit_log.html",
        {"page": page, "actions": sorted(set(actions)), "action": action, "actor": actor, "query": query},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def retention(request):
    """How long personal data is kept, and what the nightly run removed last."""
    current = RetentionSettings.current()
    form = RetentionForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit_log(actor=request.user, action="retention.changed", data=form.cleaned_data)
        messages.success(request, _("Retention saved; the nightly run applies it."))
        return redirect("core:retention")
    labels = {
        "comments": _("comments emptied"),
        "contacts": _("contacts without answers erased"),
        "emails": _("customers' e-mails removed"),
        "outbox": _("outbox messages removed"),
        "audit": _("audit log entries removed"),
    }
    last = [(labels.get(name, name), count) for name, count in current.last_removed.items()]
    return render(
        request,
        "core/retention.html",
        {"form": form, "settings": current, "last": last},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
def user_list(request):
    users = User.objects.order_by("username").prefetch_related("groups", "teams")
    teams = Team.objects.select_related("lead").prefetch_related("members")
    return render(request, "core/user_list.html", {"users": users, "teams": teams})


@admin_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk: int | None = None):
    user = get_object_or_404(User, pk=pk) if pk else User()
    initial = {"role": (user_role(user) if pk else None) or "viewer", "teams": list(user.teams.all()) if pk else []}
    form = UserForm(request.POST or None, instance=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        user_save(
            actor=request.user,
            user=form.save(commit=False),
            role=form.cleaned_data["role"],
            teams=form.cleaned_data["teams"],
            password=form.cleaned_data["password"],
        )
        messages.success(request, _("Saved user %(username)s.") % {"username": user.username})
        return redirect("core:user_list")
    title = _("User %(username)s") % {"username": user.username} if pk else _("New user")
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": title, "back_url": reverse("core:user_list")},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def team_edit(request, pk: int | None = None):
    team = get_object_or_404(Team, pk=pk) if pk else Team()
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        team = team_save(
            actor=request.user,
            team=team,
            name=data["name"],
            lead=data["lead"],
            members=data["members"],
            nps_target=data["nps_target"],
            language=data["language"],
        )
        messages.success(request, _("Saved team %(team)s.") % {"team": team.name})
        return redirect("core:user_list")
    title = _("Team %(team)s") % {"team": team.name} if pk else _("New team")
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": title, "back_url": reverse("core:user_list")},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=profile_for(request.user))
    if request.method == "POST" and form.is_valid():
        profile_save(user=request.user, **form.cleaned_data)
        # From now on in the chosen language: this page's message, and (through the session and
        # core.i18n's middleware, which also sets the language cookie) every page after it.
        remember_language(request, request.user, form.cleaned_data["language"])
        translation.activate(form.cleaned_data["language"])
        messages.success(request, _("Preferences saved."))
        return redirect("core:profile")
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": _("Your preferences")},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def favicon(request):
    """/favicon.ico: the icon base.html links, for browsers that ask here anyway (not permanent:
    the static file's name carries its hash in production)."""
    return redirect(static("img/favicon.svg"))


def _error(request, status: int, title: str, detail: str):
    return render(request, "core/error.html", {"status": status, "title": title, "detail": detail}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def permission_denied(request, exception=None):
    return _error(request, 403, _("Not allowed"), _("Your role does not give access to this page."))


def page_not_found(request, exception=None):
    return _error(request, 404, _("Not found"), _("There is nothing here. The link may be mistyped or expired."))


def server_error(request):
    """The 500 page; while the database is unreachable (raised outside a view: a middleware, a
    session save) the 503 "try again in a moment" page instead (core.unavailable)."""
    error = sys.exc_info()[1]
    if is_outage(error):
        return unavailable(request, error)
    return _error(request, 500, _("Something went wrong"), _("The error has been logged. Please try again."))
