"""bench.quiet: the wait for a quiet server core before a target's batch."""
import subprocess
import sys

from bench import quiet

SPIN = "while True: pass"


def _started(code):
    return subprocess.Popen([sys.executable, "-c", code])


def test_an_idle_process_settles_at_once():
    idle = _started("import time; time.sleep(60)")
    try:
        assert quiet.settle([idle.pid]) is not None
    finally:
        idle.kill()
        idle.wait()


def test_a_spinning_process_never_settles():
    spinning = _started(SPIN)
    try:
        assert quiet.settle([spinning.pid], limit_s=0.05) is None
    finally:
        spinning.kill()
        spinning.wait()


def test_busy_share_counts_new_threads_from_zero():
    assert quiet.busy_share({1: 100}, {1: 1_100, 2: 1_000}, seconds=1e-6) == 2.0
