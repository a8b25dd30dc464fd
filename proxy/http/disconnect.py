"""Noticing a client that leaves before the first byte of its answer.

While the relay waits for an upstream (connecting, failing over, reading a
whole answer or a stream's first event) nothing is written to the client,
so its departure would go unseen until the answer is ready -- and the
upstream call would run to completion and be billed.  ``cancel_on_hangup``
watches the client socket meanwhile: end of file there (the client closed
its connection) throws ``ClientGone`` into the waiting green thread, which
abandons the upstream call (closing its connection) and is accounted as
499.  It is one event-loop watcher, no extra green thread, made once per
client connection (``CONNECTION``: the worker's handler keeps it between
requests; making one checks the descriptor with a syscall).

Once the answer has begun, writes notice a departed client themselves.
"""
import socket

from gevent import getcurrent, get_hub

from proxy.errors import ClientGone

_READ = 1     # libev/libuv: readable
# environ key: the object serving the client connection (proxy.http.worker's
# handler), where the connection's watcher is kept between its requests
CONNECTION = "switchyard.connection"


class cancel_on_hangup:
    """Inside the ``with`` block, the current green thread gets
    ``ClientGone`` if the client behind ``environ`` (gunicorn's gevent
    worker) hangs up.  A class rather than a generator-based context
    manager: this is entered once per request."""

    __slots__ = ("_environ", "_raw", "_watcher", "_waiting", "_kept")

    def __init__(self, environ):
        self._environ = environ
        self._watcher = None

    def __enter__(self):
        environ = self._environ
        raw = self._raw = getattr(environ.get("gunicorn.sock"), "_sock", None)
        if raw is None:            # not a gevent socket under us: nothing to watch
            return self
        self._waiting = getcurrent()
        connection = environ.get(CONNECTION)
        watcher = getattr(connection, "hangup_watcher", None)
        if watcher is None:
            watcher = get_hub().loop.io(raw.fileno(), _READ)
            if connection is not None:
                connection.hangup_watcher = watcher
        self._kept = connection is not None       # else made for this block alone
        self._watcher = watcher
        watcher.start(self._readable)
        return self

    def _readable(self):
        try:
            data = self._raw.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        self._watcher.stop()
        if not data:           # EOF; bytes would be a pipelined request: not a hang-up
            self._waiting.throw(ClientGone())

    def __exit__(self, *exc):
        watcher = self._watcher
        if watcher is not None:
            watcher.stop()
            if not self._kept:
                watcher.close()
        return False
