"""Charts drawn on the server as SVG, for the board report (no browser, no JavaScript): plain
functions from the report's figures to SVG markup that WeasyPrint draws as vectors.

Every label is escaped; the markup is safe to put into a template as it is."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from scoring.nps import round_half_away

PROMOTER, PASSIVE, DETRACTOR = "#1a7f4b", "#c9a227", "#c0392b"
INK, GRID, BAND, LINE = "#212529", "#d9dde1", "#cfe2f3", "#0b5394"
FONT = 'font-family="DejaVu Sans, sans-serif"'


def _svg(width: int, height: int, body: list[str], label: str) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}">' + "".join(body) + "</svg>"
    )


def _text(x, y, text, *, size=9, anchor="start", fill=INK, weight="normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
        f'font-weight="{weight}" {FONT}>{escape(text)}</text>'
    )


def _signed(value) -> str:
    shown = round_half_away(value)
    return f"+{shown}" if shown > 0 else str(shown).replace("-", "−")


def _scale(values: list[float], *, floor=-100.0, ceiling=100.0, step=20) -> tuple[float, float]:
    """A y range around `values` on multiples of `step`, within −100…100, at least 40 points high."""
    if not values:
        return -20.0, 60.0
    low = max(floor, (min(values) // step) * step)
    high = min(ceiling, -((-max(values)) // step) * step)
    while high - low < 40:
        low, high = max(floor, low - step), min(ceiling, high + step)
        if low == floor and high == ceiling:
            break
    return low, high


def trend_chart(points: list[dict], *, label: str, target: int | None = None, width=640, height=220) -> SafeString:
    """NPS over time: a line through each point's NPS, its 95 % margin as a band, hollow points
    where too few answered, the target as a dashed line. `points`: {label, nps, margin, too_few}."""
    scored = [p for p in points if p["nps"] is not None]
    left, right, top, bottom = 34, 8, 8, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    body: list[str] = []
    values = [p["nps"] + s * (p["margin"] or 0) for p in scored for s in (-1, 1)]
    if target is not None:
        values.append(target)
    low, high = _scale(values)

    def y(value):
        return top + (high - value) * plot_h / (high - low)

    def x(index):
        return left + (index * plot_w / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    tick = low
    while tick <= high:
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 4, y(tick) + 3, _signed(tick) if tick else "0", size=8, anchor="end"))
        tick += 20
    if not scored:
        return _svg(width, height, body, label)
    indexed = [(i, p) for i, p in enumerate(points) if p["nps"] is not None]
    upper = [f"{x(i):.1f},{y(min(high, p['nps'] + (p['margin'] or 0))):.1f}" for i, p in indexed]
    lower = [f"{x(i):.1f},{y(max(low, p['nps'] - (p['margin'] or 0))):.1f}" for i, p in reversed(indexed)]
    body.append(f'<polygon points="{" ".join(upper + lower)}" fill="{BAND}" stroke="none"/>')
    if target is not None:
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
            f'stroke="{DETRACTOR}" stroke-dasharray="4 3"/>'
        )
    line = " ".join(f"{x(i):.1f},{y(p['nps']):.1f}" for i, p in indexed)
    body.append(f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="1.8"/>')
    for i, p in indexed:
        fill = "#fff" if p["too_few"] else LINE
        body.append(f'<circle cx="{x(i):.1f}" cy="{y(p["nps"]):.1f}" r="2.6" fill="{fill}" stroke="{LINE}"/>')
    every = max(1, -(-len(points) // 8))  # at most about 8 labels along the bottom
    for i, p in enumerate(points):
        if i % every == 0 or i == len(points) - 1:
            body.append(_text(x(i), height - 6, p["label"], size=7.5, anchor="middle"))
    return _svg(width, height, body, label)


def bar_chart(rows: list[dict], *, label: str, width=640, row_height=17) -> SafeString:
    """NPS per group as bars from zero (right: positive, left: negative), with n beside each.
    `rows`: {label, nps, n, too_few}; rows without an NPS are listed without a bar."""
    name_w, value_w = 190, 110
    height = max(len(rows), 1) * row_height + 6
    plot_left, plot_w = name_w, width - name_w - value_w
    zero = plot_left + plot_w / 2
    body = [f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="0" y2="{height}" stroke="{GRID}"/>']
    for index, row in enumerate(rows):
        top = 3 + index * row_height
        name = str(row["label"])
        body.append(_text(0, top + row_height * 0.7, name if len(name) <= 26 else name[:25] + "…", size=8.5))
        if row["nps"] is not None:
            length = abs(row["nps"]) * (plot_w / 2) / 100
            start = zero if row["nps"] >= 0 else zero - length
            colour = PROMOTER if row["nps"] >= 0 else DETRACTOR
            opacity = ' fill-opacity="0.45"' if row["too_few"] else ""
            body.append(
                f'<rect x="{start:.1f}" y="{top + 2}" width="{max(length, 0.8):.1f}" height="{row_height - 5}" '
                f'fill="{colour}"{opacity}/>'
            )
        shown = "—" if row["nps"] is None else _signed(row["nps"])
        body.append(_text(width - value_w + 6, top + row_height * 0.7, f"{shown}  (n = {row['n']})", size=8.5))
    return _svg(width, height, body, label)


def distribution_chart(counts: list[int], *, label: str, width=640, height=130) -> SafeString:
    """How many answers gave each score 0–10, coloured by category."""
    top, bottom = 6, 16
    plot_h = height - top - bottom
    peak = max(counts) or 1
    slot = width / 11
    body = []
    for score, count in enumerate(counts):
        colour = PROMOTER if score >= 9 else PASSIVE if score >= 7 else DETRACTOR
        bar = count * plot_h / peak
        body.append(
            f'<rect x="{score * slot + 3:.1f}" y="{top + plot_h - bar:.1f}" width="{slot - 6:.1f}" '
            f'height="{max(bar, 0.5):.1f}" fill="{colour}"/>'
        )
        body.append(_text(score * slot + slot / 2, height - 4, str(score), size=8, anchor="middle"))
    return _svg(width, height, body, label)
