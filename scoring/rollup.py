"""Keeping scoring.DailyScore current.

Each refresh finds the days touched since the last one (responses whose updated_at is past the
watermark, minus a safety margin for transactions that committed late), deletes those days' rollup
rows and counts them again from the responses. The first refresh counts everything. Readers call
it first, so what they read is always up to date; when nothing changed it costs one indexed query.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate

from scoring.models import DailyScore, RollupState
from surveys.models import Response

LATE_COMMIT_MARGIN = timedelta(minutes=5)
GROUP = ("day", "kind", "campaign_id", "touchpoint_id", "team_id", "channel", "language", "score")


def _day():
    return TruncDate("submitted_at", tzinfo=ZoneInfo(settings.TIME_ZONE))


def _within_days(days) -> Q:
    """Responses submitted on any of `days` (local dates), as index-friendly time ranges."""
    tz = ZoneInfo(settings.TIME_ZONE)
    condition = Q(pk__in=[])
    for day in days:
        start = datetime.combine(day, time.min, tzinfo=tz)
        condition |= Q(submitted_at__gte=start, submitted_at__lt=start + timedelta(days=1))
    return condition


def refresh_rollup() -> int:
    """Bring DailyScore up to date. Returns how many days were recounted."""
    newest = Response.objects.aggregate(m=Max("updated_at"))["m"]
    state = RollupState.objects.filter(pk=1).first()
    if state is not None and state.watermark is not None and (newest is None or newest <= state.watermark):
        return 0
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(pk=1)
        if state.watermark is not None and newest is not None and newest <= state.watermark:
            return 0  # another request refreshed while we waited for the lock
        responses = Response.objects.annotate(day=_day())
        if state.watermark is None:
            DailyScore.objects.all().delete()
            days = None
        else:
            days = sorted(set(responses.filter(updated_at__gt=state.watermark - LATE_COMMIT_MARGIN)
                              .values_list("day", flat=True)))
            DailyScore.objects.filter(day__in=days).delete()
            responses = responses.filter(_within_days(days))
        rows = responses.values(*GROUP).annotate(n=Count("id")).order_by()
        DailyScore.objects.bulk_create((DailyScore(**row) for row in rows.iterator(chunk_size=5000)),
                                       batch_size=5000)
        state.watermark = newest
        state.save(update_fields=["watermark"])
    return len(days) if days is not None else -1
