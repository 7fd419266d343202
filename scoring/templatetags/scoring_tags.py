from django import template

from scoring.nps import round_half_away

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
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} d"
