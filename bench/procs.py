"""Starting, watching and always stopping the benchmark's processes.

Every server runs in its own session (process group), so stopping it stops
its workers too; ``Supervisor`` is a context manager whose exit stops every
process it started, on success, on failure and on Ctrl-C alike.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

STOP_GRACE_S = 10


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port, path, timeout=2.0):
    """``(status, body)`` of a GET to a loopback port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def http_post(port, path, body=b"{}", timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def children(pid):
    """Direct children of ``pid`` (Linux ``/proc/<pid>/task/*/children``)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except FileNotFoundError:
        pass
    return found


def rss_kib(pid):
    """Resident set size of one process in KiB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def cpu_seconds(pid):
    """User + system CPU time one process has used (``/proc/<pid>/stat``)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except FileNotFoundError:
        return 0.0
    # fields[11], fields[12]: utime, stime (proc(5) fields 14 and 15)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree(pid):
    """``pid`` and all its descendants."""
    pids = [pid]
    for child in children(pid):
        pids += tree(child)
    return pids


class Server:
    """A started server process: its pid, port and log file."""

    def __init__(self, name, popen, port, log_path):
        self.name = name
        self.popen = popen
        self.port = port
        self.log_path = log_path

    @property
    def pid(self):
        return self.popen.pid

    def rss_kib(self):
        """RSS of the whole tree (gunicorn master + workers, etc.)."""
        return sum(rss_kib(p) for p in tree(self.pid))

    def cpu_seconds(self):
        return sum(cpu_seconds(p) for p in tree(self.pid))

    def worker_pids(self):
        """The serving processes: the leaves of the tree."""
        return [p for p in tree(self.pid) if not children(p)]

    def log_tail(self, lines=20):
        with open(self.log_path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])

    def wait_ready(self, path, timeout):
        """Poll ``path`` until it answers 200; bounded by ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n"
                                   + self.log_tail())
            try:
                if http_get(self.port, path, timeout=1.0)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n" + self.log_tail())

    def stop(self):
        """SIGTERM the process group, SIGKILL it after a grace period."""
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(self.popen.pid, signal.SIGKILL)
        self.popen.wait()


def _signal_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


class Supervisor:
    """Starts processes and stops every one of them on exit."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.servers = []

    def __enter__(self):
        # SIGTERM (e.g. from `timeout`) must unwind like Ctrl-C does.
        self._previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        return self

    def __exit__(self, *exc):
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
        signal.signal(signal.SIGTERM, self._previous)

    def start(self, name, argv, *, port, env=None, cwd=None):
        log_path = os.path.join(self.log_dir, f"{name}.log")
        with open(log_path, "ab") as log:
            popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, cwd=cwd,
                                     env={**os.environ, **(env or {})},
                                     start_new_session=True)
        server = Server(name, popen, port, log_path)
        self.servers.append(server)
        return server

    def stop(self, server):
        server.stop()
        self.servers.remove(server)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def run_loadgen(job, timeout, on_event=None, cwd=None, cpus=None):
    """Run one load-generator job in its own process (on ``cpus`` when
    given); ``on_event`` sees each progress line as it comes.  Killed if it
    outlives ``timeout`` seconds."""
    popen = subprocess.Popen([sys.executable, "-m", "bench.loadgen"], cwd=cwd,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             start_new_session=True, text=True)
    if cpus:    # before the job is written: it starts no thread until then
        os.sched_setaffinity(popen.pid, cpus)
    watchdog = threading.Timer(timeout, _signal_group, (popen.pid, signal.SIGKILL))
    watchdog.start()
    result = None
    try:
        popen.stdin.write(json.dumps(job))
        popen.stdin.close()
        for line in popen.stdout:
            event = json.loads(line)
            if event["event"] == "result":
                result = {k: v for k, v in event.items() if k != "event"}
            elif on_event:
                on_event(event)
    finally:
        watchdog.cancel()
        _signal_group(popen.pid, signal.SIGKILL)
        popen.wait()
    if result is None:
        raise RuntimeError(f"load generator died (exit {popen.returncode}) on a {job['kind']} job")
    return result
