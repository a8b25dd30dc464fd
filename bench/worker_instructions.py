"""Instructions a Switchyard worker spends per small request, by callgrind.

    .venv/bin/python -m bench.worker_instructions [--case openai] [--requests 200,600]
                                                  [--clients 20] [--size BYTES [--window N]]
                                                  [--keep DIR]

Wall-clock CPU on this shared 2-core machine moves with whatever else runs;
instruction counts do not.  This runs the real serving path -- gunicorn as
the Procfile starts it (``gunicorn.conf.py``, ``app:app``, the config the
bench gives Switchyard: usage store, metrics and access log on), its worker
under ``valgrind --tool=callgrind`` -- against bench's mock upstream (its
own process, not measured), and drives it from this process with
``--clients`` keep-alive connections, each sending its share of the
requests one after another.  Each count of ``--requests`` is a fresh
server; the instructions per request are the difference between two counts'
totals over the difference in requests, so start-up, warm-up and shutdown
cancel out (the shutdown's flush of queued usage rows is per request and is
counted).  ``--size`` sends an agent session's request of about that many
bytes; with ``--window`` its last N requests in turn, each a round trip
longer than the one before, as the agent scenario sends them (what the
gateway reuses from a session's request before is then what a real session
lets it reuse, not the same bytes again).  With ``--keep`` the callgrind files stay there for
``callgrind_annotate --inclusive=yes``.  Takes a few minutes.
"""
import argparse
import glob
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import gevent

from bench import targets
from bench.http_client import Connection, encode_request
from bench.procs import Supervisor, free_port, http_get
from bench.servers import REPO_DIR, SWITCHYARD_PYTHON_BIN, start_mock

WARMUP = 100
CASES = {"openai": ("openai", "openai", False), "claude": ("claude", "claude", False),
         "responses": ("responses", "responses", False),
         "translated": ("claude", "openai", False),
         "openai-claude": ("openai", "claude", False),
         "responses-claude": ("responses", "claude", False),
         "openai-stream": ("openai", "openai", True)}


def _requests(port, case, size=None, window=None):
    """The requests to send in turn: one, or with ``size`` an agent-sized
    body of about that many bytes (``bench.agent_session``), and with
    ``window`` too the last ``window`` requests of that growing session,
    as the agent scenario sends them."""
    client, upstream, stream = CASES[case]
    spec = targets.spec(port, client, upstream, stream, 16, size, window if size else None)
    return [encode_request("POST", spec["path"], f"127.0.0.1:{port}", spec["headers"],
                           body.encode()) for body in spec.get("bodies") or [spec["body"]]]


def _drive(port, requests, total, clients):
    """``total`` requests over ``clients`` connections, each the next of
    ``requests`` in turn; the statuses seen."""
    statuses = {}
    turn = itertools.cycle(requests)

    def one(count):
        conn = Connection("127.0.0.1", port, timeout=600)
        for _ in range(count):
            status = conn.exchange(next(turn), lambda piece: None)
            statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    shares = [total // clients + (i < total % clients) for i in range(clients)]
    gevent.joinall([gevent.spawn(one, n) for n in shares if n], raise_error=True)
    return statuses


def _wait_ready(port, popen, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"switchyard exited with {popen.returncode}")
        try:
            if http_get(port, "/healthz", timeout=5.0)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("switchyard not ready")


def measure(case, requests, clients, workdir, mock_port, size=None, window=None):
    """Total instructions of the worker that served ``WARMUP`` + ``requests``."""
    run_dir = os.path.join(workdir, f"n{requests}")
    os.makedirs(run_dir)
    config_path = os.path.join(run_dir, "switchyard.yaml")
    with open(config_path, "w") as f:
        f.write(targets.to_yaml(targets.switchyard_config(mock_port, run_dir)))
    port = free_port()
    env = {**os.environ, "SWITCHYARD_CONFIG": config_path, "PORT": str(port),
           "SWITCHYARD_HOST": "127.0.0.1", "WEB_CONCURRENCY": "1"}
    python = os.path.join(SWITCHYARD_PYTHON_BIN, "python")
    argv = ["valgrind", "--tool=callgrind", "--dump-instr=no",
            f"--callgrind-out-file={run_dir}/callgrind.out.%p",
            python, os.path.join(SWITCHYARD_PYTHON_BIN, "gunicorn"), "-c", "gunicorn.conf.py",
            "--timeout", "900", "--graceful-timeout", "300", "app:app"]
    with open(os.path.join(run_dir, "server.log"), "wb") as log:
        popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, cwd=REPO_DIR, env=env,
                                 start_new_session=True)
    try:
        _wait_ready(port, popen)
        sent = _requests(port, case, size, window)
        _drive(port, sent, WARMUP, clients)
        statuses = _drive(port, sent, requests, clients)
        if set(statuses) != {200}:
            raise RuntimeError(f"statuses {statuses}")
    finally:
        if popen.poll() is None:
            os.kill(popen.pid, signal.SIGTERM)
        try:
            popen.wait(600)
        except subprocess.TimeoutExpired:
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()
    outs = [p for p in glob.glob(f"{run_dir}/callgrind.out.*")
            if not p.endswith(f".{popen.pid}")]
    if len(outs) != 1:
        raise RuntimeError(f"expected one worker profile, found {outs}")
    return _total(outs[0]), outs[0]


def _total(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def available():
    """Whether this machine can count instructions (valgrind on PATH)."""
    return shutil.which("valgrind") is not None


def per_request(case, counts, clients, mock_port, size=None, window=None, keep=None):
    """``{"totals": {count: instructions}, "instructions_per_request": n}``:
    a fresh worker per count of ``counts`` (two), each under callgrind, the
    difference of their totals over the difference in requests.  ``keep``:
    a directory to copy the callgrind files to."""
    low, high = counts
    workdir = tempfile.mkdtemp(prefix="switchyard-instr-")
    try:
        results = {n: measure(case, n, clients, workdir, mock_port, size, window)
                   for n in (low, high)}
        if keep:
            os.makedirs(keep, exist_ok=True)
            for n, (_, path) in results.items():
                shutil.copy(path, os.path.join(keep, f"callgrind.n{n}"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"totals": {n: r[0] for n, r in results.items()},
            "instructions_per_request": round((results[high][0] - results[low][0])
                                              / (high - low))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), default="openai")
    parser.add_argument("--requests", default="200,600",
                        help="two request counts (comma-separated)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--size", type=int, default=None,
                        help="agent-sized request bodies of about this many bytes")
    parser.add_argument("--window", type=int, default=None,
                        help="with --size: the growing session's last N requests, in turn")
    parser.add_argument("--keep", default=None, help="directory to keep the callgrind files in")
    args = parser.parse_args(argv)
    counts = tuple(int(n) for n in args.requests.split(","))
    workdir = tempfile.mkdtemp(prefix="switchyard-instr-mock-")
    try:
        with Supervisor(workdir) as supervisor:
            mock = start_mock(supervisor)
            result = per_request(args.case, counts, args.clients, mock.port, args.size,
                                 args.window, args.keep)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps({"case": args.case, "clients": args.clients, "size": args.size,
                      "window": args.window, **result}))


if __name__ == "__main__":
    sys.exit(main())
