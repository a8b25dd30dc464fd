"""The client connection's raw input stream under the worker's read buffer."""
import io

from gevent import getcurrent
from gevent.exceptions import ConcurrentObjectUseError


def _time_out(greenlet):
    greenlet.throw(TimeoutError("timed out"))      # what gevent's socket raises


class Receiver(io.RawIOBase):
    """The client socket (a gevent socket) as the raw stream under the
    handler's read buffer, instead of ``socket.makefile``'s ``SocketIO``.

    Same reads, same timeout (the socket's, ``TimeoutError``; as with
    ``SocketIO``, every read after one fails at once, so that discarding
    the rest of a body that stopped arriving does not wait again), cheaper
    waits: gevent's socket makes a ``Timeout`` (an object and an event-loop
    timer) for every wait, and a keep-alive connection waits once per
    request; this keeps one timer per connection and restarts it.  Closing
    it leaves the socket open (the handler closes that).
    """

    def __init__(self, sock):
        super().__init__()
        self._sock = sock
        self._timer = None
        self._seconds = None        # the timer's
        self._timed_out = False

    def readable(self):
        return True

    def readinto(self, buffer):
        if self._timed_out:
            raise OSError("cannot read from timed out object")
        sock = self._sock
        while True:
            try:
                return sock._sock.recv_into(buffer)
            except BlockingIOError:
                if sock.timeout == 0.0:
                    raise
            try:
                self._wait(sock)
            except TimeoutError:
                self._timed_out = True
                raise

    def _wait(self, sock):
        watcher = sock._read_event
        if watcher.callback is not None:        # as gevent's wait
            raise ConcurrentObjectUseError("This socket is already used by another "
                                           f"greenlet: {watcher.callback!r}")
        seconds = sock.timeout
        if seconds is None:
            sock.hub.wait(watcher)
            return
        timer = self._timer
        if timer is None or self._seconds != seconds:
            if timer is not None:
                timer.close()
            timer = self._timer = sock.hub.loop.timer(seconds, priority=-1)   # as Timeout's
            self._seconds = seconds
        timer.start(_time_out, getcurrent())
        try:
            sock.hub.wait(watcher)
        finally:
            timer.stop()

    def close(self):
        if self._timer is not None:
            self._timer.close()
            self._timer = None
        super().close()
