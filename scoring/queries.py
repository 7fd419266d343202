"""Named read queries for dashboards, exports and digests. Aggregation happens in SQL (conditional
aggregates and GROUP BY); Python only turns the few resulting rows into NpsResult objects."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone

from scoring.nps import NpsChange, NpsResult, nps_from_counts
from surveys.models import Answer, Campaign, Category, Invitation, Question, Response

PERIODS = {"30d": 30, "90d": 90, "365d": 365}
BUCKETS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
DIMENSIONS = {"campaign": ("campaign_id", "campaign__name"), "touchpoint": ("touchpoint_id", "touchpoint__name"),
              "team": ("team_id", "team__name"), "channel": ("channel", "channel"),
              "language": ("language", "language")}
SEGMENT_KEYS = ("plan", "region", "size")


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    kind: str = Campaign.Kind.RELATIONAL
    campaign: int | None = None
    touchpoint: int | None = None
    team: int | None = None
    channel: str = ""
    language: str = ""
    segment_key: str = ""
    segment_value: str = ""
    category: str = ""
    search: str = ""
    period: str = "90d"
    errors: tuple = field(default=(), compare=False)

    @property
    def start_dt(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=_tz())

    @property
    def end_dt(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=_tz())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Filters":
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def bucket(self) -> str:
        return "day" if self.days <= 31 else "week" if self.days <= 120 else "month"

    def as_query(self, **overrides) -> str:
        from urllib.parse import urlencode

        values = {"period": self.period, "kind": self.kind, "campaign": self.campaign or "",
                  "touchpoint": self.touchpoint or "", "team": self.team or "", "channel": self.channel,
                  "language": self.language, "segment": f"{self.segment_key}={self.segment_value}"
                  if self.segment_key else "", "category": self.category, "q": self.search}
        if self.period == "custom":
            values.update({"start": self.start.isoformat(), "end": self.end.isoformat()})
        values.update(overrides)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _int(raw, errors, name):
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
        if value <= 0:
            raise ValueError
        return value
    except (TypeError, ValueError):
        errors.append(f"Ignored an invalid {name}.")
        return None


def parse_filters(params) -> Filters:
    """Filters from GET parameters. Invalid values are ignored and reported, never an error page."""
    errors = []
    today = timezone.localdate()
    period = params.get("period", "90d")
    start, end = today - timedelta(days=89), today
    if period in PERIODS:
        start = today - timedelta(days=PERIODS[period] - 1)
    elif period == "custom":
        try:
            start = date.fromisoformat(params.get("start", ""))
            end = date.fromisoformat(params.get("end", ""))
            if start > end or (end - start).days > 3660:
                raise ValueError
        except ValueError:
            errors.append("Ignored an invalid date range; showing the last 90 days.")
            period, start, end = "90d", today - timedelta(days=89), today
    else:
        period = "90d"
    kind = params.get("kind", Campaign.Kind.RELATIONAL)
    if kind not in (Campaign.Kind.RELATIONAL, Campaign.Kind.TRANSACTIONAL, "all"):
        kind = Campaign.Kind.RELATIONAL
    segment = params.get("segment", "")
    key, _, value = segment.partition("=")
    if segment and not (key.strip().replace("_", "").isalnum() and value.strip()):
        errors.append("Ignored an invalid segment filter (use attribute=value).")
        key = value = ""
    category = params.get("category", "")
    return Filters(
        start=start, end=end, kind=kind, period=period,
        campaign=_int(params.get("campaign"), errors, "campaign"),
        touchpoint=_int(params.get("touchpoint"), errors, "touchpoint"),
        team=_int(params.get("team"), errors, "team"),
        channel=params.get("channel", "")[:10] if params.get("channel") in Campaign.Channel.values else "",
        language=params.get("language", "")[:8] if params.get("language") in ("en", "nl") else "",
        segment_key=key.strip()[:80], segment_value=value.strip()[:200],
        category=category if category in Category.values else "", search=params.get("q", "").strip()[:200],
        errors=tuple(errors),
    )


def responses(filters: Filters, *, period: bool = True, with_category: bool = False, with_search: bool = False):
    qs = Response.objects.all()
    if period:
        qs = qs.filter(submitted_at__gte=filters.start_dt, submitted_at__lt=filters.end_dt)
    if filters.kind != "all":
        qs = qs.filter(kind=filters.kind)
    for name in ("campaign", "touchpoint", "team"):
        if getattr(filters, name):
            qs = qs.filter(**{f"{name}_id": getattr(filters, name)})
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.language:
        qs = qs.filter(language=filters.language)
    if filters.segment_key:
        qs = qs.filter(**{f"contact__attributes__{filters.segment_key}": filters.segment_value})
    if with_category and filters.category:
        qs = qs.filter(category=filters.category)
    if with_search and filters.search:
        qs = qs.filter(comment__icontains=filters.search)
    return qs


def uses_rollup(filters: Filters) -> bool:
    """The daily rollup can answer unless the filter needs the contact (segment) or the text."""
    return not (filters.segment_key or filters.category or filters.search)


def rollup(filters: Filters, *, period: bool = True):
    """DailyScore rows matching the filters (fresh: the rollup is brought up to date first)."""
    from scoring.models import DailyScore
    from scoring.rollup import refresh_rollup

    refresh_rollup()
    qs = DailyScore.objects.all()
    if period:
        qs = qs.filter(day__gte=filters.start, day__lte=filters.end)
    if filters.kind != "all":
        qs = qs.filter(kind=filters.kind)
    for name in ("campaign", "touchpoint", "team"):
        if getattr(filters, name):
            qs = qs.filter(**{f"{name}_id": getattr(filters, name)})
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.language:
        qs = qs.filter(language=filters.language)
    return qs


ROLLUP_COUNTS = {
    "promoters": Coalesce(Sum("n", filter=Q(score__gte=9)), 0),
    "passives": Coalesce(Sum("n", filter=Q(score__in=[7, 8])), 0),
    "detractors": Coalesce(Sum("n", filter=Q(score__lte=6)), 0),
}


COUNTS = {
    "promoters": Count("id", filter=Q(category=Category.PROMOTER)),
    "passives": Count("id", filter=Q(category=Category.PASSIVE)),
    "detractors": Count("id", filter=Q(category=Category.DETRACTOR)),
}


def _result(row) -> NpsResult:
    return nps_from_counts(promoters=row["promoters"], passives=row["passives"], detractors=row["detractors"],
                           min_n=settings.KRINGLOOP["MIN_RESPONSES"])


def nps_summary(filters: Filters) -> NpsChange:
    """This period and the one before it, in one query."""
    previous = filters.previous()
    if uses_rollup(filters):
        qs = rollup(filters, period=False).filter(day__gte=previous.start, day__lte=filters.end)
        now_q = Q(day__gte=filters.start)
        row = qs.aggregate(**{
            "promoters": Coalesce(Sum("n", filter=now_q & Q(score__gte=9)), 0),
            "passives": Coalesce(Sum("n", filter=now_q & Q(score__in=[7, 8])), 0),
            "detractors": Coalesce(Sum("n", filter=now_q & Q(score__lte=6)), 0),
            "p_promoters": Coalesce(Sum("n", filter=~now_q & Q(score__gte=9)), 0),
            "p_passives": Coalesce(Sum("n", filter=~now_q & Q(score__in=[7, 8])), 0),
            "p_detractors": Coalesce(Sum("n", filter=~now_q & Q(score__lte=6)), 0),
        })
    else:
        qs = responses(filters, period=False).filter(submitted_at__gte=previous.start_dt,
                                                     submitted_at__lt=filters.end_dt)
        now_q = Q(submitted_at__gte=filters.start_dt)
        row = qs.aggregate(
            promoters=Count("id", filter=now_q & Q(category=Category.PROMOTER)),
            passives=Count("id", filter=now_q & Q(category=Category.PASSIVE)),
            detractors=Count("id", filter=now_q & Q(category=Category.DETRACTOR)),
            p_promoters=Count("id", filter=~now_q & Q(category=Category.PROMOTER)),
            p_passives=Count("id", filter=~now_q & Q(category=Category.PASSIVE)),
            p_detractors=Count("id", filter=~now_q & Q(category=Category.DETRACTOR)),
        )
    before = {"promoters": row["p_promoters"], "passives": row["p_passives"], "detractors": row["p_detractors"]}
    return NpsChange(current=_result(row), previous=_result(before))


def nps_by_period(filters: Filters, bucket: str | None = None) -> list[dict]:
    bucket = bucket or filters.bucket()
    if uses_rollup(filters):
        rows = (rollup(filters).annotate(period=BUCKETS[bucket]("day")).values("period")
                .annotate(**ROLLUP_COUNTS).order_by("period"))
    else:
        trunc = BUCKETS[bucket]("submitted_at", tzinfo=_tz())
        rows = responses(filters).annotate(period=trunc).values("period").annotate(**COUNTS).order_by("period")
    return [{"period": _as_date(row["period"]), "result": _result(row)} for row in rows]


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def nps_by(filters: Filters, dimension: str) -> list[dict]:
    key, label = DIMENSIONS[dimension]
    if uses_rollup(filters):
        rows = rollup(filters).values(key).annotate(**ROLLUP_COUNTS).order_by()
        names = _labels(dimension, [row[key] for row in rows])
        result = [{"key": row[key], "label": names.get(row[key]) or "—", "result": _result(row)} for row in rows]
        return sorted(result, key=lambda r: str(r["label"]))
    rows = responses(filters).values(key, label).annotate(**COUNTS).order_by(label)
    return [{"key": row[key], "label": row[label] or "—", "result": _result(row)} for row in rows]


def _labels(dimension: str, keys) -> dict:
    from core.models import Team
    from surveys.models import Touchpoint

    models = {"campaign": Campaign, "touchpoint": Touchpoint, "team": Team}
    if dimension in models:
        return dict(models[dimension].objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
    return {k: k for k in keys}


def nps_by_segment(filters: Filters, key: str) -> list[dict]:
    rows = (responses(filters).annotate(segment=KeyTextTransform(key, "contact__attributes"))
            .values("segment").annotate(**COUNTS).order_by("segment"))
    return [{"key": row["segment"], "label": row["segment"] or "(none)", "result": _result(row)} for row in rows]


def score_distribution(filters: Filters) -> list[int]:
    if uses_rollup(filters):
        counts = dict(rollup(filters).values_list("score").annotate(t=Sum("n")).order_by())
    else:
        counts = dict(responses(filters).values_list("score").annotate(n=Count("id")))
    return [counts.get(score, 0) for score in range(11)]


def response_rate(filters: Filters) -> dict:
    invitations = Invitation.objects.filter(sent_at__gte=filters.start_dt, sent_at__lt=filters.end_dt)
    if filters.kind != "all":
        invitations = invitations.filter(campaign__kind=filters.kind)
    if filters.campaign:
        invitations = invitations.filter(campaign_id=filters.campaign)
    if filters.touchpoint:
        invitations = invitations.filter(campaign__touchpoint_id=filters.touchpoint)
    if filters.team:
        invitations = invitations.filter(campaign__team_id=filters.team)
    if filters.segment_key:
        invitations = invitations.filter(**{f"contact__attributes__{filters.segment_key}": filters.segment_value})
    row = invitations.aggregate(delivered=Count("id", filter=~Q(status__in=[Invitation.Status.BOUNCED,
                                                                            Invitation.Status.FAILED])),
                                answered=Count("id", filter=Q(status=Invitation.Status.ANSWERED)))
    row["rate"] = row["answered"] / row["delivered"] if row["delivered"] else None
    return row


def driver_results(filters: Filters) -> list[dict]:
    """Per driver question: the average (CSAT/effort) and the NPS of respondents by their answer."""
    answers = Answer.objects.filter(response__in=responses(filters).values("id"))
    questions = {q.pk: q for q in Question.objects.filter(pk__in=answers.values("question_id")).select_related(
        "campaign")}
    averages = dict(answers.filter(number__isnull=False).values_list("question_id").annotate(a=Avg("number")))
    by_answer = (answers.annotate(value=F("number")).values("question_id", "number", "text")
                 .annotate(promoters=Count("id", filter=Q(response__category=Category.PROMOTER)),
                           passives=Count("id", filter=Q(response__category=Category.PASSIVE)),
                           detractors=Count("id", filter=Q(response__category=Category.DETRACTOR)))
                 .order_by("question_id", "number", "text"))
    grouped: dict[int, list] = {}
    for row in by_answer:
        label = str(row["number"]) if row["number"] is not None else (row["text"] or "—")
        grouped.setdefault(row["question_id"], []).append({"label": label, "result": _result(row)})
    return [{"question": questions[qid], "average": averages.get(qid), "answers": rows}
            for qid, rows in grouped.items() if qid in questions]


def latest_comments(filters: Filters, *, category: str | None = None, limit: int = 5):
    qs = responses(filters, with_category=category is None, with_search=True).exclude(comment="")
    if category:
        qs = qs.filter(category=category)
    return qs.select_related("campaign", "touchpoint", "contact").order_by("-submitted_at")[:limit]


def comment_list(filters: Filters):
    return (responses(filters, with_category=True, with_search=True).exclude(comment="")
            .select_related("campaign", "touchpoint", "contact").order_by("-submitted_at"))


def at_risk(filters: Filters, *, limit: int = 10) -> list[Response]:
    """Contacts whose latest answer in the period fell a category or 3+ points from their previous one."""
    previous = Response.objects.filter(contact_id=OuterRef("contact_id"), submitted_at__lt=OuterRef("submitted_at")
                                       ).order_by("-submitted_at")
    rank = {Category.DETRACTOR: 0, Category.PASSIVE: 1, Category.PROMOTER: 2}
    candidates = (responses(filters).filter(contact__isnull=False, category__in=[Category.DETRACTOR,
                                                                                Category.PASSIVE])
                  .annotate(prev_score=Subquery(previous.values("score")[:1]),
                            prev_category=Subquery(previous.values("category")[:1]))
                  .filter(prev_score__isnull=False)
                  .filter(Q(prev_score__gte=F("score") + 3) | Q(prev_category=Category.PROMOTER)
                          | Q(prev_category=Category.PASSIVE, category=Category.DETRACTOR))
                  .select_related("contact", "campaign").order_by("-submitted_at")[:limit * 3])
    seen, rows = set(), []
    for response in candidates:
        if response.contact_id in seen:
            continue
        seen.add(response.contact_id)
        response.dropped_category = rank[response.category] < rank[response.prev_category]
        rows.append(response)
    return rows[:limit]


def contact_history(contact_id: int) -> list[Response]:
    return list(Response.objects.filter(contact_id=contact_id).select_related("campaign").order_by("submitted_at"))


def team_targets(filters: Filters, by_team: list[dict] | None = None) -> list[dict]:
    from core.models import Team

    results = {row["key"]: row["result"] for row in (by_team if by_team is not None else nps_by(filters, "team"))}
    return [{"team": team, "result": results.get(team.pk)} for team in Team.objects.exclude(nps_target=None)]
