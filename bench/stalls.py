"""What holds Switchyard's event loop while it relays paced streams
(``.venv/bin/python -m bench.stalls [--seconds 60] [--case openai->openai] [--warm]``;
not part of the run).

The streaming scenario's *paced* phase (20 tokens 20 ms apart, one stream at
a time, pinned as there), for ``--seconds`` per target: direct, then through
one Switchyard worker started with ``SWITCHYARD_STALL_MS=2``
(``proxy/http/stalls.py``).  Per target: the inter-token gaps (p1 / p50 /
p99, and *batched*: under half the delay).  For Switchyard, the stretches
over 2 ms its worker logged during its streams, by cause -- ``cpu`` (the
worker's own code), ``runqueue`` (the OS ran something else), ``off_cpu``
(a blocking call, or the GIL) -- and its garbage-collection passes over
2 ms.  A batched gap with no ``cpu`` stretch behind it is the machine's
doing, not the worker's; direct's row shows how much of it the machine
does to the mock alone.  The event loop's own waiting (the hub) is not
watched, so a wake-up the OS delays there shows in the gaps only.

``--warm`` first runs what precedes the paced phase in a full run
(throughput at 50 and 200 clients, 700 back-to-back streams), so the
worker's heap, pools and usage database are as they are there.
"""
import argparse
import datetime
import os
import re
import time
from collections import Counter

from bench import scenarios
from bench.procs import Supervisor
from bench.scale import pick
from bench.scenarios import streaming
from bench.servers import start_mock, start_switchyard

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
STALL_MS = 2
TOKENS, DELAY_MS = 20, 20

_LINE = re.compile(r"^(\S+Z) \S+ switchyard\.stalls (stall|gc) ms=([\d.]+)(?: cause=(\w+))?")


def stall_lines(text, since, until):
    """``[(kind, ms, cause)]`` of the ``switchyard.stalls`` lines of a log
    logged within ``[since, until]`` (Unix seconds); ``cause`` None for GC."""
    found = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        stamp = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
        when = stamp.replace(tzinfo=datetime.timezone.utc).timestamp()
        if since <= when <= until:
            found.append((match.group(2), float(match.group(3)), match.group(4)))
    return found


def summary(found):
    """Counts by cause, the longest of each, and the GC passes."""
    stalls = [f for f in found if f[0] == "stall"]
    return {"stalls": len(stalls),
            "by_cause": dict(Counter(cause for _, _, cause in stalls)),
            "longest_ms": {cause: max(ms for _, ms, c in stalls if c == cause)
                           for cause in {c for _, _, c in stalls}},
            "gc_ms": [ms for kind, ms, _ in found if kind == "gc"]}


def _warm(ctx, client, upstream):
    ctx.set_mock(latency_ms=50)
    for clients in (50, 200):
        ctx.loadgen({"kind": "closed", "specs": [ctx.spec("switchyard", "openai")],
                     "concurrency": clients, "warmup_s": 2, "duration_s": 10}, timeout=120)
    ctx.set_mock(tokens=TOKENS)
    ctx.loadgen({"kind": "stream", "spec": ctx.spec("switchyard", client, upstream, stream=True),
                 "warmup": 50, "count": 650}, timeout=300)


def measure(seconds, client, upstream, warm):
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir = os.path.join(BENCH_DIR, "out", f"stalls-{stamp}")
    os.makedirs(workdir)
    count = max(1, int(seconds * 1000 / (TOKENS * DELAY_MS)))
    rows = {}
    with Supervisor(workdir) as supervisor:
        mock = start_mock(supervisor)
        switchyard = start_switchyard(supervisor, mock.port, workdir, 1,
                                      env={"SWITCHYARD_STALL_MS": str(STALL_MS)})
        ctx = scenarios.Context(pick(False), mock, {"switchyard": switchyard}, restart=None)
        if warm:
            _warm(ctx, client, upstream)
        with ctx.pinned():
            ctx.set_mock(tokens=TOKENS, chunk_delay_ms=DELAY_MS)
            for target in ("direct", "switchyard"):
                began = time.time()
                result = ctx.loadgen({"kind": "stream", "warmup": 2, "count": count,
                                      "spec": ctx.spec(target, client, upstream, stream=True)},
                                     timeout=60 + count)
                rows[target] = streaming.summarize(result["streams"], DELAY_MS, TOKENS)
                gaps = [g for s in result["streams"] for g in s["gaps_ms"]]
                rows[target]["gaps"] = len(gaps)
                rows[target]["batched_gaps"] = sum(1 for g in gaps if g < DELAY_MS / 2)
                rows[target]["window"] = (began, time.time())
        with open(switchyard.log_path, errors="replace") as f:
            log = f.read()
    rows["switchyard"]["worker"] = summary(stall_lines(log, *rows["switchyard"]["window"]))
    return rows, workdir


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.stalls",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="paced streams per target")
    parser.add_argument("--case", default="openai->openai", help="client->upstream dialects")
    parser.add_argument("--warm", action="store_true",
                        help="first the load that precedes the paced phase in a full run")
    args = parser.parse_args(argv)
    client, upstream = args.case.split("->")
    rows, workdir = measure(args.seconds, client, upstream, args.warm)
    print(f"{args.case}: {TOKENS} tokens {DELAY_MS} ms apart, {args.seconds:.0f} s per target, "
          f"logs in {workdir}")
    for target, row in rows.items():
        gap = row["gap_ms"]
        print(f"  {target:10} {row['complete']}/{row['streams']} streams, {row['gaps']} gaps: "
              f"p1 {gap['p1']} p50 {gap['p50']} p99 {gap['p99']} ms, "
              f"batched {row['batched_gaps']}")
    worker = rows["switchyard"]["worker"]
    print(f"  worker stretches over {STALL_MS} ms: {worker['stalls']} {worker['by_cause']}, "
          f"longest {worker['longest_ms']}; GC passes over {STALL_MS} ms: {worker['gc_ms']}")


if __name__ == "__main__":
    main()
