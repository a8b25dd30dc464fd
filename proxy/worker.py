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
  (Switchyard writes its own, see ``proxy.access_log``);
- a response's head leaves in the same write as its first body chunk (pywsgi
  sends them apart: two segments and, for a whole answer, two wake-ups of
  the client), and the ``Date`` value is formatted once a second.
"""
import time
from http.client import LineTooLong

from gevent.pywsgi import OldMessage, format_date_time
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


_COALESCE_LIMIT = 256 * 1024      # first chunks up to this size share the head's write


_date = (None, b"")                # (second, its formatted Date value)


def _http_date(now):
    """RFC 9110 section 5.6.7 IMF-fixdate of ``now``, formatted once a second."""
    global _date
    second = int(now)
    if _date[0] != second:
        _date = (second, format_date_time(second))
    return _date[1]


class IdleTimeoutHandler(PyWSGIHandler):
    idle_timeout = None            # seconds; set from gunicorn's `keepalive`
    access_log = True              # gunicorn's own access log on? (set per worker)

    def handle(self):
        self.socket.settimeout(self.idle_timeout)
        super().handle()

    def MessageClass(self, fp, *args):
        return _request_headers(fp, *args)

    def finalize_headers(self):
        if self.provided_date is None:
            self.provided_date = True
            self.response_headers.append((b"Date", _http_date(time.time())))
        super().finalize_headers()

    def _write_with_headers(self, data):
        if len(data) > _COALESCE_LIMIT:
            return super()._write_with_headers(data)
        self.headers_sent = True
        self.finalize_headers()
        head = b"".join([b"HTTP/1.1 ", self.status, b"\r\n",
                         *[b"%s: %s\r\n" % pair for pair in self.response_headers], b"\r\n"])
        if data and self.response_use_chunked:     # chunk framing as pywsgi's _write
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self._sendall(head + data)

    def log_request(self):
        if self.access_log:
            super().log_request()


class Worker(GeventPyWSGIWorker):
    wsgi_handler = IdleTimeoutHandler

    def init_process(self):
        IdleTimeoutHandler.idle_timeout = self.cfg.keepalive or None
        # read once: through pywsgi's log adapter it costs a few µs a request
        IdleTimeoutHandler.access_log = self.log.access_log_enabled
        super().init_process()
