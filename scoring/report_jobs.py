"""The board report the dashboard offers: asked for by a reader, made by the worker with its
progress noted on the BoardReport row (the page polls it), downloaded by that reader only.

The reader's scope is taken again when the report is made (core.roles), never from the request:
an agent's report holds their teams only, a viewer's no comments."""

import logging
from datetime import timedelta

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from core.i18n import user_language
from core.queue import enqueue_on_commit
from core.roles import ADMIN, answer_teams, has_role, sees_personal_data
from scoring import board_report
from scoring.filters import Filters, parse_filters
from scoring.models import BoardReport

logger = logging.getLogger(__name__)
TASK = "scoring.tasks.render_board_report"
KEPT_FOR = timedelta(days=1)
QUERY_KEYS = ("period", "start", "end", "kind", "campaign", "touchpoint", "team", "channel", "language", "segment")


def stored_filters(query: str, *, teams: tuple | None = None) -> Filters:
    """The dashboard's filters in `query` (a stored query string; anything else in it is ignored)."""
    params = QueryDict(query)
    return parse_filters({key: params.get(key) for key in QUERY_KEYS if params.get(key)}, teams=teams)


def reader_filters(user, query: str) -> Filters:
    """The dashboard's filters in `query`, bounded by what `user` may see."""
    return stored_filters(query, teams=answer_teams(user))


def reader_for(user, *, name_customers: bool = False, language: str | None = None) -> board_report.Reader:
    """What the report shows `user`: comments when they may read them, customers' names only when
    an admin chose so."""
    return board_report.Reader(
        personal=sees_personal_data(user),
        name_customers=bool(name_customers) and has_role(user, ADMIN),
        language=language or user_language(user),
    )


def board_report_request(*, user, query: str, name_customers: bool = False, language: str = "") -> BoardReport:
    """Ask the worker for a board report under the filters in `query`; old reports of this reader go."""
    filters = reader_filters(user, query)
    with transaction.atomic():
        BoardReport.objects.filter(requested_by=user, created_at__lt=timezone.now() - KEPT_FOR).delete()
        report = BoardReport.objects.create(
            requested_by=user,
            query=filters.as_query(),
            language=language or user_language(user),
            name_customers=bool(name_customers) and has_role(user, ADMIN),
        )
        enqueue_on_commit(TASK, report.pk)
    return report


def _note(report_id: int, percent: int) -> None:
    BoardReport.objects.filter(pk=report_id).update(progress=percent)


def board_report_render(report_id: int) -> bool:
    """Make the report (once: a duplicated task finds it taken or done). Returns whether it made it."""
    with transaction.atomic():
        claimed = BoardReport.objects.filter(pk=report_id, status=BoardReport.Status.QUEUED).update(
            status=BoardReport.Status.RUNNING, progress=5
        )
    if not claimed:
        return False
    report = BoardReport.objects.select_related("requested_by").get(pk=report_id)
    user = report.requested_by
    try:
        data = board_report.report_data(
            reader_filters(user, report.query),
            reader_for(user, name_customers=report.name_customers, language=report.language),
            progress=lambda percent: _note(report_id, percent),
        )
        pdf = board_report.render_pdf(data, progress=lambda percent: _note(report_id, percent))
    except Exception as error:
        logger.exception("board report %s failed", report_id)
        BoardReport.objects.filter(pk=report_id).update(
            status=BoardReport.Status.FAILED, error=str(error)[:500], finished_at=timezone.now()
        )
        return False
    BoardReport.objects.filter(pk=report_id).update(
        status=BoardReport.Status.DONE, progress=100, pdf=pdf, finished_at=timezone.now()
    )
    return True


def report_of(user, token: str) -> BoardReport | None:
    """The reader's own report (no one else's, however the token was learnt)."""
    return BoardReport.objects.filter(token=token, requested_by=user).defer("pdf").first()


def file_name(report: BoardReport) -> str:
    filters = reader_filters(report.requested_by, report.query)
    return f"nps-board-report-{filters.start.isoformat()}-{filters.end.isoformat()}.pdf"


def sweep_stuck_reports(*, now=None) -> int:
    """Queue again a report whose task was lost (queued for over a minute), fail one that has been
    running for over ten minutes (a worker killed while making it), and remove reports older than a
    day (they may quote comments: kept no longer than their reader needs them)."""
    now = now or timezone.now()
    BoardReport.objects.filter(created_at__lt=now - KEPT_FOR).delete()
    BoardReport.objects.filter(status=BoardReport.Status.RUNNING, created_at__lt=now - timedelta(minutes=10)).update(
        status=BoardReport.Status.FAILED, error="the worker stopped while making it", finished_at=now
    )
    lost = list(
        BoardReport.objects.filter(
            status=BoardReport.Status.QUEUED,
            created_at__lt=now - timedelta(minutes=1),
            created_at__gte=now - KEPT_FOR,
        ).values_list("pk", flat=True)[:50]
    )
    for report_id in lost:
        enqueue_on_commit(TASK, report_id)
    return len(lost)
