"""Small inline-SVG charts: horizontal bars, grouped bars, stacked bars, bars with a threshold.

Hand-written because the page must open offline with no script: a few rectangles and labels
are all a reviewer needs, and SVG scales and prints cleanly.
"""

from __future__ import annotations

import html

PALETTE = ["#0969da", "#8250df", "#bf8700", "#cf222e", "#57606a", "#1a7f37", "#e16f24"]
WIDTH = 520
LABEL_W = 190
ROW_H = 20


def _num(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def _frame(title: str, height: int, body: str, legend: str = "") -> str:
    return (
        f"<figure><svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
        f"role='img' aria-label='{html.escape(title)}' font-size='11'>{body}</svg>"
        f"<figcaption>{html.escape(title)}{legend}</figcaption></figure>"
    )


def _legend(names: list[str]) -> str:
    items = "".join(
        f"<span style='margin-right:.8rem'><span style='display:inline-block;width:10px;"
        f"height:10px;background:{PALETTE[i % len(PALETTE)]}'></span> {html.escape(n)}</span>"
        for i, n in enumerate(names)
    )
    return f"<div class='muted' style='font-size:.8rem'>{items}</div>"


def bars(items: list[tuple[str, float]], title: str) -> str:
    """One horizontal bar per (label, value)."""
    if not items:
        return _frame(title, 24, "<text x='0' y='16'>nothing to show</text>")
    top = max(v for _, v in items) or 1
    span = WIDTH - LABEL_W - 70
    parts = []
    for i, (label, value) in enumerate(items):
        y = i * ROW_H
        w = max(1, span * value / top) if value else 0
        parts.append(
            f"<text x='{LABEL_W - 6}' y='{y + 14}' text-anchor='end'>{html.escape(label)}</text>"
            f"<rect x='{LABEL_W}' y='{y + 3}' width='{w:.1f}' height='{ROW_H - 6}' "
            f"fill='{PALETTE[0]}'/>"
            f"<text x='{LABEL_W + w + 4:.1f}' y='{y + 14}'>{_num(value)}</text>"
        )
    return _frame(title, len(items) * ROW_H + 4, "".join(parts))


def grouped_bars(groups: list[tuple[str, list[tuple[str, float]]]], title: str) -> str:
    """For each group, one bar per series, coloured by series."""
    if not groups:
        return bars([], title)
    series = [name for name, _ in groups[0][1]]
    top = max((abs(v) for _, values in groups for _, v in values), default=1) or 1
    span = WIDTH - LABEL_W - 90
    parts = []
    y = 0
    for label, values in groups:
        parts.append(
            f"<text x='{LABEL_W - 6}' y='{y + 14}' text-anchor='end'>{html.escape(label)}</text>"
        )
        for j, (_, value) in enumerate(values):
            w = max(1, span * abs(value) / top) if value else 0
            parts.append(
                f"<rect x='{LABEL_W}' y='{y + 3}' width='{w:.1f}' height='{ROW_H - 8}' "
                f"fill='{PALETTE[j % len(PALETTE)]}'/>"
                f"<text x='{LABEL_W + w + 4:.1f}' y='{y + 13}'>{_num(value)}</text>"
            )
            y += ROW_H - 4
        y += 8
    return _frame(title, y + 4, "".join(parts), _legend(series))


def stacked_bars(rows: list[tuple[str, list[tuple[str, float]]]], title: str) -> str:
    """One bar per row, split into its parts (all bars scaled to the largest total)."""
    if not rows:
        return bars([], title)
    series = [name for name, _ in rows[0][1]]
    top = max(sum(v for _, v in parts) for _, parts in rows) or 1
    span = WIDTH - LABEL_W - 70
    out = []
    for i, (label, parts) in enumerate(rows):
        y = i * ROW_H
        x = float(LABEL_W)
        out.append(
            f"<text x='{LABEL_W - 6}' y='{y + 14}' text-anchor='end'>{html.escape(label)}</text>"
        )
        for j, (_, value) in enumerate(parts):
            w = span * value / top if value > 0 else 0
            if w:
                out.append(
                    f"<rect x='{x:.1f}' y='{y + 3}' width='{w:.1f}' height='{ROW_H - 6}' "
                    f"fill='{PALETTE[j % len(PALETTE)]}'/>"
                )
            x += w
        total = sum(v for _, v in parts)
        out.append(f"<text x='{x + 4:.1f}' y='{y + 14}'>{_num(total)}</text>")
    return _frame(title, len(rows) * ROW_H + 4, "".join(out), _legend(series))


def threshold_bars(items: list[tuple[str, float, float | None]], title: str) -> str:
    """One bar per (label, rate 0-1), with its threshold drawn as a red tick."""
    if not items:
        return bars([], title)
    top = max([0.1, *[v for _, v, _ in items], *[t or 0 for _, _, t in items]])
    span = WIDTH - LABEL_W - 70
    parts = []
    for i, (label, value, threshold) in enumerate(items):
        y = i * ROW_H
        w = span * value / top
        colour = "#1a7f37" if threshold is None or value <= threshold else "#cf222e"
        parts.append(
            f"<text x='{LABEL_W - 6}' y='{y + 14}' text-anchor='end'>{html.escape(label)}</text>"
            f"<rect x='{LABEL_W}' y='{y + 3}' width='{max(w, 1):.1f}' height='{ROW_H - 6}' "
            f"fill='{colour}'/>"
            f"<text x='{LABEL_W + max(w, 1) + 4:.1f}' y='{y + 14}'>{value:.2%}</text>"
        )
        if threshold is not None:
            tx = LABEL_W + span * threshold / top
            parts.append(
                f"<line x1='{tx:.1f}' x2='{tx:.1f}' y1='{y + 1}' y2='{y + ROW_H - 1}' "
                "stroke='#cf222e' stroke-width='2'/>"
            )
    return _frame(title, len(items) * ROW_H + 4, "".join(parts))
