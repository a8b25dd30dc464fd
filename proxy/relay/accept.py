"""Keep-alives from the moment a stream is accepted.

A streamed answer is normally held back until the upstream's first event,
so failures before it can still fail over with a proper status.  But an
upstream may think for minutes before that event (or every credential may
be failing over slowly), and clients and load balancers drop a connection
that stays silent.  ``accept`` waits ``keepalive-seconds`` for the answer
to begin; if it has not by then, it commits 200 with SSE headers and sends
the dialect's keep-alive (an SSE comment; Anthropic's ``event: ping``)
every ``keepalive-seconds`` while the attempt loop goes on in its own green
thread.  Fast answers and fast failures are unchanged (no bytes sent
early); a failure after the commit arrives as the dialect's stream error
event.
"""
import logging

import gevent
import orjson

import translators
from proxy.relay import draining
from proxy.wire import sse
from proxy.errors import ClientError, ShuttingDown
from proxy.relay.reply import Reply
from proxy.relay.streaming import STREAM_HEADERS, keepalive_bytes

log = logging.getLogger("switchyard.accept")


def accept(produce, interval, front):
    """The Reply of ``produce()`` (run in a green thread) if it is ready
    within ``interval`` seconds, else a 200 stream that keeps the client
    alive until it is and then relays it."""
    worker = gevent.spawn(_outcome, produce)
    try:
        worker.join(timeout=interval)
    except BaseException:          # the client hung up (proxy.http.disconnect)
        worker.kill()
        raise
    if worker.ready():
        return _reply(worker)       # its reply, or its exception re-raised here
    return Reply(200, list(STREAM_HEADERS), _held(worker, interval, front),
                 content_type="text/event-stream")


def _held(worker, interval, front):
    tick = keepalive_bytes(front.dialect)
    tracked = draining.track()
    try:
        try:
            yield tick
            while not worker.ready():
                worker.join(timeout=interval)
                if not worker.ready():
                    yield tick
            reply = _result(worker, front)
        except ShuttingDown:
            reply = _event(front, "The gateway is shutting down; retry the request.")
        finally:
            draining.untrack(tracked)
        if isinstance(reply, bytes):
            yield reply
        elif reply.streamed:
            yield from reply.body       # closing this closes the relay's stream too
        else:
            yield _error_event(front, reply.body)
    finally:
        worker.kill()                   # the client left: cancel the attempt loop


def _outcome(produce):
    """``produce()``'s reply, or the exception it raised (returned, not
    raised: the hub would print a raised one as an unhandled error)."""
    try:
        return produce()
    except Exception as exc:         # noqa: BLE001 -- handed to the request's green thread
        return exc


def _reply(worker):
    outcome = worker.get()
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _result(worker, front):
    """The worker's Reply, or the error event its failure becomes."""
    try:
        return _reply(worker)
    except ClientError as exc:
        return _event(front, exc.message, exc.error_type or _STATUS_KINDS.get(exc.status),
                      exc.code)
    except Exception:
        log.exception("request %s failed", front.request_id)
        return _event(front, "Internal gateway error; see the gateway log for "
                             f"request {front.request_id}.")


# A refusal's status, said as a type every dialect's error renderer knows
# (the event itself carries no status: the 200 was sent already).
_STATUS_KINDS = {400: "invalid_request_error", 401: "authentication_error",
                 403: "permission_error", 404: "not_found_error", 413: "request_too_large",
                 429: "rate_limit_error", 502: "api_error", 503: "overloaded_error",
                 504: "timeout_error"}


def _error_event(front, body):
    """A whole error answer (JSON in the client's dialect) as a stream error event."""
    try:
        error = orjson.loads(body).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        error = None
    if not isinstance(error, dict):
        error = {}
    message = error.get("message") or "The upstream failed."
    return _event(front, str(message), error.get("type") or error.get("status"))


def _event(front, message, error_type=None, code=None):
    return sse.encode(*translators.stream_error_event(front.dialect, message, error_type,
                                                      code=code, request_id=front.request_id))
