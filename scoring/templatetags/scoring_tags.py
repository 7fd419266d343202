from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from scoring.nps import round_half_away
from surveys.models import Health

register = template.Library()


@register.filter
def nps(value):
    """An NPS for display: signed whole number, or an em dash without answers."""
    if value in (None, ""):
        return "—"
    shown = round_half_away(value)
    return f"+{shown}" if shown > 0 else str(shown).replace("-", "−")


# A change in NPS points is shown the same way: signed, whole.
register.filter("points", nps)


@register.filter
def margin(value):
    return "—" if value in (None, "") else f"±{round_half_away(value)}"


def _tenths(value) -> str:
    return number_format(abs(round_half_away(value * 10)) / 10, 1)


@register.filter
def points_tenths(value):
    """NPS points to one decimal, signed (a theme's NPS impact: often a few points, where whole
    points would show a margin of ±0)."""
    if value in (None, ""):
        return "—"
    shown = round_half_away(value * 10)
    return f"+{_tenths(value)}" if shown > 0 else f"−{_tenths(value)}" if shown < 0 else _tenths(0)


@register.filter
def margin_tenths(value):
    return "—" if value in (None, "") else f"±{_tenths(value)}"


@register.filter
def percent(value):
    return "—" if value in (None, "") else f"{round_half_away(value * 100)} %"


@register.filter
def progress_to(value, target):
    """How far an NPS is along the way from −100 to the target, in percent (for a progress bar)."""
    if value in (None, "") or target in (None, ""):
        return 0
    span = target + 100
    return max(0, min(100, round((value + 100) * 100 / span))) if span > 0 else 100


@register.filter
def duration(value):
    """A timedelta as a short human duration: 3 h, 2.5 d."""
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 0:
        return "—"
    if hours < 48:
        # Translators: a short duration in hours, e.g. "3 h".
        return _("%(hours)s h") % {"hours": number_format(hours, 0)}
    # Translators: a short duration in days, e.g. "2.5 d".
    return _("%(days)s d") % {"days": number_format(hours / 24, 1)}


@register.filter
def next_sort(current, column):
    """The sort a column header links to: ascending first, then descending."""
    return f"-{column}" if current == column else column


@register.simple_tag
def score_points(history, width=240, height=60, pad=6):
    """SVG polyline points for scores 0–10 over time (evenly spaced), for a small line chart."""
    if not history:
        return ""
    step = (width - 2 * pad) / max(len(history) - 1, 1)
    return " ".join(
        f"{pad + i * step:.1f},{pad + (10 - r.score) * (height - 2 * pad) / 10:.1f}" for i, r in enumerate(history)
    )


@register.filter
def score_y(score, height=60):
    pad = 6
    return f"{pad + (10 - score) * (height - 2 * pad) / 10:.1f}"


@register.filter
def score_x(index, history):
    """x of the index-th (1-based) point of `history`, matching score_points."""
    width, pad = 240, 6
    step = (width - 2 * pad) / max(len(history) - 1, 1)
    return f"{pad + (index - 1) * step:.1f}"


@register.filter
def any_too_few(rows) -> bool:
    return any(row["result"].too_few for row in rows)


@register.filter
def rounded(value):
    """A number rounded for display (half away from zero), or None."""
    return None if value in (None, "") else round_half_away(value)


@register.filter
def health_name(value):
    """An account's health label in the reader's language ("—" without one)."""
    return Health(value).label if value in Health.values else "—"


@register.filter
def money(value, currency=""):
    """An amount of whole currency units with thousands separators: 50.000 EUR."""
    if value in (None, ""):
        return "—"
    shown = number_format(round(value), 0, force_grouping=True)
    return f"{shown} {currency}".strip()
