"""The board report's pages: ask for it from the dashboard, watch the worker make it, download it."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from core.roles import viewer_required
from scoring import report_jobs
from scoring.models import BoardReport


@viewer_required
@require_POST
def board_report_start(request):
    """The dashboard's filters travel in the query string, as on the dashboard itself."""
    report = report_jobs.board_report_request(
        user=request.user,
        query=request.GET.urlencode(),
        name_customers=request.POST.get("name_customers") == "1",
        language=get_language() or "",
    )
    return redirect("scoring:board_report", token=report.token)


@viewer_required
@require_GET
def board_report(request, token: str):
    report = report_jobs.report_of(request.user, token)
    if report is None:
        raise Http404
    context = {"report": report, "filters": report_jobs.reader_filters(request.user, report.query)}
    if request.htmx:
        return render(request, "scoring/_board_report_progress.html", context)
    return render(request, "scoring/board_report_page.html", context)


@viewer_required
@require_GET
def board_report_pdf(request, token: str):
    report = report_jobs.report_of(request.user, token)
    if report is None or report.status != BoardReport.Status.DONE:
        raise Http404
    pdf = BoardReport.objects.filter(pk=report.pk).values_list("pdf", flat=True).get()
    response = HttpResponse(bytes(pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report_jobs.file_name(report)}"'
    return response
