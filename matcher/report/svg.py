"""Inline SVG bar charts for report.html (no scripts, no external loads).

Every label and value is HTML-escaped; a value that is also in result.json carries its
``data-key`` path so a browser test can compare the drawn figure with the JSON.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT_PX = 13
ROW_PX = 22
BAR_PX = 14
PALETTE = ("#2f6db5", "#e39b2d", "#4c9a5b", "#b5483f", "#7a5ba6")


@dataclass(frozen=True)
class Series:
    """One bar per category: its name, colour and (value, data-key or "") per category."""

    name: str
    values: Sequence[tuple[int, str]]
    colour: str = PALETTE[0]


def text_px(text: str) -> int:
    """Estimate the width of `text` in pixels at `FONT_PX` (wide/ambiguous characters full)."""
    return round(
        sum(FONT_PX if unicodedata.east_asian_width(c) in "WFA" else FONT_PX * 0.6 for c in text)
    )


def _attr(key: str) -> str:
    return f' data-key="{escape(key)}"' if key else ""


def bar_chart(
    title: str, categories: Sequence[str], series: Sequence[Series], *, width: int = 640
) -> str:
    """Draw a horizontal grouped bar chart as an ``<svg>`` (legend when >1 series)."""
    label_px = min(max((text_px(c) for c in categories), default=40) + 20, 300)
    value_px = 56
    plot_px = max(width - label_px - value_px, 120)
    group_px = ROW_PX * len(series) + 8
    legend_px = 24 if len(series) > 1 else 0
    height = legend_px + group_px * max(len(categories), 1) + 8
    top = max((v for s in series for v, _ in s.values), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart"><title>{escape(title)}</title>'
    ]
    if len(series) > 1:
        x = label_px
        for s in series:
            parts.append(
                f'<rect x="{x}" y="4" width="12" height="12" fill="{s.colour}"/>'
                f'<text x="{x + 16}" y="15" class="legend">{escape(s.name)}</text>'
            )
            x += 16 + text_px(s.name) + 24
    for i, category in enumerate(categories):
        y0 = legend_px + i * group_px + 4
        middle = y0 + (ROW_PX * len(series)) / 2
        parts.append(
            f'<text x="{label_px - 8}" y="{middle + 4:.0f}" text-anchor="end" class="label">'
            f"{escape(category)}</text>"
        )
        for k, s in enumerate(series):
            value, key = s.values[i]
            y = y0 + k * ROW_PX
            length = round(plot_px * value / top) if value > 0 else 0
            parts.append(
                f'<rect x="{label_px}" y="{y + 3}" width="{length}" height="{BAR_PX}" '
                f'fill="{s.colour}"><title>{escape(category)} {escape(s.name)}：{value}'
                "</title></rect>"
                f'<text x="{label_px + length + 6}" y="{y + 15}" class="value"{_attr(key)}>'
                f"{value}</text>"
            )
    parts.append(
        f'<line x1="{label_px}" y1="{legend_px}" x2="{label_px}" y2="{height - 4}" stroke="#999"/>'
        "</svg>"
    )
    return "".join(parts)


def fill_chart(
    title: str,
    rows: Sequence[tuple[str, int, int, str, str]],
    *,
    limit_name: str = "名额",
    fill_name: str = "录取",
    width: int = 640,
) -> str:
    """Draw how full each category is: a light bar for the limit, a solid bar for the fill.

    `rows` are (category, limit, filled, data-key of limit, data-key of filled). A fill
    above its limit is drawn in red. The value text reads ``filled / limit``.
    """
    label_px = min(max((text_px(r[0]) for r in rows), default=40) + 20, 300)
    plot_px = max(width - label_px - 80, 120)
    legend_px = 24
    height = legend_px + ROW_PX * max(len(rows), 1) + 8
    top = max((max(r[1], r[2]) for r in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart"><title>{escape(title)}</title>'
        f'<rect x="{label_px}" y="4" width="12" height="12" fill="#dbe4ef" stroke="#8aa4c8"/>'
        f'<text x="{label_px + 16}" y="15" class="legend">{escape(limit_name)}</text>'
        f'<rect x="{label_px + 40 + text_px(limit_name)}" y="4" width="12" height="12" '
        f'fill="{PALETTE[0]}"/><text x="{label_px + 56 + text_px(limit_name)}" y="15" '
        f'class="legend">{escape(fill_name)}</text>'
    ]
    for i, (category, limit, filled, limit_key, fill_key) in enumerate(rows):
        y = legend_px + i * ROW_PX
        limit_len = round(plot_px * limit / top) if limit > 0 else 0
        fill_len = round(plot_px * filled / top) if filled > 0 else 0
        colour = PALETTE[3] if filled > limit else PALETTE[0]
        parts.append(
            f'<text x="{label_px - 8}" y="{y + 15}" text-anchor="end" class="label">'
            f"{escape(category)}</text>"
            f'<rect x="{label_px}" y="{y + 2}" width="{limit_len}" height="{BAR_PX + 2}" '
            f'fill="#dbe4ef" stroke="#8aa4c8"/>'
            f'<rect x="{label_px}" y="{y + 5}" width="{fill_len}" height="{BAR_PX - 4}" '
            f'fill="{colour}"><title>{escape(category)}：{escape(fill_name)}{filled}，'
            f"{escape(limit_name)}{limit}</title></rect>"
            f'<text x="{label_px + max(limit_len, fill_len) + 6}" y="{y + 15}" class="value">'
            f"<tspan{_attr(fill_key)}>{filled}</tspan> / <tspan{_attr(limit_key)}>{limit}</tspan>"
            "</text>"
        )
    parts.append(
        f'<line x1="{label_px}" y1="{legend_px}" x2="{label_px}" y2="{height - 4}" stroke="#999"/>'
        "</svg>"
    )
    return "".join(parts)
