"""Ending open streams properly when the worker shuts down.

After SIGTERM gunicorn gives a worker ``graceful_timeout`` seconds for its
requests to finish, then kills what is left: a stream cut that way just
stops, so its client cannot tell a cut answer from a finished one, and its
usage is never recorded.  So shortly before that time runs out, every
stream still open is ended the proper way: its dialect's error event (the
client learns the answer is incomplete and can retry elsewhere), its
outcome settled and accounted; ``worker_exit`` then flushes the usage
store.
"""
import gevent
from gevent import getcurrent

from proxy.errors import ShuttingDown

MARGIN = 2.0        # seconds before the graceful timeout that open streams are ended

_open = set()       # green threads relaying a stream right now


def track():
    """Count the current green thread among those relaying a stream: it
    gets ``ShuttingDown`` when the worker drains.  Returns it, for ``untrack``."""
    current = getcurrent()
    _open.add(current)
    return current


def untrack(green):
    _open.discard(green)


def drain_after(graceful_timeout):
    """Wait until ``MARGIN`` seconds before ``graceful_timeout`` runs out
    (at least half of it), then end every open stream."""
    gevent.sleep(max(graceful_timeout - MARGIN, graceful_timeout / 2))
    for green in list(_open):
        gevent.kill(green, ShuttingDown)
