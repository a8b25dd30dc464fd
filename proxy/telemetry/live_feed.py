"""The last finished requests of this worker, for the dashboard's live view.

``proxy.telemetry.request_observer`` publishes each finished request's usage record here
(its row: the dict is made when a watcher reads it).  Publishing is a
bounded ``deque`` append plus a counter check: with nobody watching no
greenlet is woken and nothing is copied, so the hot path pays ~100 ns.  Watchers (``GET /v0/management/requests/live``) wait on one
shared gevent ``Event`` that a publish swaps out and sets, so one request
wakes every watcher once, however many there are.

Per worker: under several gunicorn workers a watcher sees the requests of
the worker that serves its connection.
"""
import itertools
from collections import deque

from gevent.event import Event

from proxy.slot import Slot
from proxy.telemetry.usage_store import REQUEST_FIELDS

SIZE = 500


class LiveFeed:
    def __init__(self, size=SIZE):
        self._ring = deque(maxlen=size)       # (seq, record)
        self._seq = itertools.count(1)
        self._watchers = 0
        self._event = Event()
        self.closed = False

    def publish(self, record):
        """A finished request's usage record: a dict, or its row (a tuple in
        ``usage_store.REQUEST_FIELDS`` order), made a dict only when read."""
        self._ring.append((next(self._seq), record))
        if self._watchers:
            event, self._event = self._event, Event()
            event.set()

    def since(self, seq=0, limit=SIZE):
        """(seq, record) pairs newer than ``seq``, oldest first, at most ``limit``."""
        newer = [item for item in self._ring if item[0] > seq]
        return [(n, record if type(record) is dict else dict(zip(REQUEST_FIELDS, record)))
                for n, record in newer[-limit:]] if limit else []

    def wait(self, seq, timeout):
        """Records newer than ``seq``; blocks (this green thread only) until
        one is published or ``timeout`` seconds pass."""
        newer = self.since(seq)
        if newer or self.closed:
            return newer
        self._watchers += 1
        try:
            self._event.wait(timeout)
        finally:
            self._watchers -= 1
        return self.since(seq)


    def close(self):
        """The worker is stopping: every watcher returns now and waits no more
        (a live view must not hold a graceful stop for its whole timeout)."""
        self.closed = True
        self._event.set()


_slot = Slot(make=LiveFeed)
current, install = _slot.current, _slot.install


def publish(record):
    current().publish(record)


def close():
    current().close()
