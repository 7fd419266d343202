"""The theme report under the dashboard's filters: per theme how often it is named, its share among
detractors, passives and promoters, its trend, and its NPS impact.

It reads the themes' daily rollup (themes.models.ThemeDay: the stored assignments counted per day,
theme, dimensions and category, kept by the worker that writes them) and the NPS panels' own
counts (scoring.panels, from the rollups): a few thousand rows whatever the number of comments; no
comment is read and no text is processed.

NPS impact (README, "Themes"): how many NPS points the company would gain if the answers naming
the theme had scored like the rest. With w = n_theme / n_all, the NPS of all answers is
w · NPS_theme + (1 − w) · NPS_rest, so the gain is NPS_rest − NPS_all = w · (NPS_rest − NPS_theme).
Its 95 % margin treats w as fixed and the two groups as independent samples, as the NPS change
does: 1.96 · w · √(Var_theme + Var_rest) · 100 (surveys.nps.NpsChange). A theme named by happier
answers than the rest has a negative impact: it lifts the score.
"""

import math
from datetime import date, timedelta

from django.db.models import F, Sum

from scoring.counts import COUNTS, NAMES, result
from scoring.filters import Filters, dimension_q, segment_q
from scoring.nps import Z95, NpsChange, NpsResult, nps_from_counts
from scoring.panels import nps_by_period, trend_bucket
from surveys.models import Contact
from themes.models import CommentTheme, Theme, ThemeDay


def assignments(filters: Filters):
    """The stored theme assignments of the answers matching the filters, in the period (by the
    answer's local day, as the rollups count it)."""
    qs = CommentTheme.objects.filter(dimension_q(filters), day__gte=filters.start, day__lte=filters.end)
    if filters.segment_key:  # the segment's contacts, once: no join from each assignment to its contact
        qs = qs.filter(contact_id__in=Contact.objects.filter(segment_q(filters, attributes="attributes")).values("pk"))
    return qs


def day_counts(filters: Filters):
    """Per theme and local day, the promoters, passives and detractors whose answers name it under
    the filters: from the daily rollup (ThemeDay, kept equal to the assignments by their writer), or,
    under a segment filter, from the assignments themselves (no rollup holds the contacts'
    attributes)."""
    if filters.segment_key:
        return assignments(filters).values("theme_id", "day").annotate(**COUNTS).order_by()
    return (
        ThemeDay.objects.filter(dimension_q(filters), day__gte=filters.start, day__lte=filters.end)
        .values("theme_id", "day")
        .annotate(**{name: Sum(name) for name in NAMES})
        .order_by()
    )


def impact(theme: NpsResult, everyone: NpsResult) -> dict:
    """The NPS points gained if the theme's answers scored like the rest, with its 95 % margin."""
    rest = nps_from_counts(
        promoters=everyone.promoters - theme.promoters,
        passives=everyone.passives - theme.passives,
        detractors=everyone.detractors - theme.detractors,
    )
    if not theme.n or not rest.n:
        return {"points": None, "margin": None, "rest": rest}
    weight = theme.n / everyone.n
    change = NpsChange(current=rest, previous=theme)
    spread = math.sqrt(rest.variance + theme.variance) * 100
    return {"points": weight * change.delta, "margin": Z95 * weight * spread, "rest": rest}


def theme_report(filters: Filters, bucket: str = "") -> dict:
    """Every theme named under the filters, most often named first:
    {"overall": NpsResult, "bucket": …, "periods": [date, …], "themes": [{"theme", "result"
    (the NPS of the answers naming it), "share" (of all answers), "shares" (among detractors,
    passives, promoters), "trend" ([share of each period's answers]), "impact"}]}."""
    # All answers per day, in one query: their sum is the period's figure, and they fold into the
    # trend's periods, whose size depends on how many answers there are.
    days = nps_by_period(filters, "day")
    overall = result({name: sum(getattr(row["result"], name) for row in days) for name in NAMES})
    bucket = trend_bucket(filters, overall.n, bucket)
    totals: dict[date, int] = {}
    for row in days:
        period = bucket_start(row["period"], bucket)
        totals[period] = totals.get(period, 0) + row["result"].n
    # Per theme and day (a few thousand rows at most), folded into the trend's periods here.
    counts: dict[int, dict] = {}
    trend: dict[int, dict] = {}
    for row in day_counts(filters):
        theme_counts = counts.setdefault(row["theme_id"], dict.fromkeys(NAMES, 0))
        for name in NAMES:
            theme_counts[name] += row[name]
        day = bucket_start(row["day"], bucket)
        trend.setdefault(row["theme_id"], {}).setdefault(day, 0)
        trend[row["theme_id"]][day] += sum(row[name] for name in NAMES)
    counts = {theme_id: n for theme_id, n in counts.items() if sum(n.values())}  # a count fallen to zero
    themes = Theme.objects.in_bulk(list(counts))
    table = []
    for theme_id, theme_counts in counts.items():
        named = result(theme_counts)
        table.append(
            {
                "theme": themes[theme_id],
                "result": named,
                "share": named.n / overall.n if overall.n else None,
                "shares": {
                    name: (theme_counts[name] / getattr(overall, name) if getattr(overall, name) else None)
                    for name in NAMES
                },
                "trend": [_share(trend[theme_id].get(day, 0), totals.get(day, 0)) for day in totals],
                "impact": impact(named, overall),
            }
        )
    table.sort(key=lambda row: (-row["result"].n, str(row["theme"])))
    return {"overall": overall, "bucket": bucket, "periods": list(totals), "themes": table}


def bucket_start(day: date, bucket: str) -> date:
    """The first day of `day`'s period, as the trend's SQL truncation gives it (weeks start on Monday)."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    if bucket == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return day


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def by_category(report: dict, category_name: str, limit: int = 5) -> list[dict]:
    """The themes most named by one category's answers ("promoters", "detractors"), with how many
    of that category's answers named each: "what promoters praise", "what detractors complain about"."""
    rows = [
        {"theme": row["theme"], "n": getattr(row["result"], category_name), "share": row["shares"][category_name]}
        for row in report["themes"]
        if getattr(row["result"], category_name)
    ]
    return sorted(rows, key=lambda row: (-row["n"], str(row["theme"])))[:limit]


def theme_response_ids(filters: Filters, theme_id: int, *, limit: int | None = None):
    """The answers naming a theme under the filters (and the category filter), newest first."""
    qs = assignments(filters).filter(theme_id=theme_id)
    if filters.category:
        qs = qs.filter(category=filters.category)
    ids = qs.order_by(F("submitted_at").desc(), F("response_id").desc()).values_list("response_id", flat=True)
    return ids[:limit] if limit else ids


def sparkline(values: list, width: int = 120, height: int = 24) -> str:
    """SVG polyline points for a trend of shares (None: no answers that period, skipped)."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return ""
    top = max(known) or 1
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - (v / top) * (height - 2) - 1:.1f}" for i, v in enumerate(values) if v is not None
    )


def period_labels(periods: list[date]) -> list[str]:
    return [p.isoformat() for p in periods]
