"""bench.stalls: the worker's stall lines read back from its log."""
from bench import stalls

LOG = """\
2026-12-03T11:35:37.641Z WARNING switchyard.stalls gc ms=2.40 generation=0 collected=72
2026-12-03T11:35:40.000Z INFO switchyard.access request_id=x status=200
2026-12-03T11:35:41.500Z WARNING switchyard.stalls stall ms=4.29 cause=runqueue cpu_ms=0.49 runqueue_ms=4.0 off_cpu_ms=0.0 where="streaming.py:183:_with_keepalive"
2026-12-03T11:35:42.000Z WARNING switchyard.stalls stall ms=3.00 cause=cpu cpu_ms=2.89 runqueue_ms=0.0 off_cpu_ms=0.11 where="Greenlet (finished)"
2026-12-03T11:35:43.000Z WARNING switchyard.stalls stall ms=2.50 cause=runqueue cpu_ms=0.3 runqueue_ms=2.2 off_cpu_ms=0.0 where="x"
2026-12-03T11:35:50.000Z WARNING switchyard.stalls stall ms=9.00 cause=cpu cpu_ms=9.0 runqueue_ms=0.0 off_cpu_ms=0.0 where="later"
"""

T0 = 1796297737.0          # 2026-12-03T11:35:37Z


def test_only_the_lines_of_the_window_are_read():
    found = stalls.stall_lines(LOG, T0, T0 + 7)
    assert found == [("gc", 2.40, None), ("stall", 4.29, "runqueue"), ("stall", 3.00, "cpu"),
                     ("stall", 2.50, "runqueue")]
    assert stalls.stall_lines(LOG, T0 + 12, T0 + 14) == [("stall", 9.00, "cpu")]


def test_the_summary_counts_by_cause():
    got = stalls.summary(stalls.stall_lines(LOG, T0, T0 + 7))
    assert got == {"stalls": 3, "by_cause": {"runqueue": 2, "cpu": 1},
                   "longest_ms": {"runqueue": 4.29, "cpu": 3.00}, "gc_ms": [2.40]}
