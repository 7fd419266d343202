"""Dashboards and exports (viewer role and up)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.models import Team
from core.roles import admin_required, viewer_required
from followups.models import ImprovementNotice
from followups.queries import detractor_recovery, sla_health
from scoring import exports, queries
from scoring.forms import CompanyTargetForm
from scoring.models import CompanySettings
from surveys.models import Campaign, Category, Contact, Touchpoint


def _options():
    return {"campaigns": Campaign.objects.only("pk", "name", "kind").order_by("name"),
            "touchpoints": Touchpoint.objects.all(), "teams": Team.objects.all(),
            "segment_keys": queries.SEGMENT_KEYS, "categories": Category.choices}


def _sortable(rows, sort: str):
    if sort == "nps":
        return sorted(rows, key=lambda r: (r["result"].nps is None, -(r["result"].nps or 0)))
    if sort == "n":
        return sorted(rows, key=lambda r: -r["result"].n)
    return rows


@viewer_required
@require_GET
def dashboard(request):
    filters = queries.parse_filters(request.GET)
    segment_key = request.GET.get("by", "plan")[:80]
    if not segment_key.replace("_", "").isalnum():
        segment_key = "plan"  # any attribute name works; anything else falls back
    sort = request.GET.get("sort", "")
    summary = queries.nps_summary(filters)
    by_team = queries.nps_by(filters, "team")
    trend = queries.nps_by_period(filters)
    company = CompanySettings.objects.first()
    context = {
        "filters": filters, "summary": summary, "rate": queries.response_rate(filters),
        "trend": trend, "trend_data": [{"label": row["period"].isoformat(), "nps": row["result"].nps,
                                        "margin": row["result"].margin, "n": row["result"].n} for row in trend],
        "distribution": queries.score_distribution(filters),
        "by_touchpoint": _sortable(queries.nps_by(filters, "touchpoint"), sort),
        "by_team": _sortable(by_team, sort),
        "by_segment": _sortable(queries.nps_by_segment(filters, segment_key), sort), "segment_key": segment_key,
        "drivers": queries.driver_results(filters),
        "praise": queries.latest_comments(filters, category=Category.PROMOTER),
        "complaints": queries.latest_comments(filters, category=Category.DETRACTOR),
        "at_risk": queries.at_risk(filters, limit=8),
        "targets": queries.team_targets(filters, by_team), "company_target": company.nps_target if company else None,
        "sla": sla_health(since=filters.start_dt),
        "recovery": detractor_recovery(since=filters.start_dt, until=filters.end_dt),
        "loops_closed": ImprovementNotice.objects.filter(status=ImprovementNotice.Status.SENT,
                                                         sent_at__gte=filters.start_dt,
                                                         sent_at__lt=filters.end_dt).count(), "query": filters.as_query(), "sort": sort, **_options(),
    }
    for error in filters.errors:
        messages.warning(request, error)
    template = "scoring/_dashboard_body.html" if request.htmx else "scoring/dashboard.html"
    return render(request, template, context)


@viewer_required
@require_GET
def comment_list(request):
    filters = queries.parse_filters(request.GET)
    page = Paginator(queries.comment_list(filters), 25).get_page(request.GET.get("page"))
    template = "scoring/_comment_table.html" if request.htmx else "scoring/comments.html"
    from core.roles import AGENT, has_role
    from followups.models import Improvement

    improvements = Improvement.objects.filter(status__in=["planned", "in_progress"]) if has_role(
        request.user, AGENT) else []
    return render(request, template, {"filters": filters, "page": page, "query": filters.as_query(),
                                      "improvements": improvements, **_options()})


@viewer_required
@require_GET
def contact_score_history(request, pk: int):
    contact = get_object_or_404(Contact, pk=pk)
    history = queries.contact_history(contact.pk)
    return render(request, "scoring/_contact_history.html", {"contact": contact, "history": history})


@viewer_required
@require_GET
def export_responses_csv(request):
    return exports.responses_csv(request.user, queries.parse_filters(request.GET))


@viewer_required
@require_GET
def export_responses_xlsx(request):
    return exports.responses_xlsx(request.user, queries.parse_filters(request.GET))


@viewer_required
@require_GET
def export_breakdown_csv(request):
    dimension = request.GET.get("by", "touchpoint")
    return exports.breakdown_csv(request.user, queries.parse_filters(request.GET), dimension)


@admin_required
@require_http_methods(["GET", "POST"])
def targets(request):
    company = CompanySettings.objects.first() or CompanySettings()
    form = CompanyTargetForm(request.POST or None, instance=company)
    if request.method == "POST" and form.is_valid():
        form.save()
        from core.audit import audit_log

        audit_log(actor=request.user, action="target.company", data={"nps_target": form.cleaned_data["nps_target"]})
        messages.success(request, "Company target saved. Team targets are set on each team.")
        return redirect("dashboard")
    return render(request, "core/form_page.html", {"form": form, "title": "Company NPS target"},
                  status=400 if request.method == "POST" else 200)
