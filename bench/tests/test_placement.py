"""CPU placement of the latency scenarios."""
import os
import subprocess
import sys

import pytest

from bench import placement

# A child with a second thread and a grandchild, all blocked on stdin.
_TREE = """
import subprocess, sys, threading
threading.Thread(target=sys.stdin.read, daemon=True).start()
child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                         stdin=subprocess.PIPE)
print(child.pid, flush=True)
sys.stdin.readline()
"""

needs_two_cpus = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU")


def test_split_gives_the_client_one_cpu_and_the_servers_another():
    assert placement.split({3, 1, 2}) == ({1}, {2})
    assert placement.split({0}) is None


@needs_two_cpus
def test_pinned_moves_every_thread_of_the_tree_and_restores_it():
    mine = os.sched_getaffinity(0)
    proc = subprocess.Popen([sys.executable, "-c", _TREE], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        grandchild = int(proc.stdout.readline())
        tasks = placement.tasks(proc.pid)
        assert len(tasks) >= 3 and grandchild in tasks
        target = {min(mine)}
        with placement.pinned([proc.pid], target):
            assert {frozenset(os.sched_getaffinity(t)) for t in tasks} == {frozenset(target)}
        assert all(os.sched_getaffinity(t) == mine for t in tasks)
    finally:
        proc.communicate("\n")


def test_pinned_ignores_processes_that_are_gone():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    with placement.pinned([proc.pid], {min(os.sched_getaffinity(0))}):
        pass
