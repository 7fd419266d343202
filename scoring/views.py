"""Dashboards and exports (viewer role and up); the company target (admins)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core.models import Team
from core.pagination import CappedPaginator
from core.replica import replica_reads_view
from core.roles import (
    ADMIN,
    AGENT,
    admin_required,
    agent_required,
    answer_teams,
    exports_personal_data,
    has_role,
    sees_personal_data,
    viewer_required,
)
from scoring import alerts, exports, queries, services
from scoring.forms import CompanyTargetForm
from surveys.models import CUSTOMER_KIND_CHOICES, Campaign, Category, Contact, Touchpoint
from themes.models import Theme

LINK_ALL = 500  # the most comments of a theme linked to an improvement at once
# The comment list pages through the newest 1,000 matches at most: counting every match of a word
# in millions of comments would read each of them (README, Comment search).
COMMENT_LIST_CAP = 1000
SORTS = ("name", "-name", "n", "-n", "nps", "-nps")
SORT_COLUMNS = (("name", gettext_lazy("Name")), ("n", "n"), ("nps", "NPS"))
KIND_CHOICES = (*CUSTOMER_KIND_CHOICES, ("all", gettext_lazy("Both (mixed)")))  # eNPS: scoring.enps
BUCKET_LABELS = {
    "day": gettext_lazy("day"),
    "week": gettext_lazy("week"),
    "month": gettext_lazy("month"),
    "quarter": gettext_lazy("quarter"),
}


def chart_labels() -> dict:
    """The words dashboard.js puts on the charts, in the reader's language."""
    return {
        "nps": "NPS",
        "margin": _("95 % margin"),
        "too_few": _("too few answers"),
        "answers": _("Answers"),
        "score": _("Score"),
    }


def _filters(request):
    """The report filters from the query string, bounded by what the user may see (core.roles)."""
    return queries.parse_filters(request.GET, teams=answer_teams(request.user))


def _options(filters=None):
    teams = Team.objects.order_by("name")
    if filters is not None and filters.teams is not None:
        teams = teams.filter(pk__in=filters.teams)
    return {
        "campaigns": Campaign.objects.only("pk", "name", "kind").order_by("kind", "name"),
        "touchpoints": Touchpoint.objects.all(),
        "teams": teams,
        "channels": Campaign.Channel.choices,
        "categories": Category.choices,
        "kind_choices": KIND_CHOICES,
        "sort_columns": SORT_COLUMNS,
    }


def _sorted(rows, sort: str):
    """Breakdown rows by name, n or NPS ('-' first: descending). Rows without answers go last."""
    field, descending = sort.lstrip("-"), sort.startswith("-")
    if field == "n":
        return sorted(rows, key=lambda r: r["result"].n, reverse=descending)
    if field == "nps":
        scored = sorted(
            (r for r in rows if r["result"].nps is not None), key=lambda r: r["result"].nps, reverse=descending
        )
        return scored + [r for r in rows if r["result"].nps is None]
    return sorted(rows, key=lambda r: str(r["label"]).lower(), reverse=descending)


@viewer_required
@require_GET
@replica_reads_view
def dashboard(request):
    filters = _filters(request)
    personal = sees_personal_data(request.user)
    notices = list(filters.errors)  # shown in the body, so htmx swaps show them too
    segment_key = request.GET.get("by") or "plan"
    if not queries.valid_key(segment_key):
        notices.append(_("Ignored an invalid segment attribute; showing plan."))
        segment_key = "plan"
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "name"
    with queries.one_look() as coverage:  # one look at what the rollups cover, for every panel below
        summary = queries.nps_summary(filters)
        by_team = queries.nps_by(filters, "team")
        bucket = queries.trend_bucket(filters, summary.current.n, request.GET.get("bucket", ""))
        trend = queries.nps_by_period(filters, bucket)
        funnel = queries.delivery_funnel(filters)  # with the response rate's figures: one count of the invitations
        context = {
            "filters": filters,
            "summary": summary,
            "rate": funnel,
            "funnel": funnel,
            "trend_data": [
                {
                    "label": row["period"].isoformat(),
                    "nps": row["result"].nps,
                    "margin": row["result"].margin,
                    "n": row["result"].n,
                    "too_few": row["result"].too_few,
                }
                for row in trend
            ],
            "bucket": bucket,
            "bucket_label": BUCKET_LABELS[bucket],
            "buckets": [(b, BUCKET_LABELS[b]) for b in queries.BUCKETS],
            "distribution": queries.score_distribution(filters),
            "chart_labels": chart_labels(),
            "kind_label": dict(KIND_CHOICES).get(filters.kind, filters.kind),
            "by_touchpoint": _sorted(queries.nps_by(filters, "touchpoint"), sort),
            "by_team": _sorted(by_team, sort),
            "by_segment": _sorted(queries.nps_by_segment(filters, segment_key), sort),
            "segment_key": segment_key,
            "segment_keys": queries.segment_keys(),
            "drivers": queries.driver_results(filters),
            # Comments and customers at risk name people: not for viewers (figures only).
            "praise": queries.latest_comments(filters, category=Category.PROMOTER) if personal else [],
            "complaints": queries.latest_comments(filters, category=Category.DETRACTOR) if personal else [],
            "at_risk": queries.at_risk(filters, limit=8) if personal else [],
            "personal_data": personal,
            "exports_personal_data": exports_personal_data(request.user),
            "targets": queries.team_targets(filters, by_team),
            "company_target": services.company_target(),
            "query": filters.as_query(),
            "sort": sort,
            "notices": notices,
            "alerts": alerts.visible_alerts(filters),
            "rollups_lagging": coverage if coverage.lagging and has_role(request.user, ADMIN) else None,
            **_options(filters),
        }
    if segment_key not in context["segment_keys"]:
        context["segment_keys"].append(segment_key)
    template = "scoring/_dashboard_body.html" if request.htmx else "scoring/dashboard.html"
    return render(request, template, context)


@viewer_required
@require_GET
@replica_reads_view
def followup_health(request):
    """The follow-up panel, loaded by the dashboard after the NPS panels (its queries are the
    follow-up app's and scan the period's cases)."""
    from followups.models import ImprovementNotice
    from followups.queries import sla_health

    filters = _filters(request)
    team_ids = [filters.team] if filters.team else None
    if filters.teams is not None:
        team_ids = [t for t in (team_ids or filters.teams) if t in filters.teams] or [0]
    context = {
        "filters": filters,
        "sla": sla_health(since=filters.start_dt, team_ids=team_ids),
        "recovery": queries.recovery(filters),
        "loops_closed": ImprovementNotice.objects.filter(
            status=ImprovementNotice.Status.SENT, sent_at__gte=filters.start_dt, sent_at__lt=filters.end_dt
        ).count(),
    }
    return render(request, "scoring/_followup_health.html", context)


@agent_required  # comments name their writers: not for viewers
@require_GET
@replica_reads_view
def comment_list(request):
    from followups.models import Improvement

    filters = _filters(request)
    theme = (
        Theme.objects.filter(pk=request.GET.get("theme")).first() if request.GET.get("theme", "").isdigit() else None
    )
    comments = queries.comment_list(filters, theme=theme.pk if theme else None)
    page = CappedPaginator(comments, 25, cap=COMMENT_LIST_CAP).get_page(request.GET.get("page"))
    improvements = (
        Improvement.objects.filter(status__in=["planned", "in_progress"]) if has_role(request.user, AGENT) else []
    )
    # A theme's comments link to an improvement in one step: all of them (up to LINK_ALL), not only this page's.
    theme_ids = list(comments.values_list("pk", flat=True)[:LINK_ALL]) if theme and improvements else []
    template = "scoring/_comment_table.html" if request.htmx else "scoring/comments.html"
    return render(
        request,
        template,
        {
            "filters": filters,
            "page": page,
            "kind_label": dict(KIND_CHOICES).get(filters.kind, filters.kind),
            "improvements": improvements,
            "theme": theme,
            "theme_ids": theme_ids,
            "link_all": LINK_ALL,
            "query": filters.as_query(**({"theme": theme.pk} if theme else {})),
            **_options(filters),
        },
    )


@agent_required
@require_GET
def contact_score_history(request, pk: int):
    teams = answer_teams(request.user)
    contacts = Contact.objects.all()
    if teams is not None:  # an agent: only customers who answered one of their teams' surveys
        contacts = contacts.filter(responses__team_id__in=teams).distinct()
    contact = get_object_or_404(contacts, pk=pk)
    return render(
        request, "scoring/_contact_history.html", {"contact": contact, "history": queries.contact_history(contact.pk)}
    )


# Answer exports carry names and e-mail addresses: admins only (core.roles.exports_personal_data).
@admin_required
@require_GET
@replica_reads_view
def export_responses_csv(request):
    return exports.responses_csv(request.user, _filters(request))


@admin_required
@require_GET
@replica_reads_view
def export_responses_xlsx(request):
    return exports.responses_xlsx(request.user, _filters(request))


@viewer_required  # figures only, within the user's teams
@require_GET
@replica_reads_view
def export_breakdown_csv(request):
    return exports.breakdown_csv(request.user, _filters(request), request.GET.get("by") or "touchpoint")


@admin_required
@require_http_methods(["GET", "POST"])
def targets(request):
    form = CompanyTargetForm(request.POST or None, initial={"nps_target": services.company_target()})
    if request.method == "POST":
        if form.is_valid():
            services.company_target_set(actor=request.user, nps_target=form.cleaned_data["nps_target"])
            messages.success(request, _("Company target saved."))
            return redirect("scoring:dashboard")
        return render(request, "core/form_page.html", {"form": form, "title": _("Company NPS target")}, status=400)
    return render(request, "core/form_page.html", {"form": form, "title": _("Company NPS target")})
