"""A usage report (``proxy.admin.management.usage_report``) as CSV or an SVG chart.

CSV lists the time series when the report has one (``bucket``), else the
groups.  Cells a spreadsheet would run as a formula (a client-chosen actor
such as ``=HYPERLINK(...)``) are prefixed with a quote (OWASP "CSV
Injection").
"""
import csv
import io
from datetime import datetime, timezone

from flask import Response

from proxy.dashboard import chart
from proxy.telemetry.usage_store import TOKEN_FIELDS

FORMATS = ("json", "csv", "svg")
METRICS = chart.METRICS
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(report):
    columns = ["key", "label", "requests", "errors", *TOKEN_FIELDS]
    rows = report["rows"]
    if report.get("series") is not None:
        columns, rows = ["ts", "iso", *columns], report["series"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _day(epoch):
    return datetime.fromtimestamp(min(epoch, 253402214400), timezone.utc).strftime("%Y%m%d")


def render(report, fmt, metric="tokens"):
    """The Response for ``format=csv``, or ``format=svg`` (the report must
    have a ``series``; ``metric``, one of ``METRICS``, is what bars stack)."""
    if fmt == "csv":
        name = f"switchyard-usage-{_day(report['from'])}-{_day(report['to'])}.csv"
        return Response(to_csv(report), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return Response(chart.render(report, metric), content_type="image/svg+xml; charset=utf-8")
