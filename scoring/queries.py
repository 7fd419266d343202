"""Named read queries for dashboards, exports and digests.

Aggregation happens in SQL (conditional aggregates and GROUP BY); Python only turns the few
resulting rows into NpsResult objects. The NPS panels read the rollups of scoring.rollup (a few
thousand rows) and fall back to the raw responses only for what a rollup cannot answer: a segment
key without a rollup, or a segment filter combined with a cut by another segment or by driver.
"""

import contextlib
import contextvars
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, Sum, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Lag, TruncDay, TruncMonth, TruncQuarter, TruncWeek
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring import rollup as rollups
from scoring.models import DailyDriverAnswer, DailyInvitations, DailyScore, DailySegmentScore, LatestScore
from scoring.nps import NpsChange, NpsResult, nps_from_counts
from surveys.models import Answer, Campaign, Category, Contact, Invitation, Question, Response

PERIODS = {"30d": 30, "90d": 90, "365d": 365}
BUCKETS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
DIMENSIONS = {
    "campaign": ("campaign_id", "campaign__name"),
    "touchpoint": ("touchpoint_id", "touchpoint__name"),
    "team": ("team_id", "team__name"),
    "channel": ("channel", "channel"),
    "language": ("language", "language"),
}
SEGMENT_KEYS = rollups.SEGMENT_KEYS
EVERYTHING = Q()  # a filter that keeps every row
KINDS = (Campaign.Kind.RELATIONAL, Campaign.Kind.TRANSACTIONAL, "all")


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
        values = {
            "period": self.period,
            "kind": self.kind,
            "campaign": self.campaign or "",
            "touchpoint": self.touchpoint or "",
            "team": self.team or "",
            "channel": self.channel,
            "language": self.language,
            "segment": f"{self.segment_key}={self.segment_value}" if self.segment_key else "",
            "category": self.category,
            "q": self.search,
        }
        if self.period == "custom":
            values.update({"start": self.start.isoformat(), "end": self.end.isoformat()})
        values.update(overrides)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _ignored(name: str) -> str:
    """The notice for a filter value that makes no sense (ignored, never an error page)."""
    messages = {
        "campaign": _("Ignored an invalid campaign."),
        "touchpoint": _("Ignored an invalid touchpoint."),
        "team": _("Ignored an invalid team."),
        "channel": _("Ignored an invalid channel."),
        "language": _("Ignored an invalid language."),
        "category": _("Ignored an invalid category."),
    }
    return messages[name]


def _int(raw, errors, name):
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
        if not 0 < value < 2**63:
            raise ValueError
        return value
    except (TypeError, ValueError):
        errors.append(_ignored(name))
        return None


def _choice(raw, allowed, errors, name) -> str:
    if raw in (None, ""):
        return ""
    if raw in allowed:
        return raw
    errors.append(_ignored(name))
    return ""


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
            errors.append(_("Ignored an invalid date range; showing the last 90 days."))
            period, start, end = "90d", today - timedelta(days=89), today
    else:
        errors.append(_("Ignored an unknown period; showing the last 90 days."))
        period = "90d"
    kind = params.get("kind") or Campaign.Kind.RELATIONAL
    if kind not in KINDS:
        errors.append(_("Ignored an unknown survey type; showing relational."))
        kind = Campaign.Kind.RELATIONAL
    segment = params.get("segment", "")
    key, _sep, value = segment.partition("=")
    if segment and not (valid_key(key.strip()) and value.strip()):
        errors.append(_("Ignored an invalid segment filter (use attribute=value)."))
        key = value = ""
    return Filters(
        start=start,
        end=end,
        kind=kind,
        period=period,
        campaign=_int(params.get("campaign"), errors, "campaign"),
        touchpoint=_int(params.get("touchpoint"), errors, "touchpoint"),
        team=_int(params.get("team"), errors, "team"),
        channel=_choice(params.get("channel"), Campaign.Channel.values, errors, "channel"),
        language=_choice(params.get("language"), [code for code, _name in settings.LANGUAGES], errors, "language"),
        segment_key=key.strip(),
        segment_value=value.strip()[:200],
        category=_choice(params.get("category"), Category.values, errors, "category"),
        search=params.get("q", "").strip()[:200],
        errors=tuple(errors),
    )


def valid_key(key: str) -> bool:
    """An attribute name as imports make them: 1–80 printable characters (spaces allowed)."""
    return 0 < len(key) <= 80 and key.isprintable() and key.strip() == key


# --- Filtering -----------------------------------------------------------------------------------
def _dimension_q(filters: Filters, prefix: str = "") -> Q:
    """The filters every table shares (kind, campaign, touchpoint, team, channel, language)."""
    q = Q()
    if filters.kind != "all":
        q &= Q(**{f"{prefix}kind": filters.kind})
    for name in ("campaign", "touchpoint", "team"):
        if getattr(filters, name):
            q &= Q(**{f"{prefix}{name}_id": getattr(filters, name)})
    if filters.channel:
        q &= Q(**{f"{prefix}channel": filters.channel})
    if filters.language:
        q &= Q(**{f"{prefix}language": filters.language})
    return q


def _segment_q(filters: Filters, prefix: str = "", attributes: str = "contact__attributes") -> Q:
    """The segment filter, compared as text (as the rollups store it). The key is an expression
    argument, never part of a lookup path, so any attribute name is safe."""
    if not filters.segment_key:
        return Q()
    return Q(Exact(KeyTextTransform(filters.segment_key, f"{prefix}{attributes}"), filters.segment_value))


def responses(filters: Filters, *, period: bool = True, with_category: bool = False, with_search: bool = False):
    """The raw responses matching the filters."""
    qs = Response.objects.filter(_dimension_q(filters) & _segment_q(filters))
    if period:
        qs = qs.filter(submitted_at__gte=filters.start_dt, submitted_at__lt=filters.end_dt)
    if with_category and filters.category:
        qs = qs.filter(category=filters.category)
    if with_search and filters.search:
        qs = qs.filter(comment__icontains=filters.search)
    return qs


# --- The rollups -----------------------------------------------------------------------------------
_fresh = contextvars.ContextVar("scoring_rollup_fresh", default=False)


@contextlib.contextmanager
def fresh_rollup():
    """Refresh the rollups once for a block of queries (a page): inside it, queries skip refreshing."""
    if _fresh.get():
        yield
        return
    rollups.refresh_rollup()
    token = _fresh.set(True)
    try:
        yield
    finally:
        _fresh.reset(token)


def _ensure_fresh() -> None:
    if not _fresh.get():
        rollups.refresh_rollup()


def uses_rollup(filters: Filters) -> bool:
    """The rollups answer the NPS panels unless the segment filter's key has no rollup."""
    return not filters.segment_key or filters.segment_key in SEGMENT_KEYS


def rollup(filters: Filters, *, period: bool = True):
    """Rollup rows (DailyScore, or DailySegmentScore under a segment filter) matching the filters."""
    _ensure_fresh()
    if filters.segment_key:
        qs = DailySegmentScore.objects.filter(key=filters.segment_key, value=filters.segment_value)
    else:
        qs = DailyScore.objects.all()
    qs = qs.filter(_dimension_q(filters))
    if period:
        qs = qs.filter(day__gte=filters.start, day__lte=filters.end)
    return qs


def _n_counts(within: Q = EVERYTHING) -> dict:
    return {
        "promoters": Coalesce(Sum("n", filter=within & Q(score__gte=9)), 0),
        "passives": Coalesce(Sum("n", filter=within & Q(score__in=[7, 8])), 0),
        "detractors": Coalesce(Sum("n", filter=within & Q(score__lte=6)), 0),
    }


def _row_counts(within: Q = EVERYTHING, path: str = "") -> dict:
    return {
        "promoters": Count("id", filter=within & Q(**{f"{path}category": Category.PROMOTER})),
        "passives": Count("id", filter=within & Q(**{f"{path}category": Category.PASSIVE})),
        "detractors": Count("id", filter=within & Q(**{f"{path}category": Category.DETRACTOR})),
    }


ROLLUP_COUNTS = _n_counts()
COUNTS = _row_counts()


def _result(row) -> NpsResult:
    return nps_from_counts(
        promoters=row["promoters"],
        passives=row["passives"],
        detractors=row["detractors"],
        min_n=settings.KRINGLOOP["MIN_RESPONSES"],
    )


# --- NPS panels ------------------------------------------------------------------------------------
def nps_summary(filters: Filters) -> NpsChange:
    """This period and the one before it, in one query."""
    previous = filters.previous()
    if uses_rollup(filters):
        qs = rollup(filters, period=False).filter(day__gte=previous.start, day__lte=filters.end)
        now_q = Q(day__gte=filters.start)
        row = qs.aggregate(**_n_counts(now_q), **{f"p_{k}": v for k, v in _n_counts(~now_q).items()})
    else:
        qs = responses(filters, period=False).filter(
            submitted_at__gte=previous.start_dt, submitted_at__lt=filters.end_dt
        )
        now_q = Q(submitted_at__gte=filters.start_dt)
        row = qs.aggregate(**_row_counts(now_q), **{f"p_{k}": v for k, v in _row_counts(~now_q).items()})
    before = {"promoters": row["p_promoters"], "passives": row["p_passives"], "detractors": row["p_detractors"]}
    return NpsChange(current=_result(row), previous=_result(before))


BUCKET_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 91}


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


def nps_by_period(filters: Filters, bucket: str | None = None) -> list[dict]:
    """NPS per day, week (Monday), month or quarter, in the configured time zone."""
    bucket = bucket if bucket in BUCKETS else filters.bucket()
    if uses_rollup(filters):
        rows = (
            rollup(filters)
            .annotate(period=BUCKETS[bucket]("day"))
            .values("period")
            .annotate(**ROLLUP_COUNTS)
            .order_by("period")
        )
    else:
        trunc = BUCKETS[bucket]("submitted_at", tzinfo=_tz())
        rows = responses(filters).annotate(period=trunc).values("period").annotate(**COUNTS).order_by("period")
    return [{"period": _as_date(row["period"]), "result": _result(row)} for row in rows]


def _as_date(value) -> date:
    return timezone.localtime(value, _tz()).date() if isinstance(value, datetime) else value


def nps_by(filters: Filters, dimension: str) -> list[dict]:
    """NPS per campaign, touchpoint, team, channel or language, sorted by name."""
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
    """NPS per value of one contact attribute ("(none)": no such attribute, or anonymous)."""
    if not valid_key(key):
        return []
    if key in SEGMENT_KEYS and filters.segment_key in ("", key):
        _ensure_fresh()
        qs = DailySegmentScore.objects.filter(
            _dimension_q(filters), key=key, day__gte=filters.start, day__lte=filters.end
        )
        if filters.segment_key:
            qs = qs.filter(value=filters.segment_value)
        rows = qs.values(segment=F("value")).annotate(**ROLLUP_COUNTS).order_by("segment")
    else:
        rows = (
            responses(filters)
            .annotate(segment=KeyTextTransform(key, "contact__attributes"))
            .values("segment")
            .annotate(**COUNTS)
            .order_by("segment")
        )
    return [{"key": row["segment"], "label": row["segment"] or "(none)", "result": _result(row)} for row in rows]


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
    if uses_rollup(filters):
        counts = dict(rollup(filters).values_list("score").annotate(t=Sum("n")).order_by())
    else:
        counts = dict(responses(filters).values_list("score").annotate(n=Count("id")).order_by())
    return [counts.get(score, 0) for score in range(11)]


# --- Response rate ---------------------------------------------------------------------------------
def response_rate(filters: Filters) -> dict:
    """Answered / delivered invitations among those sent in the period."""
    if filters.language or not uses_rollup(filters):
        row = _invitations(filters, since=filters.start_dt).aggregate(**_invitation_counts())
    else:
        # Settled days from the rollup; the last few days live, while bounces still come in.
        _ensure_fresh()
        live = rollups.live_from()
        row = {"delivered": 0, "answered": 0}
        if filters.start < live:
            settled = DailyInvitations.objects.filter(
                _dimension_q(replace(filters, language="")),
                _segment_rollup_q(filters),
                day__gte=filters.start,
                day__lte=min(filters.end, live - timedelta(days=1)),
            )
            row = settled.aggregate(delivered=Coalesce(Sum("delivered"), 0), answered=Coalesce(Sum("answered"), 0))
        if filters.end >= live:
            since = max(filters.start_dt, datetime.combine(live, time.min, tzinfo=_tz()))
            extra = _invitations(filters, since=since).aggregate(**_invitation_counts())
            row = {k: row[k] + extra[k] for k in row}
    row["rate"] = row["answered"] / row["delivered"] if row["delivered"] else None
    return row


def _segment_rollup_q(filters: Filters) -> Q:
    """Rows of a rollup with segment columns (DailyDriverAnswer, DailyInvitations) for the filter."""
    if filters.segment_key:
        return Q(segment_key=filters.segment_key, segment_value=filters.segment_value)
    return Q(segment_key="")


def _invitations(filters: Filters, *, since: datetime):
    qs = Invitation.objects.filter(sent_at__gte=since, sent_at__lt=filters.end_dt)
    if filters.kind != "all":
        qs = qs.filter(campaign__kind=filters.kind)
    for name in ("touchpoint", "team"):
        if getattr(filters, name):
            qs = qs.filter(**{f"campaign__{name}_id": getattr(filters, name)})
    if filters.campaign:
        qs = qs.filter(campaign_id=filters.campaign)
    if filters.channel:
        qs = qs.filter(campaign__channel=filters.channel)
    if filters.segment_key:
        qs = qs.filter(_segment_q(filters))
    if filters.language:
        qs = qs.filter(contact__language=filters.language)
    return qs


def _invitation_counts() -> dict:
    return {
        "delivered": Count("id", filter=~Q(status__in=[Invitation.Status.BOUNCED, Invitation.Status.FAILED])),
        "answered": Count("id", filter=rollups.ANSWERED),
    }


# --- Drivers ---------------------------------------------------------------------------------------
def driver_results(filters: Filters) -> list[dict]:
    """Per driver question: the average (CSAT 1–5, effort 1–7) and the NPS of those who gave each
    answer, so a team sees which answer pulls the score down."""
    if uses_rollup(filters):
        _ensure_fresh()
        rows = list(
            DailyDriverAnswer.objects.filter(
                _dimension_q(filters), _segment_rollup_q(filters), day__gte=filters.start, day__lte=filters.end
            )
            .values("question_id", "number", "value")
            .annotate(**ROLLUP_COUNTS)
            .order_by()
        )
    else:
        rows = _raw_driver_rows(
            Answer.objects.filter(
                _dimension_q(filters, "response__") & _segment_q(filters, "response__"),
                response__submitted_at__gte=filters.start_dt,
                response__submitted_at__lt=filters.end_dt,
            )
        )
    questions = Question.objects.filter(pk__in={row["question_id"] for row in rows}).select_related("campaign")
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row["question_id"], []).append(row)
    panels = []
    for question in sorted(questions, key=lambda q: (q.campaign.name, q.order, q.pk)):
        answers = [
            {
                "label": str(row["number"]) if row["number"] is not None else row["value"],
                "number": row["number"],
                "result": _result(row),
            }
            for row in grouped[question.pk]
        ]
        numeric = [a for a in answers if a["number"] is not None]
        total = sum(a["result"].n for a in numeric)
        average = sum(a["number"] * a["result"].n for a in numeric) / total if total else None
        answers.sort(key=lambda a: (a["number"] is None, a["number"] or 0, str(a["label"])))
        pulls_down = _pulls_down_most(answers)
        panels.append(
            {
                "question": question,
                "average": average,
                "answers": answers,
                "pulls_down": pulls_down,
                "scale": 7 if question.kind == Question.Kind.EFFORT else 5,
            }
        )
    return panels


def _pulls_down_most(answers: list[dict]):
    """The answer that costs the question's NPS the most: its share of respondents times how far
    its NPS lies below the question's overall NPS. None when no answer pulls it down."""
    overall = nps_from_counts(
        **{k: sum(getattr(a["result"], k) for a in answers) for k in ("promoters", "passives", "detractors")}
    )
    if len(answers) < 2 or overall.nps is None:
        return None
    cost = {a["label"]: a["result"].n * (a["result"].nps - overall.nps) for a in answers if a["result"].n}
    label = min(cost, key=cost.get)
    return label if cost[label] < 0 else None


def _raw_driver_rows(answers) -> list[dict]:
    """What DailyDriverAnswer holds, counted from the answers themselves (segment filters)."""
    counts = _row_counts(path="response__")
    numeric = answers.filter(question__kind__in=[Question.Kind.CSAT, Question.Kind.EFFORT], number__isnull=False)
    rows = [{**row, "value": ""} for row in numeric.values("question_id", "number").annotate(**counts).order_by()]
    single = answers.filter(question__kind=Question.Kind.SINGLE).exclude(text="")
    rows += [
        {**row, "number": None} for row in single.values("question_id", value=F("text")).annotate(**counts).order_by()
    ]
    multiple = Question.objects.filter(kind=Question.Kind.MULTIPLE, answers__in=answers).distinct()
    for question in multiple.only("pk", "choices"):
        per_option = _option_counts(answers.filter(question=question), question.choices)
        rows += [
            {"question_id": question.pk, "number": None, "value": option, **counts}
            for option, counts in zip(question.choices, per_option)
            if sum(counts.values())
        ]
    return rows


def _option_counts(answers, options) -> list[dict]:
    """Promoters, passives and detractors per option of a multiple-choice question, in one query."""
    aggregates = {}
    for i, option in enumerate(options):
        for name, count in _row_counts(rollups.contains_option(option), "response__").items():
            aggregates[f"o{i}_{name}"] = count
    row = answers.aggregate(**aggregates) if aggregates else {}
    return [
        {name: row[f"o{i}_{name}"] for name in ("promoters", "passives", "detractors")} for i in range(len(options))
    ]


# --- Comments, customers -----------------------------------------------------------------------------
def latest_comments(filters: Filters, *, category: str | None = None, limit: int = 5):
    qs = responses(filters, with_category=category is None, with_search=True).exclude(comment="")
    if category:
        qs = qs.filter(category=category)
    return qs.select_related("campaign", "touchpoint", "contact").order_by("-submitted_at")[:limit]


def comment_list(filters: Filters):
    return (
        responses(filters, with_category=True, with_search=True)
        .exclude(comment="")
        .select_related("campaign", "touchpoint", "contact")
        .order_by("-submitted_at", "-id")
    )


def dropped() -> Q:
    """A latest answer a category or 3+ points below the customer's previous one."""
    return (
        Q(prev_score__gte=F("score") + 3)
        | Q(prev_category=Category.PROMOTER, category__in=[Category.PASSIVE, Category.DETRACTOR])
        | Q(prev_category=Category.PASSIVE, category=Category.DETRACTOR)
    )


def at_risk(filters: Filters, *, limit: int = 10) -> list[LatestScore]:
    """Customers whose latest answer (per survey type), given in the period, dropped a category or
    3+ points from their previous one. Newest first."""
    _ensure_fresh()
    qs = (
        LatestScore.objects.filter(
            dropped(),
            _dimension_q(filters),
            prev_score__isnull=False,
            submitted_at__gte=filters.start_dt,
            submitted_at__lt=filters.end_dt,
        )
        .select_related("response__contact", "response__campaign")
        .order_by("-submitted_at")
    )
    if filters.segment_key:
        qs = qs.filter(_segment_q(filters, attributes="attributes"))
    rows = list(qs.filter(response__contact_id__isnull=False)[:limit])  # a deleted contact leaves NULL
    rank = {Category.DETRACTOR: 0, Category.PASSIVE: 1, Category.PROMOTER: 2}
    for row in rows:
        row.dropped_category = rank[row.category] < rank[row.prev_category]
    return rows


def contact_history(contact_id: int) -> list[Response]:
    """A contact's answers, oldest first, each with the change from the previous one of its kind."""
    previous = Window(Lag("score"), partition_by=[F("kind")], order_by=[F("submitted_at").asc(), F("id").asc()])
    return list(
        Response.objects.filter(contact_id=contact_id)
        .annotate(prev_score=previous)
        .select_related("campaign", "touchpoint")
        .order_by("submitted_at", "id")
    )


def team_targets(filters: Filters, by_team: list[dict] | None = None) -> list[dict]:
    from core.models import Team

    results = {row["key"]: row["result"] for row in (by_team if by_team is not None else nps_by(filters, "team"))}
    return [
        {"team": team, "result": results.get(team.pk)}
        for team in Team.objects.exclude(nps_target=None).order_by("name")
    ]
