"""A background greenlet calling one function every ``interval`` seconds,
logging (never dying of) its failures.  For pollers and schedulers."""
import logging

import gevent


class Periodic:
    def __init__(self, func, interval, *, what, log=None, first_wait=True):
        self.func, self.interval, self.what = func, interval, what
        self.first_wait = first_wait
        self.log = log or logging.getLogger("switchyard")
        self._greenlet = None

    def start(self):
        if self._greenlet is None:
            self._greenlet = gevent.spawn(self._run)
        return self

    def stop(self):
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None

    def _run(self):
        if self.first_wait:
            gevent.sleep(self.interval)
        while True:
            try:
                self.func()
            except Exception:
                self.log.exception("%s failed a pass", self.what)
            gevent.sleep(self.interval)
