"""proxy.http.heap: a worker keeps the memory a request freed for the next."""
import json
import os
import platform
import subprocess
import sys

import pytest

from proxy.http import heap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class FakeLibc:
    def __init__(self, answer=1):
        self.calls = []
        self.answer = answer

    def mallopt(self, param, value):
        self.calls.append((param, value))
        return self.answer


def test_both_thresholds_are_set():
    libc = FakeLibc()
    assert heap.keep_freed_memory(libc) is True
    assert libc.calls == [(heap.M_MMAP_THRESHOLD, 32 << 20), (heap.M_TRIM_THRESHOLD, 64 << 20)]


def test_a_c_library_without_them_is_left_alone():
    assert heap.keep_freed_memory(FakeLibc(answer=0)) is False      # musl's mallopt
    assert heap.keep_freed_memory(object()) is False                # no mallopt at all


# A fresh interpreter: after post_worker_init, a 2 MB block comes from the heap
# (no more mapped bytes) and, freed, stays free in it (not trimmed away).
_PROBE = """
import ctypes, json, runpy, types
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
ns = runpy.run_path("gunicorn.conf.py")
ns["post_worker_init"](types.SimpleNamespace(pid=1, cfg=types.SimpleNamespace(
    worker_connections=1)))
mapped = libc.mallinfo2().hblkhd
block = b"x" * 2_000_000
taken = libc.mallinfo2()
del block
freed = libc.mallinfo2()
print(json.dumps([taken.hblkhd - mapped, freed.fordblks]))
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="glibc's malloc")
def test_a_serving_worker_keeps_a_freed_body_in_its_heap(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("{}\n")
    environ = {k: v for k, v in os.environ.items()
               if k not in ("WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "PORT",
                            "SWITCHYARD_READY_FD")}
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, check=True, text=True,
                         env=dict(environ, SWITCHYARD_CONFIG=str(path)),
                         capture_output=True).stdout
    newly_mapped, free_in_heap = json.loads(out.strip().splitlines()[-1])
    assert newly_mapped == 0 and free_in_heap >= 2_000_000
