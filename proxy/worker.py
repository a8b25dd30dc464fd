"""The gunicorn worker: gevent's pywsgi server, with idle connections timed out.

gunicorn's ``gevent_pywsgi`` worker serves HTTP/1.1 with gevent's own
``pywsgi`` handler instead of gunicorn's request parser; on the bench that is
~40 µs less per request (bench/RESULTS.md), a tenth of the proxy's added
latency.  Three changes to its handler:

- pywsgi lacks gunicorn's keep-alive timeout and would keep an idle client
  connection open forever: every client socket gets gunicorn's
  ``keepalive`` seconds as its timeout, so a connection that sends nothing
  for that long (idle between requests, or stalled mid-request) is closed
  quietly (pywsgi treats the timeout like a client that went away);
- request headers are parsed by ``proxy.http1.parse_headers``, not the email
  package (same limits: 64 KiB a line, 100 headers; a malformed line -> 400);
- gunicorn's access-log record is not built when its access log is off
  (Switchyard writes its own, see ``proxy.access_log``).
"""
from http.client import LineTooLong

from gevent.pywsgi import OldMessage
from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler

from proxy import http1


def _request_headers(fp, *args):
    """pywsgi's ``headers_factory`` contract: an ``OldMessage``, whose
    ``status`` is non-empty when the head was malformed (-> 400)."""
    try:
        return http1.parse_headers(fp, OldMessage, strict=True)
    except LineTooLong:
        message = OldMessage()
        message.status = "Line too long"
        return message


class IdleTimeoutHandler(PyWSGIHandler):
    idle_timeout = None            # seconds; set from gunicorn's `keepalive`

    def handle(self):
        self.socket.settimeout(self.idle_timeout)
        super().handle()

    def MessageClass(self, fp, *args):
        return _request_headers(fp, *args)

    def log_request(self):
        if self.server.log.access_log_enabled:
            super().log_request()


class Worker(GeventPyWSGIWorker):
    wsgi_handler = IdleTimeoutHandler

    def init_process(self):
        IdleTimeoutHandler.idle_timeout = self.cfg.keepalive or None
        super().init_process()
