"""Report pages beside the dashboard, under its filters (#23): driver areas, how customers move
between categories, and the journey. Figures only, for every role. Thin: the readers decide."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.roles import viewer_required
from scoring import driver_areas, journey, movement
from scoring.views import KIND_CHOICES, _filters, _options


def _page(request, template: str, filters, **context):
    return render(
        request,
        template,
        {
            "filters": filters,
            "query": filters.as_query(),
            "kind_label": dict(KIND_CHOICES).get(filters.kind, filters.kind),
            **_options(filters),
            **context,
        },
    )


@viewer_required
@require_GET
def drivers(request):
    filters = _filters(request)
    report = driver_areas.driver_areas(filters)
    return _page(request, "scoring/driver_areas.html", filters, report=report, chart=driver_areas.chart(report))


@viewer_required
@require_GET
def moves(request):
    filters = _filters(request)
    return _page(request, "scoring/movement.html", filters, report=movement.movement(filters))


@viewer_required
@require_GET
def journey_page(request):
    filters = _filters(request)
    return _page(request, "scoring/journey.html", filters, report=journey.journey(filters))
