"""An opt-in diagnostic: green threads that hold the event loop too long.

A worker's green threads share one OS thread, so while one of them runs
without yielding, every stream in the worker waits: a chunk the upstream
sent on time reaches its client late, and the next one right after it.
With ``SWITCHYARD_STALL_MS=N`` in a worker's environment, every stretch of
more than N ms that one green thread ran between two switches is logged on
``switchyard.stalls``, with where it yielded and how the kernel's per-thread
accounting (its CPU clock and ``/proc/thread-self/schedstat``) splits the time:

- ``cpu``: the worker's thread ran -- our code, a blocking call that spins,
  a garbage-collection pass (logged too when it alone is over N ms);
- ``runqueue``: it was ready to run but the OS ran something else (other
  processes, on a VM the host): nothing the worker's code can change;
- ``off_cpu``: neither: asleep in a blocking system call (file I/O, a
  native lock) or waiting for the GIL held by another of its threads.

``cause`` names the largest.  Without schedstat (not Linux) the split is the
thread's CPU time and the rest.  The event loop's own greenlet (the hub)
waits for I/O in its stretches, so it is reported only when it was on the
CPU for over N ms of one (its callbacks: timers, watchers); a wake-up the
OS delayed there is not seen.

Unset (the default), nothing is installed.  Set, every switch costs a
Python call, a ``pread`` and a clock read (a few µs): for finding a stall, not for
serving at full speed.
"""
import gc
import logging
import os
import time

import gevent
import greenlet

ENV = "SWITCHYARD_STALL_MS"

log = logging.getLogger("switchyard.stalls")


def threshold_ms(environ=os.environ):
    """``SWITCHYARD_STALL_MS`` as a positive number of ms, or None (off)."""
    value = environ.get(ENV, "").strip()
    if not value:
        return None
    try:
        limit = float(value)
    except ValueError:
        log.warning("%s=%r is not a number of milliseconds; stall logging stays off", ENV, value)
        return None
    return limit if limit > 0 else None


class ThreadClock:
    """The calling thread's ``(ns on a CPU, ns waiting for one)``.

    The CPU time is the thread's CPU clock: schedstat's own first field is
    only brought up to date at scheduler ticks while the thread runs (4 ms
    steps).  The wait is schedstat's second field, complete whenever the
    thread reads it (it is added when the thread gets a CPU).
    ``/proc/thread-self`` names the thread that opens it, so the file is
    opened by the thread it will describe (the worker's serving thread).
    Without it the wait is None."""

    def __init__(self, path="/proc/thread-self/schedstat"):
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except OSError:
            self._fd = None

    def read(self):
        wait = None
        if self._fd is not None:
            try:
                wait = int(os.pread(self._fd, 128, 0).split()[1])
            except (OSError, ValueError, IndexError):
                pass
        return time.thread_time_ns(), wait

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def split(wall_ns, run_ns, wait_ns):
    """``(cause, {cpu_ms, runqueue_ms, off_cpu_ms})`` of a stretch ``wall_ns`` long."""
    parts = {"cpu": run_ns, "runqueue": wait_ns or 0,
             "off_cpu": max(0, wall_ns - run_ns - (wait_ns or 0))}
    if wait_ns is None:
        del parts["runqueue"]
    cause = max(parts, key=parts.get)
    return cause, {f"{name}_ms": round(ns / 1e6, 2) for name, ns in parts.items()}


def where(glet, depth=3):
    """Where a green thread yielded (innermost ``depth`` frames), or what it
    was when it has finished."""
    frame = glet.gr_frame
    if frame is None:
        return f"{type(glet).__name__} (finished)"
    spots = []
    while frame is not None and len(spots) < depth:
        code = frame.f_code
        spots.append(f"{os.path.basename(code.co_filename)}:{frame.f_lineno}:{code.co_name}")
        frame = frame.f_back
    return " < ".join(spots)


class StallWatch:
    """Times every green thread's stretch between switches (``greenlet.settrace``)
    and every garbage-collection pass; ``report(line)`` gets one line per
    stretch or pass over ``limit_ms`` (default: logged from a green thread of
    its own, never from inside the switch)."""

    def __init__(self, limit_ms, *, clock=None, report=None, hub=None):
        self.limit_ns = int(limit_ms * 1e6)
        self.clock = clock or ThreadClock()
        self.report = report or _log_later
        self.hub = hub or gevent.get_hub()
        self._began = 0
        self._sched = (0, 0)
        self._gc_began = 0
        self._previous = None
        self.installed = False

    def install(self):
        self._previous = greenlet.settrace(self._switched)
        gc.callbacks.append(self._collected)
        self.installed = True
        return self

    def uninstall(self):
        if self.installed:
            greenlet.settrace(self._previous)
            gc.callbacks.remove(self._collected)
            self.installed = False

    def _switched(self, event, args):
        if self._previous is not None:
            self._previous(event, args)
        if event != "switch" and event != "throw":
            return
        now = time.perf_counter_ns()
        origin = args[0]
        if self._began and now - self._began > self.limit_ns:
            run, wait = self.clock.read()
            run -= self._sched[0]
            if origin is not self.hub or run > self.limit_ns:
                cause, parts = split(now - self._began, run,
                                     None if wait is None else wait - self._sched[1])
                fields = " ".join(f"{k}={v}" for k, v in parts.items())
                self.report(f"stall ms={(now - self._began) / 1e6:.2f} cause={cause} {fields} "
                            f'where="{"hub (event-loop callbacks)" if origin is self.hub else where(origin)}"')
        self._sched = self.clock.read()
        self._began = time.perf_counter_ns()

    def _collected(self, phase, info):
        if phase == "start":
            self._gc_began = time.perf_counter_ns()
            return
        took = time.perf_counter_ns() - self._gc_began
        if took > self.limit_ns:
            self.report(f"gc ms={took / 1e6:.2f} generation={info['generation']} "
                        f"collected={info['collected']}")


def _log_later(line):
    # A spawned green thread only starts at the loop's next turn: nothing
    # here switches, so the stretch being measured is not cut short.
    gevent.spawn(log.warning, "%s", line)


def install_from_env(environ=os.environ):
    """The worker's StallWatch when ``SWITCHYARD_STALL_MS`` asks for one, else None."""
    limit = threshold_ms(environ)
    if limit is None:
        return None
    log.warning("logging every green-thread stretch over %s ms (%s): diagnostic, slower", limit, ENV)
    return StallWatch(limit).install()
