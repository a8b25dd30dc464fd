"""The loopback listener a browser lands on at the end of a login started
from the management API.

Providers send the browser to the fixed loopback callback of their CLI's
public client (``http://localhost:1455/auth/callback`` for Codex...), not to
the gateway's port.  While a login is in progress this listens there
(127.0.0.1 only) and redirects the callback, query and all, to the
gateway's own ``/v0/management/logins/callback``, which any worker can
complete (the login is in ``proxy.login.pending``).  When the port is
taken -- another worker's forwarder for the same provider, which redirects
the same way -- nothing more is needed.  A forwarder closes after
``IDLE_SECONDS`` without a new login.  Browsers on another machine reach
it through an SSH tunnel, or the user pastes the URL instead.
"""
import errno
import logging
import time

import gevent
from gevent.pywsgi import WSGIServer

log = logging.getLogger("switchyard.accounts")
IDLE_SECONDS = 600.0

_listening = {}              # port -> _Forwarder


class _Forwarder:
    def __init__(self, port, path, target):
        self.path, self.target = path, target
        self.until = time.monotonic() + IDLE_SECONDS
        self.server = WSGIServer(("127.0.0.1", port), self.app, log=None, error_log=None)

    def app(self, environ, start_response):
        if environ.get("PATH_INFO") != self.path:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        query = environ.get("QUERY_STRING") or ""
        start_response("302 Found", [("Location", f"{self.target}?{query}"),
                                     ("Content-Length", "0"), ("Cache-Control", "no-store")])
        return [b""]


def ensure(port, path, target):
    """Forward ``GET path`` on ``127.0.0.1:port`` to ``target`` (the gateway's
    callback URL) for the next ``IDLE_SECONDS``.  False when the port is
    another listener's."""
    forwarder = _listening.get(port)
    if forwarder is not None:
        forwarder.path, forwarder.target = path, target
        forwarder.until = time.monotonic() + IDLE_SECONDS
        return True
    forwarder = _Forwarder(port, path, target)
    try:
        forwarder.server.start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        log.info("login callback port %d is already listened on (another worker's "
                 "forwarder, or the user's own CLI); not forwarding from this worker", port)
        return False
    _listening[port] = forwarder
    gevent.spawn(_close_when_idle, port, forwarder)
    return True


def _close_when_idle(port, forwarder):
    while time.monotonic() < forwarder.until:
        gevent.sleep(forwarder.until - time.monotonic())
    _listening.pop(port, None)
    forwarder.server.stop()


def stop_all():
    """Close every forwarder of this worker (tests, shutdown)."""
    while _listening:
        _, forwarder = _listening.popitem()
        forwarder.server.stop()
