"""Waiting for the servers' core to go quiet before timing the next target.

The sequential jobs interleave targets on one pinned server core.  A peer
can go on working after it has answered: LiteLLM runs its success callbacks
(token counting, cost, logging) after the response, Node collects garbage
after a large body.  That work then runs while the next target is timed, on
the same core, and lands in *its* latency: one full run read a direct 250 KB
call at p50 2.52 ms where it reads 0.3-0.6 ms with the peers absent.  So
before each target's batch the load generator waits until the servers have
used the core for less than ``BUSY`` of a ``WINDOW_S`` window, twice in a
row, measured from each thread's scheduler run time
(``/proc/<tid>/schedstat``, ns; proc(5)).  A target's own leftover work from
its previous request still counts against it, inside its batch.
"""
import time

from bench.placement import tasks

WINDOW_S = 0.002
BUSY = 0.05
QUIET_WINDOWS = 2
LIMIT_S = 2.0


def run_ns(pids):
    """Nanoseconds on a CPU so far, per thread of the ``pids`` trees."""
    found = {}
    for pid in pids:
        for task in tasks(pid):
            try:
                with open(f"/proc/{task}/schedstat") as f:
                    found[task] = int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass        # the thread ended meanwhile
    return found


def busy_share(before, after, seconds):
    """The share of one core the threads used between two ``run_ns`` reads
    (a thread started meanwhile counts from zero)."""
    used = sum(ns - before.get(task, 0) for task, ns in after.items())
    return used / (seconds * 1e9)


def settle(pids, limit_s=None):
    """Wait until the ``pids`` trees are quiet; returns the seconds waited,
    or None when they were still busy after ``limit_s`` (``LIMIT_S``)."""
    limit_s = LIMIT_S if limit_s is None else limit_s
    started = time.perf_counter()
    quiet = 0
    before, at = run_ns(pids), started
    while quiet < QUIET_WINDOWS:
        if at - started > limit_s:
            return None
        time.sleep(WINDOW_S)
        after, now = run_ns(pids), time.perf_counter()
        quiet = quiet + 1 if busy_share(before, after, now - at) < BUSY else 0
        before, at = after, now
    return at - started
