"""bench.quiet: the wait for quiet servers before a target is timed."""
import subprocess
import sys
import time

from bench import quiet


def _scripted(monkeypatch, busy_reads):
    """``run_ns`` answering ``busy_reads`` reads that each add a whole
    second of CPU, then the same total for ever; returns the read count."""
    reads = []

    def run_ns(pids):
        reads.append(pids)
        return {1: 10**9 * min(len(reads), busy_reads)}
    monkeypatch.setattr(quiet, "run_ns", run_ns)
    return reads


def test_settle_waits_through_busy_windows_then_two_quiet_ones(monkeypatch):
    reads = _scripted(monkeypatch, busy_reads=4)
    assert quiet.settle([1]) is not None
    # the first read, three busy windows, two quiet ones (the streak broken once)
    assert len(reads) == 4 + quiet.QUIET_WINDOWS


def test_settle_gives_up_on_servers_that_stay_busy(monkeypatch):
    _scripted(monkeypatch, busy_reads=10**9)
    assert quiet.settle([1], limit_s=0.02) is None


def test_busy_share_counts_new_threads_from_zero():
    assert quiet.busy_share({1: 100}, {1: 1_100, 2: 1_000}, seconds=1e-6) == 2.0


def test_run_ns_reads_the_time_a_process_tree_ran():
    spinning = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        first = sum(quiet.run_ns([spinning.pid]).values())
        deadline = time.monotonic() + 30
        while sum(quiet.run_ns([spinning.pid]).values()) <= first:
            assert time.monotonic() < deadline, "a spinning process never ran"
    finally:
        spinning.kill()
        spinning.wait()


def test_an_idle_process_settles():
    idle = subprocess.Popen(["sleep", "60"])
    try:
        assert quiet.settle([idle.pid]) is not None
    finally:
        idle.kill()
        idle.wait()
