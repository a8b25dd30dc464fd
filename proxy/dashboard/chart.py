"""A stacked bar chart of a usage time series, rendered as SVG on the server.

Server-side SVG rather than a vendored JavaScript library: the gateway
already has every number, the chart is one stacked-bar shape, and ~150
lines of Python that unit tests can read back beat shipping and updating a
third-party bundle.  Text and axes use ``currentColor`` so the page's
light/dark theme applies when the SVG is inlined; each bar segment carries
its numbers (``data-*`` and a ``<title>`` tooltip) for people and tests.

Pure: series rows in, markup out (labels are escaped here, they can come
from clients via ``X-Switchyard-Actor``).
"""
from datetime import datetime, timezone
from xml.sax.saxutils import escape, quoteattr

from proxy.telemetry.usage_store import TOKEN_FIELDS

METRICS = ("tokens", "requests", "errors", *TOKEN_FIELDS)
MAX_GROUPS = 6            # more groups than this are summed into "other"
MAX_BARS = 1000           # a longer range is cut to its latest buckets
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#9c755f")
WIDTH, HEIGHT = 900, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 40, 28


def metric_value(row, metric):
    """``tokens`` is input plus output; every other metric is a row field."""
    if metric == "tokens":
        return row["input_tokens"] + row["output_tokens"]
    return row[metric]


def _nice_ceiling(value):
    """The smallest 1/2/5 x 10^n at or above ``value`` (axis maximum)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _short(value):
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


def _buckets(series, seconds, since, until):
    """Every bucket start of the report's range (empty ones included; an
    open start begins at the first bucket with data)."""
    starts = [row["ts"] for row in series]
    first = min(min(starts), since // seconds * seconds) if since else min(starts)
    last = max(max(starts), (until - 1e-6) // seconds * seconds)
    count = min(int((last - first) // seconds) + 1, MAX_BARS)
    first = last - (count - 1) * seconds
    return [int(first + i * seconds) for i in range(count)]


def _stacks(series, metric):
    """(groups in legend order, {(bucket, group): value}); small groups -> other."""
    per_group = {}
    for row in series:
        per_group[row["key"]] = per_group.get(row["key"], 0) + metric_value(row, metric)
    ranked = sorted((k for k in per_group if per_group[k]), key=lambda k: (-per_group[k], str(k)))
    kept = set(ranked[:MAX_GROUPS])
    labels = {row["key"]: row.get("label") or str(row["key"]) for row in series}
    values, groups = {}, [(k, labels[k]) for k in ranked[:MAX_GROUPS]]
    for row in series:
        key = row["key"] if row["key"] in kept else "\0other"
        cell = (row["ts"], key)
        values[cell] = values.get(cell, 0) + metric_value(row, metric)
    if len(ranked) > MAX_GROUPS:
        groups.append(("\0other", "other"))
    return groups, values


def _axis_label(ts, seconds):
    moment = datetime.fromtimestamp(ts, timezone.utc)
    return moment.strftime("%m-%d %H:00" if seconds < 86400 else "%Y-%m-%d")


def render(report, metric="tokens"):
    """SVG markup for a ``usage_report`` that has a ``series`` (``bucket``)."""
    seconds = {"hour": 3600, "day": 86400}[report["bucket"]]
    series = report["series"]
    title = f"{metric} per {report['bucket']} by {report['group_by']}"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="usage-chart" role="img" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" data-metric="{metric}" '
            f'data-bucket="{report["bucket"]}"><title>{escape(title)}</title>')
    if not series:
        return (head + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" '
                'fill="currentColor" class="empty">No usage in this range</text></svg>')
    buckets = _buckets(series, seconds, report["from"], report["to"])
    groups, values = _stacks(series, metric)
    totals = [sum(values.get((b, k), 0) for k, _ in groups) for b in buckets]
    top = _nice_ceiling(max(totals))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(buckets)
    parts = [head, _legend(groups), _grid(top, plot_w, plot_h)]
    for i, (bucket, total) in enumerate(zip(buckets, totals)):
        x, y = LEFT + i * slot + slot * 0.1, TOP + plot_h
        when = _axis_label(bucket, seconds)
        parts.append(f'<g class="bucket" data-ts="{bucket}" data-total="{total}">')
        for color, (key, label) in zip(_colors(), groups):
            value = values.get((bucket, key), 0)
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" '
                         f'height="{h:.1f}" fill="{color}" data-group={quoteattr(label)} '
                         f'data-value="{value}"><title>{escape(label)} {when}: {value} '
                         f'{metric}</title></rect>')
        parts.append("</g>")
    parts.append(_x_labels(buckets, seconds, slot, plot_h))
    parts.append("</svg>")
    return "".join(parts)


def _colors():
    return PALETTE[:MAX_GROUPS] + ("#999999",)


def _legend(groups):
    items, x = [], LEFT
    for color, (_, label) in zip(_colors(), groups):
        text = label if len(label) <= 24 else label[:23] + "…"
        items.append(f'<rect x="{x}" y="12" width="10" height="10" fill="{color}"/>'
                     f'<text x="{x + 14}" y="21" font-size="12" fill="currentColor" '
                     f'class="legend">{escape(text)}</text>')
        x += 24 + 7 * len(text)
    return "".join(items)


def _grid(top, plot_w, plot_h):
    lines = []
    for step in range(5):
        value = top * step / 4
        y = TOP + plot_h - plot_h * step / 4
        lines.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="currentColor" stroke-opacity="0.15"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
                     f'fill="currentColor" class="y-label">{_short(value)}</text>')
    return "".join(lines)


def _x_labels(buckets, seconds, slot, plot_h):
    every = max(1, len(buckets) // 8)
    return "".join(
        f'<text x="{LEFT + i * slot + slot / 2:.1f}" y="{TOP + plot_h + 18}" font-size="11" '
        f'text-anchor="middle" fill="currentColor">{_axis_label(b, seconds)}</text>'
        for i, b in enumerate(buckets) if i % every == 0)
