"""Where a Switchyard worker spends its CPU under load: py-spy samples it.

``bench/.venv-litellm/bin/python -m bench.profile [--case openai] [--seconds 10]
[--size BYTES [--window N]]`` starts the mock and Switchyard, drives a closed
loop of ``--clients`` clients at one request case (with ``--size``, a growing
agent session's last ``--window`` requests in turn), and records the worker
with py-spy.  Writes the collapsed stacks (open them in speedscope.app) and
prints the functions with the most samples, inclusive and self.  For the person optimising the
proxy; the benchmark itself never runs it.
"""
import argparse
import collections
import os
import subprocess
import sys
import tempfile
import threading

from bench import agent_session, targets
from bench.limits import raise_fd_limit
from bench.procs import Supervisor, run_loadgen
from bench.servers import (BENCH_DIR, REPO_DIR, configure_mock, start_mock,
                           start_switchyard)

PY_SPY = os.path.join(os.path.dirname(sys.executable), "py-spy")
CASES = {"openai": ("openai", "openai", False), "openai-stream": ("openai", "openai", True),
         "claude": ("claude", "claude", False), "responses": ("responses", "responses", False),
         "translated": ("claude", "openai", False),
         "translated-stream": ("claude", "openai", True)}


def top(collapsed_path, limit):
    """``(inclusive, self)`` sample counts per frame from collapsed stacks."""
    inclusive, own = collections.Counter(), collections.Counter()
    total = 0
    with open(collapsed_path) as f:
        for line in f:
            stack, _, count = line.rpartition(" ")
            frames, count = stack.split(";"), int(count)
            total += count
            for frame in set(frames):
                inclusive[frame] += count
            own[frames[-1]] += count
    return total, inclusive.most_common(limit), own.most_common(limit)


def _print(title, rows, total):
    print(f"\n{title}")
    for frame, count in rows:
        print(f"{100 * count / total:6.1f}%  {frame}")


def request_spec(args, port):
    """The case's request; with ``--size``, the last ``--window`` requests of
    a growing agent session in turn, as the agent scenario sends them (one
    body repeated would profile Switchyard's best case: ``json_resume``
    reads a session's next body from where it differs)."""
    client, upstream, stream = CASES[args.case]
    return targets.spec(port, client, upstream, stream, 16, size=args.size,
                        window=args.window if args.size else None)


def profile(args, out_path):
    with tempfile.TemporaryDirectory() as workdir, Supervisor(workdir) as supervisor:
        mock = start_mock(supervisor)
        configure_mock(mock, latency_ms=0, chunk_delay_ms=0, hold=False, tokens=16)
        server = start_switchyard(supervisor, mock.port, workdir, 1)
        job = {"kind": "closed", "concurrency": args.clients, "warmup_s": 1,
               "duration_s": args.seconds + 2,
               "specs": [request_spec(args, server.port)]}
        load = threading.Thread(target=run_loadgen, args=(job, args.seconds + 60),
                                kwargs={"cwd": REPO_DIR})
        load.start()
        worker = server.worker_pids()[0]
        # --gil: only the thread holding the GIL, i.e. what bounds one
        # worker's throughput; --wall: every sample, waits included, i.e.
        # where one request's time goes (use with --clients 1)
        view = ["--idle"] if args.wall else ["--gil"]
        subprocess.run([PY_SPY, "record", "--pid", str(worker), "--duration",
                        str(args.seconds), "--rate", "250", "--format", "raw",
                        "--output", out_path, "--nonblocking", *view],
                       check=True, capture_output=True)
        load.join()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), default="openai")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--size", type=int, default=None,
                        help="bytes: an agent session's requests ending at this size "
                             "(bench.agent_session)")
    parser.add_argument("--window", type=int, default=agent_session.SESSION_WINDOW,
                        help="with --size: how many requests of the growing session to send "
                             "in turn (default: the agent scenario's)")
    parser.add_argument("--wall", action="store_true",
                        help="sample waits too (where latency goes), not just GIL time")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    raise_fd_limit()
    out_dir = os.path.join(BENCH_DIR, "out")
    os.makedirs(out_dir, exist_ok=True)
    out_path = os.path.join(out_dir, f"profile-{args.case}.txt")
    profile(args, out_path)
    total, inclusive, own = top(out_path, args.top)
    print(f"{total} samples; collapsed stacks in {out_path}")
    _print("inclusive (frame and everything it calls):", inclusive, total)
    _print("self (frame itself):", own, total)


if __name__ == "__main__":
    main()
