"""Every request is finished exactly once, whatever happens to it.

``FinishOnce`` wraps the whole WSGI app.  Its one ``try/finally`` is the
only place a request is finished: once the server has sent the last byte
(or the client left, or the app raised), the response iterable is closed --
which lets a stream's generator settle its outcome -- and then the
request's observer (``proxy.telemetry.request_observer``) accounts for
it: usage record, metrics, access-log line, in-flight gauge.  Nothing else calls
``RequestObserver.close``.

Requests rejected before they reach the relay (401, 404, 405, 413, a body
that is not JSON, an internal error) have no observer; they still get an
access-log line and a metrics count, so brute force and bad clients leave
a trace.

The pieces of the app talk to this module through the WSGI environ:
``OBSERVER`` (set once a generate request has one), ``ERROR_CLASS`` (why an
error response was sent), ``REQUEST_ID``, ``DIALECT`` and ``RUNTIME``.
"""
import logging
import time

from proxy.telemetry import request_observer

log = logging.getLogger("switchyard.lifecycle")

OBSERVER = "switchyard.observer"
ERROR_CLASS = "switchyard.error_class"
REQUEST_ID = "switchyard.request_id"
DIALECT = "switchyard.dialect"
RUNTIME = "switchyard.runtime"      # the request's runtime snapshot (proxy.runtime)


class FinishOnce:
    """WSGI middleware: see the module docstring."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = time.monotonic()
        sent = []

        def start(status, headers, exc_info=None):
            sent.append(status)
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start)
        except BaseException:
            # Flask and proxy.http.doors answer every Exception themselves;
            # what gets here is the green thread being killed (the client
            # left, shutdown).
            _finish(environ, sent, started)
            raise
        return _Closing(body, environ, sent, started)


class _Closing:
    """The app's response iterable, finished once the server closes it."""

    __slots__ = ("body", "environ", "sent", "started")

    def __init__(self, body, environ, sent, started):
        self.body, self.environ, self.sent, self.started = body, environ, sent, started

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()       # a stream's generator settles its outcome here
        finally:
            _finish(self.environ, self.sent, self.started)


def settle(environ, status, error_class):
    """Record why an error response is sent (``ERROR_CLASS``), and settle
    the request's observer, if it has one, with it."""
    environ[ERROR_CLASS] = error_class
    observer = environ.get(OBSERVER)
    if observer is not None:
        observer.settle(status, error_class=error_class)


def _finish(environ, sent, started):
    # The observer holds the request (``FrontRequest``: its bytes and, once
    # parsed, up to a megabyte of JSON as Python objects).  Dropped here, it
    # is freed while the client reads its answer; left in the environ, it
    # would be freed when the connection's next request replaces the
    # environ, on that request's clock.
    observer = environ.pop(OBSERVER, None)
    if observer is not None:
        observer.close()
        return
    status = int(sent[-1][:3]) if sent else 499
    if status >= 400:
        request_observer.rejected(environ, status, environ.get(ERROR_CLASS),
                         time.monotonic() - started)
