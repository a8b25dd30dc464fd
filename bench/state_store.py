"""What the shared state store costs: ``memory`` vs ``redis``, 1 and 2 workers.

    .venv/bin/python -m bench.state_store [--quick]      (from the repo root)

Four Switchyards run side by side against the bench's mock upstream, with
the bench's usual config (``bench.targets``) plus one model served by two
credentials (round-robin: with Redis, each pick steps a shared cursor, the
one per-request Redis call): ``memory`` and ``redis`` state, each with
``WEB_CONCURRENCY`` 1 and 2.  Redis is the one at ``REDIS_URL`` (default
127.0.0.1:6379) under a key prefix of this run's own, deleted at the end.

- **sequential**: one request at a time over keep-alive, rounds interleaved
  across the four servers and the direct call (``bench.loadgen``'s
  sequential job), for the one-credential model and the two-credential one;
  reported as p50/p99 and p50 minus direct.
- **throughput**: 50 closed-loop clients, upstream answering at once (so
  the proxy's CPU is the limit), each server alone, for both models.

Not pinned to cores, and the machine may be shared: the rows say what one
run saw.  Writes ``bench/STATE.md`` and replaces its section of
``bench/RESULTS.md``.
"""
import argparse
import datetime
import json
import os
import sys
import tempfile
import uuid

from bench import stats, targets
from bench.procs import Supervisor, free_port, run_loadgen
from bench.servers import BENCH_DIR, REPO_DIR, SWITCHYARD_PYTHON_BIN, configure_mock, start_mock

ROUND_ROBIN_MODEL = "bench-openai-rr"
VARIANTS = (("memory", 1), ("redis", 1), ("memory", 2), ("redis", 2))
MARK_BEGIN = "<!-- state-store rows: bench/state_store.py -->"
MARK_END = "<!-- /state-store rows -->"


def config(mock_port, workdir, backend, prefix):
    conf = targets.switchyard_config(mock_port, workdir)
    conf["usage"] = {"store-path": os.path.join(workdir, "usage.db")}
    conf["openai-compatibility"].append({
        "name": "mock-rr", "base-url": f"http://127.0.0.1:{mock_port}/v1",
        "api-key-entries": [{"api-key": targets.UPSTREAM_KEY}, {"api-key": targets.UPSTREAM_KEY + "2"}],
        "models": [{"name": ROUND_ROBIN_MODEL}]})
    if backend == "redis":
        conf["state"] = {"redis-url": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                         "key-prefix": prefix}
    return conf


def start(supervisor, mock_port, workdir, backend, workers, prefix):
    name = f"{backend}-{workers}w"
    folder = os.path.join(workdir, name)
    os.makedirs(folder)
    path = os.path.join(folder, "switchyard.yaml")
    with open(path, "w") as f:
        f.write(targets.to_yaml(config(mock_port, folder, backend, prefix)))
    port = free_port()
    env = {"SWITCHYARD_CONFIG": path, "PORT": str(port), "SWITCHYARD_HOST": "127.0.0.1",
           "WEB_CONCURRENCY": str(workers)}
    argv = [os.path.join(SWITCHYARD_PYTHON_BIN, "gunicorn"), "-c", "gunicorn.conf.py", "app:app"]
    server = supervisor.start(name, argv, port=port, env=env, cwd=REPO_DIR)
    server.wait_ready("/healthz", timeout=30)
    return name, server


def spec(port, model=None, tokens=16):
    request = targets.spec(port, "openai", "openai", False, tokens)
    if model:
        body = json.loads(request["body"])
        body["model"] = model
        request["body"] = json.dumps(body)
    return request


def sequential(servers, mock, model, scale):
    job = {"kind": "sequential", "warmup": scale["warmup"], "rounds": scale["rounds"],
           "per_round": scale["per_round"],
           "targets": {"direct": spec(mock.port),
                       **{name: spec(s.port, model) for name, s in servers.items()}}}
    result = run_loadgen(job, timeout=600, cwd=REPO_DIR)
    rows = {}
    for name, rounds in result["rounds"].items():
        summary = stats.summary([x for r in rounds for x in r])
        rows[name] = {"p50": summary["p50"], "p99": summary["p99"],
                      "errors": result["errors"][name].get("errors", 0)}
    for name, row in rows.items():
        row["added_p50"] = round(row["p50"] - rows["direct"]["p50"], 3)
    return rows


def throughput(server, model, scale):
    job = {"kind": "closed", "specs": [spec(server.port, model)], "concurrency": 50,
           "warmup_s": scale["tp_warmup_s"], "duration_s": scale["tp_duration_s"]}
    result = run_loadgen(job, timeout=120, cwd=REPO_DIR)
    return {"rps": result["rps"], "p50": result["latency_ms"]["p50"],
            "p99": result["latency_ms"]["p99"], "errors": result.get("errors", 0)}


def render(results):
    lines = [MARK_BEGIN, "## State store: memory vs redis (bench/state_store.py)", "",
             f"Run {results['at']} on {results['cpus']} cores, not pinned; "
             + results["note"], "",
             "Sequential (one request at a time; ms):", "",
             "| model | server | p50 | p99 | added p50 vs direct | errors |",
             "|---|---|---|---|---|---|"]
    for model, rows in results["sequential"].items():
        for name, row in rows.items():
            lines.append(f"| {model} | {name} | {row['p50']} | {row['p99']} | "
                         f"{'—' if name == 'direct' else row['added_p50']} | {row['errors']} |")
    lines += ["", "Throughput (50 clients, upstream answers at once):", "",
              "| model | server | rps | p50 ms | p99 ms | errors |", "|---|---|---|---|---|---|"]
    for model, rows in results["throughput"].items():
        for name, row in rows.items():
            lines.append(f"| {model} | {name} | {row['rps']} | {row['p50']} | {row['p99']} | "
                         f"{row['errors']} |")
    lines.append(MARK_END)
    return "\n".join(lines) + "\n"


def section(text):
    """The state-store section of a ``RESULTS.md`` text ("" when it has none),
    so a full run that rewrites the file keeps the rows of the last
    ``bench.state_store`` run."""
    if MARK_BEGIN not in text or MARK_END not in text:
        return ""
    return MARK_BEGIN + text.partition(MARK_BEGIN)[2].partition(MARK_END)[0] + MARK_END + "\n"


def publish(text):
    with open(os.path.join(BENCH_DIR, "STATE.md"), "w") as f:
        f.write(text)
    path = os.path.join(BENCH_DIR, "RESULTS.md")
    with open(path) as f:
        current = f.read()
    if MARK_BEGIN in current:
        head, _, rest = current.partition(MARK_BEGIN)
        current = head + rest.partition(MARK_END)[2].lstrip("\n")
    with open(path, "w") as f:
        f.write(current.rstrip("\n") + "\n\n" + text)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.state_store")
    parser.add_argument("--quick", action="store_true", help="tiny scale, results not published")
    parser.add_argument("--note", default="", help="a sentence on the machine's state")
    args = parser.parse_args(argv)
    scale = ({"warmup": 5, "rounds": 2, "per_round": 10, "tp_warmup_s": 0.3, "tp_duration_s": 1}
             if args.quick else
             {"warmup": 50, "rounds": 7, "per_round": 50, "tp_warmup_s": 1, "tp_duration_s": 5})
    prefix = f"switchyard-bench:{uuid.uuid4().hex[:8]}:"
    results = {"at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "cpus": os.cpu_count(), "note": args.note, "sequential": {}, "throughput": {}}
    with tempfile.TemporaryDirectory(prefix="switchyard-state-bench-") as workdir, \
            Supervisor(workdir) as supervisor:
        mock = start_mock(supervisor)
        configure_mock(mock, latency_ms=0, chunk_delay_ms=0, hold=False, tokens=16)
        servers = dict(start(supervisor, mock.port, workdir, backend, workers, prefix)
                       for backend, workers in VARIANTS)
        for label, model in (("1 credential", None), ("2 credentials", ROUND_ROBIN_MODEL)):
            results["sequential"][label] = sequential(servers, mock, model, scale)
            results["throughput"][label] = {name: throughput(server, model, scale)
                                            for name, server in servers.items()}
    _drop(prefix)
    text = render(results)
    print(text)
    if not args.quick:
        publish(text)
    failed = sum(row["errors"] for group in ("sequential", "throughput")
                 for rows in results[group].values() for row in rows.values())
    return 1 if failed else 0


def _drop(prefix):
    import redis
    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


if __name__ == "__main__":
    sys.exit(main())
