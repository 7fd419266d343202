"""The report filters (period, survey type, campaign, touchpoint, team, channel, language, segment,
category, search): parsed from GET parameters, and the raw responses that match them."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import CUSTOMER_KINDS, Campaign, Category, Response

PERIODS = {"30d": 30, "90d": 90, "365d": 365}
# The survey types a customer report may ask for; "all" is both customer types (never the employees'
# eNPS, which is reported apart: scoring.enps).
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
    # Whose answers these filters may ever reach (core.roles.answer_teams): None for every team,
    # else only answers of these teams. Set from the user, never from the query string.
    teams: tuple | None = None

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


def parse_filters(params, *, teams: tuple | None = None) -> Filters:
    """Filters from GET parameters. Invalid values are ignored and reported, never an error page.
    `teams` is the viewer's scope (core.roles.answer_teams): it bounds every reader using them."""
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
        teams=teams,
    )


def valid_key(key: str) -> bool:
    """An attribute name as imports make them: 1–80 printable characters (spaces allowed)."""
    return 0 < len(key) <= 80 and key.isprintable() and key.strip() == key


# --- Filtering -----------------------------------------------------------------------------------
def dimension_q(filters: Filters, prefix: str = "") -> Q:
    """The filters every table shares (kind, campaign, touchpoint, team, channel, language)."""
    q = Q(**{f"{prefix}kind__in": CUSTOMER_KINDS}) if filters.kind == "all" else Q(**{f"{prefix}kind": filters.kind})
    for name in ("campaign", "touchpoint", "team"):
        if getattr(filters, name):
            q &= Q(**{f"{prefix}{name}_id": getattr(filters, name)})
    if filters.teams is not None:
        q &= Q(**{f"{prefix}team_id__in": filters.teams})
    if filters.channel:
        q &= Q(**{f"{prefix}channel": filters.channel})
    if filters.language:
        q &= Q(**{f"{prefix}language": filters.language})
    return q


def kind_matches(filters: Filters, kind: str) -> bool:
    """dimension_q's survey-type rule for a row in hand."""
    return kind in CUSTOMER_KINDS if filters.kind == "all" else kind == filters.kind


def segment_q(filters: Filters, prefix: str = "", attributes: str = "contact__attributes") -> Q:
    """The segment filter, compared as text (as the rollups store it). The key is an expression
    argument, never part of a lookup path, so any attribute name is safe."""
    if not filters.segment_key:
        return Q()
    return Q(Exact(attribute_text(filters.segment_key, f"{prefix}{attributes}"), filters.segment_value))


def attribute_text(key: str, path: str = "contact__attributes"):
    """A contact attribute as text, as the rollups store it (SQLite's ->> gives a number as a number)."""
    return Cast(KeyTextTransform(key, path), output_field=TextField())


def responses(filters: Filters, *, period: bool = True, with_category: bool = False, with_search: bool = False):
    """The raw responses matching the filters."""
    qs = Response.objects.filter(dimension_q(filters) & segment_q(filters))
    if period:
        qs = qs.filter(submitted_at__gte=filters.start_dt, submitted_at__lt=filters.end_dt)
    if with_category and filters.category:
        qs = qs.filter(category=filters.category)
    if with_search and filters.search:
        qs = qs.filter(comment__icontains=filters.search)
    return qs
