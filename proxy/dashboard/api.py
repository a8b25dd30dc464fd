"""The JSON (and SSE) routes the dashboard adds to ``/v0/management``.

``GET /v0/management/config``          effective config, secrets masked, pending keys
``GET /v0/management/requests``        the last requests this worker finished
``GET /v0/management/requests/live``   the same as Server-Sent Events, live

Guarded exactly as the rest of the management API (key or login cookie,
loopback unless ``allow-remote``).
"""
import time
from datetime import datetime, timezone

import orjson
from flask import Blueprint, Response, current_app, request

from proxy import config as config_mod
from proxy.telemetry import live_feed
from proxy.admin import management
from proxy import runtime
from proxy.dashboard import config_view
from proxy.telemetry.usage_store import TOKEN_FIELDS

BACKLOG = 100                # requests sent when a live view opens
KEEPALIVE_SECONDS = 15.0     # SSE comment while nothing happens (proxies drop idle streams)
STREAM_SECONDS = 300.0       # a live stream then ends; EventSource reconnects with
                             # Last-Event-ID, so a worker's graceful stop never waits on it
_FIELDS = ("request_id", "ts", "client_key_id", "actor", "dialect", "action", "provider",
           "credential_id", "model", "upstream_model", "stream", "status", "error_class",
           "latency_ms", "ttft_ms", "attempts", *TOKEN_FIELDS)


def _iso(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")


class _Names:
    """Readable names of client keys and credentials, looked up once per answer."""

    def __init__(self):
        current = runtime.current()
        self.clients = {k.key_id: k.label for k in current.client_keys if k.label}
        self.credentials = {c.id: c.label or f"{c.kind} {c.key_hint}"
                            for c in current.pool.credentials}

    def request_view(self, seq, record):
        view = {name: record.get(name) for name in _FIELDS}
        key_id, cred_id = record.get("client_key_id"), record.get("credential_id")
        view.update(seq=seq, iso=_iso(record["ts"]),
                    client=self.clients.get(key_id) or key_id or "",
                    credential=self.credentials.get(cred_id) or cred_id or "")
        return view


def _int_arg(value, default, upper):
    try:
        return max(0, min(int(value), upper))
    except (TypeError, ValueError):
        return default


def create_blueprint():
    bp = Blueprint("dashboard_api", __name__, url_prefix="/v0/management")
    bp.register_error_handler(management.ApiError, management.error_response)
    booted = runtime.current().config        # what restart-only keys are running with

    @bp.before_request
    def _guard():
        management.authorize_management(runtime.current().config,
                                        current_app.extensions["switchyard.lockout"])

    @bp.get("/config")
    def effective_config():
        running = runtime.current().config
        changes, error = config_view.pending(running, booted, config_mod.config_path())
        return {"config": config_view.masked(running), "restart_keys": config_mod.RESTART_KEYS,
                "pending": changes, "file_error": error}

    @bp.get("/requests")
    def recent_requests():
        limit = _int_arg(request.args.get("limit"), BACKLOG, live_feed.SIZE)
        names = _Names()
        return {"requests": [names.request_view(seq, record)
                             for seq, record in live_feed.current().since(0, limit)]}

    @bp.get("/requests/live")
    def live_requests():
        after = _int_arg(request.headers.get("Last-Event-ID"), 0, 2 ** 62)
        backlog = _int_arg(request.args.get("backlog"), BACKLOG, live_feed.SIZE)
        return Response(_events(live_feed.current(), after, backlog),
                        content_type="text/event-stream",
                        # one connection per stream: once it ends, nothing idle
                        # is left to hold a worker's graceful stop
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no",
                                 "Connection": "close"})

    return bp


def _events(feed, after, backlog):
    """SSE frames: the backlog (or what followed ``after``), then each new
    request as it finishes, until ``STREAM_SECONDS`` have passed or the
    worker stops."""
    yield b"retry: 2000\n\n"
    batch = feed.since(after, backlog if not after else live_feed.SIZE)
    seq, deadline = after, time.monotonic() + STREAM_SECONDS
    while True:
        if batch:
            names = _Names()
            for seq, record in batch:
                data = orjson.dumps(names.request_view(seq, record))
                yield b"id: %d\nevent: request\ndata: %s\n\n" % (seq, data)
        else:
            yield b": keep-alive\n\n"
        left = deadline - time.monotonic()
        if left <= 0 or feed.closed:
            return
        batch = feed.wait(seq, min(KEEPALIVE_SECONDS, left))
