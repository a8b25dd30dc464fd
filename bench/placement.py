"""CPU placement for the latency scenarios: the load generator on one core,
every server (mock, Switchyard, LiteLLM) on another.

Why: a proxied call is a chain of three processes (client -> proxy ->
upstream -> proxy -> client), a direct call a chain of two.  Left to the
scheduler, where the three land changes from run to run, and on a virtual
machine each hop to another core wakes a halted virtual CPU, which costs
tens of microseconds.  So the proxy's measured cost moved more between runs
than it changed between commits (sequential added p50 0.49-0.76 ms over 12
runs of one commit, bench/README.md).  Pinned, every target is measured in
the same arrangement: the client's hops to a server cross cores (direct's
too), the proxy's hops to the mock stay on one core, and the difference to
direct is what the proxy itself adds.

Throughput, capacity and soak are not pinned: they need every core.
"""
import contextlib
import os

from bench.procs import tree


def split(cpus=None):
    """``(client_cpus, server_cpus)`` from the CPUs this process may use, or
    ``None`` on a single core (nothing to separate)."""
    cpus = sorted(os.sched_getaffinity(0) if cpus is None else cpus)
    if len(cpus) < 2:
        return None
    return {cpus[0]}, {cpus[1]}


def tasks(pid):
    """Thread ids of ``pid`` and of every descendant process."""
    found = []
    for process in tree(pid):
        try:
            found += [int(t) for t in os.listdir(f"/proc/{process}/task")]
        except FileNotFoundError:
            pass
    return found


@contextlib.contextmanager
def pinned(pids, cpus):
    """Every thread of the ``pids`` trees on ``cpus`` while inside; each
    thread's own CPU set back afterwards (threads started meanwhile inherit
    the pinned set and get the process's original one)."""
    saved = {}
    for pid in pids:
        original = _affinity(pid)
        for task in tasks(pid):
            saved[task] = _affinity(task) or original
            _set_affinity(task, cpus)
    try:
        yield
    finally:
        for pid in pids:
            for task in tasks(pid):
                _set_affinity(task, saved.get(task) or saved.get(pid) or os.sched_getaffinity(0))


def _affinity(task):
    try:
        return os.sched_getaffinity(task)
    except (ProcessLookupError, PermissionError):
        return None


def _set_affinity(task, cpus):
    try:
        os.sched_setaffinity(task, cpus)
    except (ProcessLookupError, PermissionError):
        pass        # the thread ended meanwhile
