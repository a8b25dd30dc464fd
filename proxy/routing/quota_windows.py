"""The rate-limit windows each credential's provider reported last.

The relay hands every upstream response's headers to ``note`` -- a dict
store of a reference, nothing parsed on the request path; ``report``
parses them (``proxy.routing.ratelimit_headers.windows``) when the dashboard or
``/v0/management/pool`` asks.  Per worker and in memory: what this worker
saw last, one entry per credential id it has called.
"""
import time
from datetime import datetime, timezone

from proxy.routing import ratelimit_headers

_latest = {}         # credential id -> (wall-clock time seen, response headers)


def note(cred_id, headers, wall=time.time):
    _latest[cred_id] = (wall(), headers)


def _iso(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def report(cred_id):
    """``{"seen_at", "seen_at_iso", "windows": {limit name: {...}}}``, or None
    when the provider reported no window on its latest response."""
    seen = _latest.get(cred_id)
    if seen is None:
        return None
    seen_at, headers = seen
    windows = ratelimit_headers.windows(headers, seen_at)
    if not windows:
        return None
    for window in windows.values():
        window["resets_at_iso"] = _iso(window["resets_at"]) if window["resets_at"] else None
    return {"seen_at": seen_at, "seen_at_iso": _iso(seen_at), "windows": windows}

