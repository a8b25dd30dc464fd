"""What machine and which versions a run measured, for the results header."""
import glob
import os
import platform
import re
import subprocess
from importlib import metadata

from bench.servers import REPO_DIR

_SWITCHYARD_PACKAGES = ("flask", "werkzeug", "gunicorn", "gevent", "greenlet",
                        "requests", "orjson")


def describe():
    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "memory_gib": _memory_gib(),
            "kernel": platform.release(), "python": platform.python_version(),
            "switchyard_commit": _git_commit(), "switchyard_packages": _switchyard_versions(),
            "litellm": _version("litellm"), "portkey": _portkey_version(),
            "bench_gevent": _version("gevent")}


def _portkey_version():
    from bench.node_peers import install
    return f"{install.PORTKEY} {install.pinned(install.PORTKEY)}"


def cpu_snapshot():
    """``(CPU seconds the machine has been busy, CPU seconds of this process
    and every child it has reaped)``.  Between two snapshots taken after all
    children are reaped, the difference is what other work on the machine
    used: a busy neighbour skews every number of a run."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, f.readline().split()[1:9])
    busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    times = os.times()
    return busy, times.user + times.system + times.children_user + times.children_system


def other_cores(before, after, wall_seconds):
    """Average cores used outside this run between two ``cpu_snapshot``s."""
    foreign = (after[0] - before[0]) - (after[1] - before[1])
    return round(max(0.0, foreign) / wall_seconds, 2)


def _cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def _memory_gib():
    with open("/proc/meminfo") as f:
        kib = int(f.readline().split()[1])
    return round(kib / 1024 / 1024, 1)


def _git_commit():
    """HEAD's short hash, with ``+dirty`` when the work tree has changes."""
    def git(*args):
        return subprocess.run(["git", "-C", REPO_DIR, *args], capture_output=True,
                              text=True, check=False).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def _switchyard_versions():
    """Versions in Switchyard's own virtualenv (not the bench one)."""
    found = {}
    pattern = os.path.join(REPO_DIR, ".venv", "lib", "python*", "site-packages", "*.dist-info")
    for path in glob.glob(pattern):
        match = re.match(r"(.+?)-([^-]+)\.dist-info$", os.path.basename(path))
        if match and match.group(1).lower().replace("_", "-") in _SWITCHYARD_PACKAGES:
            found[match.group(1).lower()] = match.group(2)
    return dict(sorted(found.items()))


def _version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
