"""The board report: the dashboard's figures under its filters as a PDF, A4, in the reader's
language, with the period and page numbers on every page (WeasyPrint from an HTML template;
charts drawn here as SVG, scoring.charts).

`report_data` gathers the figures (readers only: the same panels the dashboard reads), and
`render_pdf` typesets them. Both run in the worker (scoring.report_jobs) for the dashboard's
download and the scheduled reports (scoring.subscriptions).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.models import Team
from followups.improvements import before_after
from followups.models import FollowUp, Improvement, RootCauseTag
from followups.queries import sla_health
from scoring import charts, queries, services
from scoring.filters import Filters, dimension_q, segment_q
from scoring.theme_report import theme_report
from surveys.models import Campaign, Category, Touchpoint

QUOTES = 3  # praise and complaints quoted
ROOT_CAUSES = 8  # root causes listed


@dataclass(frozen=True)
class Reader:
    """Who the report is for: what they may see decides what it shows."""

    personal: bool  # may read comments (core.roles.sees_personal_data)
    name_customers: bool = False  # an admin chose to name the customers quoted
    language: str = "en"


def root_causes(filters: Filters, *, limit: int = ROOT_CAUSES) -> list[dict]:
    """The root causes tagged on the cases of the period's answers under the filters, most
    frequent first: {tag, n, share} (share of the tagged cases)."""
    through = FollowUp.tags.through
    prefix = "followup__response__"
    rows = list(
        through.objects.filter(
            dimension_q(filters, prefix=prefix),
            segment_q(filters, prefix=prefix),
            followup__response__submitted_at__gte=filters.start_dt,
            followup__response__submitted_at__lt=filters.end_dt,
        )
        .values("rootcausetag_id")
        .annotate(n=Count("followup_id", distinct=True))
        .order_by("-n", "rootcausetag_id")
    )
    total = sum(row["n"] for row in rows) or 1
    tags = RootCauseTag.objects.in_bulk([row["rootcausetag_id"] for row in rows[:limit]])
    return [
        {"tag": tags[row["rootcausetag_id"]], "n": row["n"], "share": row["n"] / total}
        for row in rows[:limit]
        if row["rootcausetag_id"] in tags
    ]


def top_themes(filters: Filters, *, limit: int = ROOT_CAUSES) -> list[dict]:
    """The themes most often named in the period's comments (themes, scoring.theme_report): how
    often, the NPS of the answers naming each and its NPS impact."""
    return theme_report(filters)["themes"][:limit]


def shipped_improvements(filters: Filters) -> list[dict]:
    """Improvements shipped in the period (of the reader's teams, or of none), with the before/after
    NPS of the customers who asked."""
    shipped = Improvement.objects.filter(
        status=Improvement.Status.SHIPPED, shipped_at__gte=filters.start_dt, shipped_at__lt=filters.end_dt
    ).order_by("-shipped_at")
    if filters.teams is not None:
        shipped = shipped.filter(Q(team_id__in=filters.teams) | Q(team__isnull=True))
    if filters.team:
        shipped = shipped.filter(team_id=filters.team)
    return [{"improvement": i, "change": before_after(i)} for i in shipped[:10]]


def _quotes(filters: Filters, category: str, reader: Reader) -> list[dict]:
    if not reader.personal:
        return []
    return [
        {
            "text": r.comment if len(r.comment) <= 300 else r.comment[:297].rsplit(" ", 1)[0] + "…",
            "score": r.score,
            "when": r.submitted_at,
            "touchpoint": r.touchpoint,
            "who": (r.contact.name or r.contact.email) if reader.name_customers and r.contact else "",
        }
        for r in queries.latest_comments(filters, category=category, limit=QUOTES)
    ]


LABEL_FORMATS = {"day": "j M", "week": "j M", "month": "M Y", "quarter": "M Y"}


def _points(rows, bucket: str) -> list[dict]:
    """The trend's points for scoring.charts.trend_chart, labelled in the active language."""
    return [
        {
            "label": date_format(row["period"], LABEL_FORMATS[bucket]),
            "nps": r.nps,
            "margin": r.margin,
            "too_few": r.too_few,
            "n": r.n,
        }
        for row in rows
        for r in [row["result"]]
    ]


def _bars(rows) -> list[dict]:
    return [
        {"label": row["label"], "nps": row["result"].nps, "n": row["result"].n, "too_few": row["result"].too_few}
        for row in rows
    ]


def report_data(filters: Filters, reader: Reader, *, progress: Callable[[int], None] | None = None) -> dict:
    """Every figure of the report, read as the dashboard reads them."""
    step = progress or (lambda percent: None)
    with queries.one_look():
        summary = queries.nps_summary(filters)
        step(15)
        bucket = queries.trend_bucket(filters, summary.current.n)
        trend = queries.nps_by_period(filters, bucket)
        by_touchpoint = queries.nps_by(filters, "touchpoint")
        by_team = queries.nps_by(filters, "team")
        step(35)
        team_ids = [filters.team] if filters.team else None
        if filters.teams is not None:
            team_ids = [t for t in (team_ids or filters.teams) if t in filters.teams] or [0]
        data = {
            "filters": filters,
            "reader": reader,
            "summary": summary,
            "trend": trend,
            "bucket": bucket,
            "by_touchpoint": by_touchpoint,
            "by_team": by_team,
            "distribution": queries.score_distribution(filters),
            "funnel": queries.delivery_funnel(filters),
            "root_causes": root_causes(filters),
            "themes": top_themes(filters),
            "praise": _quotes(filters, Category.PROMOTER, reader),
            "complaints": _quotes(filters, Category.DETRACTOR, reader),
            "sla": sla_health(since=filters.start_dt, team_ids=team_ids)["overall"],
            "improvements": shipped_improvements(filters),
            "targets": queries.team_targets(filters, by_team),
            "company_target": services.company_target(),
            "generated_at": timezone.now(),
        }
        step(55)
    return data


def _charts(data: dict) -> dict:
    return {
        "trend_svg": charts.trend_chart(
            _points(data["trend"], data["bucket"]), label=_("NPS over time"), target=data["company_target"]
        ),
        "touchpoint_svg": charts.bar_chart(_bars(data["by_touchpoint"]), label=_("NPS by touchpoint")),
        "team_svg": charts.bar_chart(_bars(data["by_team"]), label=_("NPS by team")),
        "distribution_svg": charts.distribution_chart(data["distribution"], label=_("Scores 0–10")),
    }


def render_html(data: dict) -> str:
    """The report as HTML, in the reader's language (what the PDF is typeset from)."""
    with translation.override(data["reader"].language or settings.LANGUAGE_CODE):
        return render_to_string(
            "scoring/board_report.html",
            {**data, **_charts(data), "company": settings.COMPANY_NAME, "scope": scope_lines(data["filters"])},
        )


def scope_lines(filters: Filters) -> list[dict]:
    """The filters the report was made under, named for the reader."""
    lines = [{"label": _("Survey type"), "value": _kind_label(filters)}]
    names = {
        "campaign": (_("Campaign"), Campaign),
        "touchpoint": (_("Touchpoint"), Touchpoint),
        "team": (_("Team"), Team),
    }
    for name, (label, model) in names.items():
        if getattr(filters, name):
            record = model.objects.filter(pk=getattr(filters, name)).first()
            lines.append({"label": label, "value": str(record) if record else "—"})
    if filters.channel:
        lines.append({"label": _("Channel"), "value": str(dict(Campaign.Channel.choices)[filters.channel])})
    if filters.language:
        lines.append({"label": _("Language"), "value": dict(settings.LANGUAGES)[filters.language]})
    if filters.segment_key:
        lines.append({"label": _("Segment"), "value": f"{filters.segment_key} = {filters.segment_value}"})
    if filters.teams is not None:
        lines.append({"label": _("Teams"), "value": _("yours only")})
    return lines


def _kind_label(filters: Filters) -> str:
    if filters.kind == "all":
        return _("All (relational and transactional mixed)")
    return str(dict(Campaign.Kind.choices).get(filters.kind, filters.kind))


def render_pdf(data: dict, *, progress: Callable[[int], None] | None = None) -> bytes:
    # WeasyPrint (and Pango under it) is loaded only where a PDF is made, in the worker, so the web
    # processes do not carry it (web_rss_mb). Not a layer crossing: a third-party package.
    from weasyprint import HTML

    html = render_html(data)
    if progress:
        progress(70)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
