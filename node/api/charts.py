"""Charts as server-rendered SVG: readable without JavaScript, and always beside a table.

A chart is decoration for sighted readers; the figures themselves are in the table the
template puts next to it, so the SVG is `aria-hidden` except for its title. Hidden (suppressed)
values are drawn as an empty, dashed bar labelled with `hidden_label`.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_HEIGHT = 24
GAP = 8
LABEL_WIDTH = 180
CHART_WIDTH = 560
VALUE_WIDTH = 70


def bar_chart(
    rows: Sequence[tuple[str, float | None]],
    title: str,
    hidden_label: str = "hidden",
    value_format: str = "{:g}",
) -> Markup:
    """A horizontal bar chart: one bar per (label, value); None is a hidden value."""
    values = [v for _, v in rows if v is not None]
    largest = max(values, default=0) or 1
    bar_room = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        text_y = y + BAR_HEIGHT * 0.7
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="0" y="{text_y:.1f}" class="chart-label">{escape(short)}</text>')
        if value is None:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar_room}" height="{BAR_HEIGHT}" '
                'class="chart-bar-hidden" fill="none" stroke="currentColor" '
                'stroke-dasharray="4 4"/>'
            )
            shown = escape(hidden_label)
        else:
            width = max(bar_room * value / largest, 1 if value else 0)
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
                'class="chart-bar"/>'
            )
            shown = escape(value_format.format(value))
        parts.append(
            f'<text x="{CHART_WIDTH - VALUE_WIDTH + 6}" y="{text_y:.1f}" '
            f'class="chart-value">{shown}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
