"""The floor under Switchyard's added latency for agent-sized bodies.

    .venv/bin/python -m bench.floor [--quick] [--out FILE]   (from the repo root)

Side by side, one request at a time (``bench.loadgen``'s sequential job,
rounds interleaved, pinned like the agent scenario: the load generator on one
core, every server on the other).  Every target of an agent-sized row is
sent what the agent scenario sends: the last ``agent_session.SESSION_WINDOW``
requests of one growing session, in turn, the last of the labelled size
(``agent_session.window``), never one body again and again -- Switchyard
reads a session's next body from where it differs from the last one
(``proxy.wire.json_resume``), and identical bytes would flatter it:

- **direct**: the mock upstream itself;
- **relay**: ``bench.floor_relay`` in Switchyard's gunicorn + gevent worker,
  reading the body and sending it on unread -- what the stack costs;
- **relay+top_level**: the same plus a whole read of each body's top level
  (``proxy.wire.json_top.top_level``), the floor for reading every byte;
  Switchyard resumes that read where the session's body changed, so it can
  go under this row;
- **relay+orjson**: the same plus a full parse, for comparison;
- **relay+roundtrip**: a full parse and the parsed body serialised again and
  sent instead: the least any translating gateway does, without translating
  (compare it with Switchyard's translated rows);
- **switchyard**: as the bench runs it (usage, metrics and access log on).

First, in this process, what reading a body's top level costs against
the least any exact read can cost (``scan_costs``): one C pass over every
byte (``bytes.count``, which does nothing but load and compare each byte),
msgspec's skip (the grammar checked, top-level values as spans), the whole
``top_level`` read and a full parse (orjson), in µs per body; and
``json_resume.top_level`` reading the session window in turn, as
Switchyard's generate path does, in µs per request after the first.

Per body size: p50 and added p50 (minus direct).  Then, unpinned, the
worker CPU per small request at 200 closed-loop clients (the upstream taking
50 ms, as in the throughput scenario) of the bare relay and of Switchyard:
the stack's share of the small-request CPU and the gateway's.  ``switchyard`` minus
``relay+top_level`` is the rest of the gateway (auth, routing, the pool,
accounting), which does not grow with the body.  Writes ``bench/FLOOR.md``
(or ``--out``).
"""
import argparse
import contextlib
import datetime
import os
import sys
import tempfile

from bench import agent_session, placement, stats, targets
from bench.procs import Supervisor, free_port, run_loadgen
from bench.servers import (REPO_DIR, SWITCHYARD_PYTHON_BIN, configure_mock, start_mock,
                           start_switchyard)

CHECKS = ("none", "top_level", "orjson", "roundtrip")
DIALECTS = ("claude", "openai", "responses")
SIZES = (None, 250_000, 1_000_000)          # None: the one-line prompt
# translated at 250 KB, as the agent scenario's translated rows; a relay sends
# the client's request to the mock in the client's own dialect
TRANSLATED = (("claude", "openai"), ("openai", "claude"), ("responses", "claude"))
TRANSLATED_SIZE = 250_000


def start_relay(supervisor, mock_port, check):
    port = free_port()
    argv = [os.path.join(SWITCHYARD_PYTHON_BIN, "gunicorn"), "-k", "proxy.http.worker.Worker",
            "-w", "1", "-b", f"127.0.0.1:{port}",
            "bench.floor_relay:app"]
    env = {"FLOOR_UPSTREAM_PORT": str(mock_port), "FLOOR_CHECK": check}
    server = supervisor.start(f"relay-{check}", argv, port=port, env=env, cwd=REPO_DIR)
    server.wait_ready("/healthz", timeout=30)
    return server


SCAN_SIZES = (250_000, 1_000_000)


RESUMED = "resumed top_level"


def scan_costs(runs=30):
    """``{(size, dialect): {step: min µs}}`` of the top-level read's steps,
    in process, on the agent scenario's bodies (the last of the window),
    and ``RESUMED``: the window read in turn by ``json_resume``."""
    import time

    import msgspec
    import orjson

    from proxy.wire import json_top
    skip = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
    out = {}
    for size in SCAN_SIZES:
        for dialect in DIALECTS:
            raw = agent_session.body(dialect, "m", size).encode()
            steps = {"one byte pass": lambda: raw.count(b'"'), "msgspec skip": lambda: skip(raw),
                     "top_level": lambda: json_top.top_level(raw),
                     "orjson parse": lambda: orjson.loads(raw)}
            best = {}
            for _ in range(runs):
                for name, step in steps.items():
                    start = time.process_time()
                    step()
                    used = (time.process_time() - start) * 1e6
                    best[name] = min(best.get(name, used), used)
            best[RESUMED] = resumed_cost(dialect, size, runs)
            out[(size, dialect)] = {name: round(us) for name, us in best.items()}
    return out


def resumed_cost(dialect, size, runs):
    """Min over ``runs`` of the mean CPU µs per request that
    ``json_resume.top_level`` takes to read the session window's requests
    after the first, each after the one before (the first read whole, not
    counted), with the arguments Switchyard's generate path passes.  The
    second request's read also splits the first's conversation array, once
    per session, so the mean carries that too."""
    import time

    from proxy.routing import affinity
    from proxy.wire import json_resume
    bodies = [b.encode() for b in agent_session.window(dialect, "m", size)]
    turns = affinity.turns_field(dialect)
    keep = ("stream_options", *affinity.SESSION_FIELDS)
    best = None
    for _ in range(runs):
        json_resume.forget()
        json_resume.top_level(bodies[0], keep=keep, heads=(turns,), turns=turns)
        start = time.process_time()
        for raw in bodies[1:]:
            json_resume.top_level(raw, keep=keep, heads=(turns,), turns=turns)
        used = (time.process_time() - start) * 1e6 / max(len(bodies) - 1, 1)
        best = used if best is None else min(best, used)
    json_resume.forget()
    return best


def target_name(check):
    return "relay" if check == "none" else f"relay+{check}"


def row_spec(port, client, upstream, size):
    """The spec every target of a row is sent (its port changed): with
    ``size``, the agent scenario's session window, not one body."""
    return targets.spec(port, client, upstream, False, 16, size,
                        window=agent_session.SESSION_WINDOW if size else None)


def measure(servers, mock, client, upstream, size, scale):
    direct = row_spec(mock.port, client, upstream, size)
    specs = {"direct": direct,
             **{name: dict(direct, port=server.port) for name, server in servers.items()}}
    job = {"kind": "sequential", "warmup": scale["warmup"], "rounds": scale["rounds"],
           "per_round": scale["per_round"], "targets": specs}
    result = run_loadgen(job, timeout=900, cwd=REPO_DIR, cpus=scale.get("client_cpus"))
    rows = {}
    for name, rounds in result["rounds"].items():
        summary = stats.summary([x for r in rounds for x in r])
        rows[name] = {"p50": summary["p50"], "errors": result["errors"][name].get("errors", 0)}
    for row in rows.values():
        row["added"] = round(row["p50"] - rows["direct"]["p50"], 3)
    return rows


def cpu_per_request(server, spec, scale, clients=200):
    """Worker CPU µs per request over a closed-loop window (as
    ``bench.scenarios.throughput`` measures it)."""
    cpu = {}

    def on_event(event):
        if event["event"] == "phase":
            cpu[event["phase"]] = server.cpu_seconds()

    job = {"kind": "closed", "specs": [spec], "concurrency": clients,
           "warmup_s": scale["tp_warmup_s"], "duration_s": scale["tp_duration_s"]}
    result = run_loadgen(job, timeout=120, on_event=on_event, cwd=REPO_DIR)
    used = cpu["measured"] - cpu["measuring"]
    return {"cpu_us": round(used / result["requests"] * 1e6, 1), "rps": result["rps"],
            "errors": result.get("errors", 0)}


_PROSE = (
    "Each agent-sized row sends, to every target, what the agent scenario sends: the last "
    f"{agent_session.SESSION_WINDOW} requests of one growing agent session in turn (each the "
    "one before plus a tool round trip; Claude requests with Claude Code's moving cache mark), "
    "the last of the labelled size, then the first again -- never one body repeated. "
    "`relay+top_level` reads every body whole (`json_top.top_level`): the floor for a read "
    "of every byte. Switchyard reads a session's next body only from where it differs from "
    "the last one (`json_resume`), so its rows can go under that one; the in-process table "
    "below shows that resumed read against the whole one.",)


def render(results, names):
    lines = ["# Floor: what the stack costs an agent-sized body (bench/floor.py)", "",
             f"Run {results['at']}, pinned: {results['pinned']}; added p50 over direct, ms "
             f"({results['samples']} samples per row).", "", *_PROSE, "",
             "| body | dialect | direct p50 | " + " | ".join(names) + " | errors |",
             "|---|---|---|" + "---|" * len(names) + "---|"]
    for (size, dialect), rows in results["rows"]:
        label = "small" if size is None else f"{size // 1000} KB"
        cells = " | ".join(f"{rows[n]['added']:+.3f}" for n in names)
        errors = sum(r["errors"] for r in rows.values())
        lines.append(f"| {label} | {dialect} | {rows['direct']['p50']:.3f} | {cells} | {errors} |")
    scan = results.get("scan")
    if scan:
        steps = list(next(iter(scan.values())))
        lines += ["", "The top-level read in process, min µs per body (CPU time; "
                  f"{RESUMED}: per request of the session window after the first, "
                  "read in turn by `json_resume`):", "",
                  "| body | dialect | " + " | ".join(steps)
                  + f" | top_level ÷ one byte pass | {RESUMED} ÷ top_level |",
                  "|---|---|" + "---|" * len(steps) + "---|---|"]
        for (size, dialect), row in scan.items():
            cells = " | ".join(str(row[step]) for step in steps)
            ratio = row["top_level"] / max(row["one byte pass"], 1)
            resumed = row[RESUMED] / max(row["top_level"], 1)
            lines.append(f"| {size // 1000} KB | {dialect} | {cells} | {ratio:.2f} "
                         f"| {resumed:.2f} |")
    lines += ["", "Worker CPU per small request, 200 clients, upstream answering in 50 ms "
              "(not pinned):", "", "| target | CPU µs/request | rps | errors |", "|---|---|---|---|"]
    for name, row in results["cpu"].items():
        lines.append(f"| {name} | {row['cpu_us']} | {row['rps']} | {row['errors']} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=os.path.join(REPO_DIR, "bench", "FLOOR.md"))
    args = parser.parse_args(argv)
    scale = ({"warmup": 3, "rounds": 2, "per_round": 5} if args.quick
             else {"warmup": 20, "rounds": 7, "per_round": 15})
    scale.update({"tp_warmup_s": 0.3, "tp_duration_s": 1.0} if args.quick
                 else {"tp_warmup_s": 2.0, "tp_duration_s": 10.0})
    scan = scan_costs(3 if args.quick else 30)
    with tempfile.TemporaryDirectory() as workdir, Supervisor(workdir) as supervisor:
        mock = start_mock(supervisor)
        configure_mock(mock, latency_ms=0, chunk_delay_ms=0, hold=False, tokens=16)
        servers = {target_name(c): start_relay(supervisor, mock.port, c) for c in CHECKS}
        servers["switchyard"] = start_switchyard(supervisor, mock.port, workdir, 1)
        cpus = placement.split()
        pids = [mock.pid] + [s.pid for s in servers.values()]
        rows = []
        with placement.pinned(pids, cpus[1]) if cpus else contextlib.nullcontext():
            scale["client_cpus"] = cpus[0] if cpus else None
            for size in SIZES:
                for dialect in DIALECTS:
                    rows.append(((size, dialect),
                                 measure(servers, mock, dialect, dialect, size, scale)))
            for client, upstream in TRANSLATED:
                rows.append(((TRANSLATED_SIZE, f"{client}->{upstream}"),
                             measure(servers, mock, client, upstream, TRANSLATED_SIZE, scale)))
        configure_mock(mock, latency_ms=50, chunk_delay_ms=0, hold=False, tokens=16)
        small = targets.spec(mock.port, "openai", "openai", False, 16)
        cpu = {name: cpu_per_request(servers[name], dict(small, port=servers[name].port), scale)
               for name in ("relay", "switchyard")}
    results = {"at": datetime.datetime.now().isoformat(timespec="seconds"),
               "pinned": cpus is not None, "rows": rows, "cpu": cpu, "scan": scan,
               "samples": scale["rounds"] * scale["per_round"]}
    text = render(results, list(servers))
    with open(args.out, "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
