"""The NPS panels of the dashboard, the API summary, the digest and the breakdown export: the NPS
and its change, the trend, the breakdowns by dimension and segment, the score distribution, the
response rate and the team targets.

Aggregation happens in SQL; Python only adds up the few resulting rows. Each panel reads the
rollups (a few thousand rows) for the days they cover and counts the days they do not cover yet
live from the answers (scoring.freshness); a segment key without a rollup is counted live.
"""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone

from scoring import freshness
from scoring.counts import COUNTS, ROLLUP_COUNTS, added, result, rollup_counts, row_counts
from scoring.days import on_days
from scoring.filters import Filters, attribute_text, dimension_q, responses, segment_q, valid_key
from scoring.models import DailyInvitations, DailyScore, DailySegmentScore
from scoring.nps import NpsChange
from scoring.recount import INVITATION_COUNTS, SEGMENT_KEYS
from surveys.models import CUSTOMER_KINDS, Contact, Invitation

BUCKETS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
BUCKET_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 91}
DIMENSIONS = {
    "campaign": ("campaign_id", "campaign__name"),
    "touchpoint": ("touchpoint_id", "touchpoint__name"),
    "team": ("team_id", "team__name"),
    "channel": ("channel", "channel"),
    "language": ("language", "language"),
}
NONE = Q(pk__in=[])


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


def uses_rollup(filters: Filters) -> bool:
    """The rollups answer the NPS panels unless the segment filter's key has no rollup."""
    return not filters.segment_key or filters.segment_key in SEGMENT_KEYS


def reads_rollup(filters: Filters, coverage: freshness.Coverage) -> bool:
    """Whether to read the rollups at all now (not when every day is stale)."""
    return uses_rollup(filters) and coverage.days is not freshness.EVERY_DAY


def rollup(filters: Filters, *, period: bool = True, coverage: freshness.Coverage | None = None):
    """Rollup rows (DailyScore, or DailySegmentScore under a segment filter) matching the filters,
    on the days the rollups cover."""
    coverage = coverage or freshness.current()
    if filters.segment_key:
        qs = DailySegmentScore.objects.filter(key=filters.segment_key, value=filters.segment_value)
    else:
        qs = DailyScore.objects.all()
    qs = qs.filter(dimension_q(filters))
    if period:
        qs = qs.filter(day__gte=filters.start, day__lte=filters.end)
    if coverage.days:
        qs = qs.exclude(on_days(coverage.days))
    return qs


def stale(filters: Filters, coverage: freshness.Coverage, *, period: bool = True):
    """The responses on the days the rollups do not cover yet, or None when there are none."""
    if not coverage.days:
        return None
    return responses(filters, period=period).filter(freshness.stale_days_q(coverage.days))


# --- NPS panels ------------------------------------------------------------------------------------
def nps_summary(filters: Filters) -> NpsChange:
    """This period and the one before it, in one query (two while some days are stale)."""
    previous = filters.previous()
    coverage = freshness.current()
    live = responses(filters, period=False)
    if reads_rollup(filters, coverage):
        qs = rollup(filters, period=False, coverage=coverage).filter(day__gte=previous.start, day__lte=filters.end)
        now_q = Q(day__gte=filters.start)
        rows = [qs.aggregate(**rollup_counts(now_q), **{f"p_{k}": v for k, v in rollup_counts(~now_q).items()})]
        live = stale(filters, coverage, period=False)
    else:
        rows = []
    if live is not None:
        live = live.filter(submitted_at__gte=previous.start_dt, submitted_at__lt=filters.end_dt)
        now_q = Q(submitted_at__gte=filters.start_dt)
        rows.append(live.aggregate(**row_counts(now_q), **{f"p_{k}": v for k, v in row_counts(~now_q).items()}))
    row = {name: sum(r[name] for r in rows) for name in rows[0]}
    before = {"promoters": row["p_promoters"], "passives": row["p_passives"], "detractors": row["p_detractors"]}
    return NpsChange(current=result(row), previous=result(before))


def trend_bucket(filters: Filters, answers: int, requested: str = "") -> str:
    """The requested bucket if valid; otherwise the finest one that still gives each point about
    the minimum number of answers (and at least three points when the period allows it)."""
    if requested in BUCKETS:
        return requested
    needed = settings.KRINGLOOP["MIN_RESPONSES"]
    order = list(BUCKET_DAYS)
    bucket = filters.bucket()
    for coarser in order[order.index(bucket) + 1 :]:
        points = max(filters.days / BUCKET_DAYS[bucket], 1)
        if answers / points >= needed or filters.days / BUCKET_DAYS[coarser] < 3:
            break
        bucket = coarser
    return bucket


def _grouped(filters: Filters, rollup_group: dict, live_group: dict, coverage=None) -> list[dict]:
    """Counts per group from the rollups (grouped by `rollup_group`, name → expression or field)
    and from the stale answers (by `live_group`), added up per group."""
    coverage = coverage or freshness.current()
    rows = []
    live = responses(filters)
    if reads_rollup(filters, coverage):
        qs = rollup(filters, coverage=coverage)
        rows += list(qs.annotate(**rollup_group).values(*rollup_group).annotate(**ROLLUP_COUNTS).order_by())
        live = stale(filters, coverage)
    if live is not None:
        rows += list(live.annotate(**live_group).values(*live_group).annotate(**COUNTS).order_by())
    return rows


def nps_by_period(filters: Filters, bucket: str | None = None) -> list[dict]:
    """NPS per day, week (Monday), month or quarter, in the configured time zone."""
    bucket = bucket if bucket in BUCKETS else filters.bucket()
    rows = _grouped(
        filters, {"period": BUCKETS[bucket]("day")}, {"period": BUCKETS[bucket]("submitted_at", tzinfo=_tz())}
    )
    rows = sorted(added(({**r, "period": _as_date(r["period"])} for r in rows), lambda r: r["period"]), key=_period)
    return [{"period": row["period"], "result": result(row)} for row in rows]


def _period(row):
    return row["period"]


def _as_date(value) -> date:
    return timezone.localtime(value, _tz()).date() if isinstance(value, datetime) else value


def nps_by(filters: Filters, dimension: str) -> list[dict]:
    """NPS per campaign, touchpoint, team, channel or language, sorted by name."""
    key, _label = DIMENSIONS[dimension]
    rows = added(_grouped(filters, {"k": F(key)}, {"k": F(key)}), lambda r: r["k"])
    names = _labels(dimension, [row["k"] for row in rows])
    table = [{"key": row["k"], "label": names.get(row["k"]) or "—", "result": result(row)} for row in rows]
    return sorted(table, key=lambda r: str(r["label"]))


def _labels(dimension: str, keys) -> dict:
    from core.models import Team
    from surveys.models import Campaign, Touchpoint

    models = {"campaign": Campaign, "touchpoint": Touchpoint, "team": Team}
    if dimension in models:
        return dict(models[dimension].objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
    return {k: k for k in keys}


def nps_by_segment(filters: Filters, key: str) -> list[dict]:
    """NPS per value of one contact attribute ("(none)": no such attribute, or anonymous)."""
    if not valid_key(key):
        return []
    coverage = freshness.current()
    live = responses(filters)
    rows = []
    if key in SEGMENT_KEYS and filters.segment_key in ("", key) and coverage.days is not freshness.EVERY_DAY:
        qs = DailySegmentScore.objects.filter(
            dimension_q(filters), key=key, day__gte=filters.start, day__lte=filters.end
        )
        if filters.segment_key:
            qs = qs.filter(value=filters.segment_value)
        if coverage.days:
            qs = qs.exclude(on_days(coverage.days))
        rows += list(qs.values(segment=F("value")).annotate(**ROLLUP_COUNTS).order_by())
        live = stale(filters, coverage)
    if live is not None:
        live = live.annotate(segment=attribute_text(key))
        rows += list(live.values("segment").annotate(**COUNTS).order_by())
    rows = sorted(added(rows, lambda r: r["segment"]), key=lambda r: (r["segment"] is not None, r["segment"] or ""))
    return [{"key": row["segment"], "label": row["segment"] or "(none)", "result": result(row)} for row in rows]


def segment_keys() -> list[str]:
    """Attribute names present on contacts (rolled-up ones first); cached for ten minutes."""

    def present():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT DISTINCT jsonb_object_keys(attributes) FROM {Contact._meta.db_table} "
                    "WHERE jsonb_typeof(attributes) = 'object' LIMIT 200"
                )
                return sorted(row[0] for row in cursor.fetchall())
        keys = set()
        for attributes in Contact.objects.exclude(attributes={}).values_list("attributes", flat=True)[:5000]:
            keys.update(attributes if isinstance(attributes, dict) else ())
        return sorted(keys)

    found = cache.get_or_set("scoring:segment-keys", present, 600)
    return list(SEGMENT_KEYS) + [k for k in found if k not in SEGMENT_KEYS and valid_key(k)]


def score_distribution(filters: Filters) -> list[int]:
    """How many answers of each score 0–10."""
    coverage = freshness.current()
    counts = [0] * 11
    live = responses(filters)
    if reads_rollup(filters, coverage):
        for score, n in rollup(filters, coverage=coverage).values_list("score").annotate(t=Sum("n")).order_by():
            counts[score] += n
        live = stale(filters, coverage)
    if live is not None:
        for score, n in live.values_list("score").annotate(n=Count("id")).order_by():
            counts[score] += n
    return counts


def team_targets(filters: Filters, by_team: list[dict] | None = None) -> list[dict]:
    from core.models import Team

    results = {row["key"]: row["result"] for row in (by_team if by_team is not None else nps_by(filters, "team"))}
    return [
        {"team": team, "result": results.get(team.pk)}
        for team in Team.objects.exclude(nps_target=None).order_by("name")
    ]


# --- Response rate ---------------------------------------------------------------------------------
def response_rate(filters: Filters) -> dict:
    """Answered / delivered invitations among those sent in the period."""
    row = _invitation_totals(filters, ("delivered", "answered"))
    row["rate"] = row["answered"] / row["delivered"] if row["delivered"] else None
    return row


def delivery_funnel(filters: Filters) -> dict:
    """The invitations sent in the period under the filters, step by step: invited (sent) →
    delivered (not bounced or failed) → answered → commented (an answer with a comment), and
    bounced beside delivered; each step with its rate of the step before (bounced: of invited).
    Skipped invitations were never sent and are not in it. It holds the response rate too
    (`rate`: answered / delivered, as response_rate), so the dashboard counts the invitations once."""
    row = _invitation_totals(filters, ("invited", "bounced", "delivered", "answered", "commented"))
    row["failed"] = row["invited"] - row["delivered"] - row["bounced"]

    def rate(part, whole):
        return row[part] / row[whole] if row[whole] else None

    row["rates"] = {
        "delivered": rate("delivered", "invited"),
        "bounced": rate("bounced", "invited"),
        "answered": rate("answered", "delivered"),
        "commented": rate("commented", "answered"),
    }
    row["rate"] = row["rates"]["answered"]
    return row


def _invitation_totals(filters: Filters, names: tuple) -> dict:
    """The DailyInvitations counts `names` of the invitations sent in the period: settled days from
    the rollup, the last few days (bounces still come in) and the days it does not cover yet live."""
    coverage = freshness.current()
    live = _invitations(filters, since=filters.start_dt)
    row = dict.fromkeys(names, 0)
    live_from, stale_days = coverage.live_from, coverage.invitation_days
    if (
        not filters.language
        and uses_rollup(filters)
        and live_from is not None
        and stale_days is not freshness.EVERY_DAY
        and filters.start < live_from
    ):
        settled = DailyInvitations.objects.filter(
            dimension_q(replace(filters, language="")),
            segment_rollup_q(filters),
            day__gte=filters.start,
            day__lte=min(filters.end, live_from - timedelta(days=1)),
        )
        if stale_days:
            settled = settled.exclude(on_days(stale_days))
        row = settled.aggregate(**{name: Coalesce(Sum(name), 0) for name in names})
        uncovered = Q(sent_at__gte=freshness.as_datetime(live_from))
        if stale_days:
            uncovered |= freshness.stale_days_q(stale_days, "sent_at")
        live = live.filter(uncovered) if filters.end >= live_from or stale_days else None
    if live is not None:
        extra = live.aggregate(**{name: INVITATION_COUNTS[name] for name in names})
        row = {k: row[k] + extra[k] for k in row}
    return row


def segment_rollup_q(filters: Filters) -> Q:
    """Rows of a rollup with segment columns (DailyDriverAnswer, DailyInvitations) for the filter."""
    if filters.segment_key:
        return Q(segment_key=filters.segment_key, segment_value=filters.segment_value)
    return Q(segment_key="")


def _invitations(filters: Filters, *, since: datetime):
    qs = Invitation.objects.filter(sent_at__gte=since, sent_at__lt=filters.end_dt)
    qs = (
        qs.filter(campaign__kind__in=CUSTOMER_KINDS)
        if filters.kind == "all"
        else qs.filter(campaign__kind=filters.kind)
    )
    for name in ("touchpoint", "team"):
        if getattr(filters, name):
            qs = qs.filter(**{f"campaign__{name}_id": getattr(filters, name)})
    if filters.teams is not None:
        qs = qs.filter(campaign__team_id__in=filters.teams)
    if filters.campaign:
        qs = qs.filter(campaign_id=filters.campaign)
    if filters.channel:
        qs = qs.filter(campaign__channel=filters.channel)
    if filters.segment_key:
        qs = qs.filter(segment_q(filters))
    if filters.language:
        qs = qs.filter(contact__language=filters.language)
    return qs
