"""The gunicorn worker: gevent's pywsgi server, with idle connections timed out.

gunicorn's ``gevent_pywsgi`` worker serves HTTP/1.1 with gevent's own
``pywsgi`` handler instead of gunicorn's request parser; on the bench that is
~40 µs less per request (bench/RESULTS.md), a tenth of the proxy's added
latency.  What pywsgi lacks is gunicorn's keep-alive timeout: it would keep
an idle client connection open forever.  Here every client socket gets
gunicorn's ``keepalive`` seconds as its timeout, so a connection that sends
nothing for that long (idle between requests, or stalled mid-request) is
closed quietly; pywsgi treats the timeout like a client that went away.
"""
from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler


class IdleTimeoutHandler(PyWSGIHandler):
    idle_timeout = None            # seconds; set from gunicorn's `keepalive`

    def handle(self):
        self.socket.settimeout(self.idle_timeout)
        super().handle()


class Worker(GeventPyWSGIWorker):
    wsgi_handler = IdleTimeoutHandler

    def init_process(self):
        IdleTimeoutHandler.idle_timeout = self.cfg.keepalive or None
        super().init_process()
