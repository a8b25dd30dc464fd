"""The rate-limit windows each credential's provider reported last.

The relay hands every upstream response's headers to ``note`` -- a dict
store of a reference, nothing parsed on the request path -- and with a 429
its error body too (``refusal``); ``report`` parses them
(``proxy.routing.ratelimit_headers.windows``) when the dashboard,
``/v0/management/pool`` or ``/v0/pool`` asks.  A refusal adds the quota
signals subscription accounts get in the body: Codex's
``usage_limit_reached`` (``resets_in_seconds`` / ``resets_at``) as window
``usage_limit``, Google's RetryInfo as window ``retry``.  Per worker and in
memory: what this worker saw last, one entry per credential id it has called.
"""
import time
from datetime import datetime, timezone

import orjson

from proxy.routing import ratelimit_headers
from proxy.routing.cooldown import google_retry_delay

_latest = {}         # credential id -> (wall-clock time seen, response headers, 429 body)


def note(cred_id, headers, wall=time.time, refusal=None):
    _latest[cred_id] = (wall(), headers, refusal)


def _iso(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def report(cred_id):
    """``{"seen_at", "seen_at_iso", "windows": {limit name: {...}}}``, or None
    when the provider reported no window on its latest response."""
    seen = _latest.get(cred_id)
    if seen is None:
        return None
    seen_at, headers, refusal = seen
    windows = ratelimit_headers.windows(headers, seen_at)
    if refusal is not None:
        windows.update(refusal_windows(refusal, seen_at))
    if not windows:
        return None
    for window in windows.values():
        window["resets_at_iso"] = _iso(window["resets_at"]) if window["resets_at"] else None
    return {"seen_at": seen_at, "seen_at_iso": _iso(seen_at), "windows": windows}



def refusal_windows(body, seen_at):
    """Quota windows a 429's body names (see the module docstring)."""
    found = {}
    try:
        data = orjson.loads(body)
    except (orjson.JSONDecodeError, TypeError):
        return found
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and "usage_limit_reached" in (error.get("type"), error.get("code")):
        resets = error.get("resets_at")
        if isinstance(error.get("resets_in_seconds"), (int, float)):
            resets = seen_at + error["resets_in_seconds"]
        found["usage_limit"] = {"status": "rejected", "plan_type": error.get("plan_type"),
                                "resets_at": resets if isinstance(resets, (int, float)) else None}
    delay = google_retry_delay(data)
    if delay is not None:
        found["retry"] = {"status": "rejected", "resets_at": seen_at + delay}
    return found
