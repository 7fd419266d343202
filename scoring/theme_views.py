"""Theme pages beside the dashboard, under its filters: themes in comments. Thin: the readers
(scoring.theme_report) decide and count."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.roles import sees_personal_data, viewer_required
from scoring import theme_report
from scoring.views import BUCKET_LABELS, KIND_CHOICES, _filters, _options


@viewer_required
@require_GET
def themes(request):
    """Per theme: how often, among whom, its trend and its NPS impact; what promoters praise and
    what detractors complain about, by theme. Figures for every role; the comments behind them
    (the comment list) for those who may read comments."""
    filters = _filters(request)
    report = theme_report.theme_report(filters, request.GET.get("bucket", ""))
    for row in report["themes"]:
        row["sparkline"] = theme_report.sparkline(row["trend"])
    return render(
        request,
        "scoring/themes.html",
        {
            "filters": filters,
            "report": report,
            "bucket_label": BUCKET_LABELS[report["bucket"]],
            "praise": theme_report.by_category(report, "promoters"),
            "complaints": theme_report.by_category(report, "detractors"),
            "query": filters.as_query(),
            "kind_label": dict(KIND_CHOICES).get(filters.kind, filters.kind),
            "personal_data": sees_personal_data(request.user),
            **_options(filters),
        },
    )
