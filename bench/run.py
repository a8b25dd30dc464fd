"""Run the benchmark: ``bench/run.sh [--quick]`` (which calls this module).

Starts the mock upstream, Switchyard, LiteLLM (one worker each by
default) and Portkey's gateway (one Node process), runs the scenarios,
always stops everything it started, and writes ``results.json``, ``RESULTS.md`` and ``results.png``: into ``bench/``
for a full run, into ``bench/out/quick/`` for ``--quick``.

Exit status: 0 when Switchyard ran every scenario without an error, 1 when
it failed to start or any of its requests failed (so a smoke test can rely
on it), 130 on Ctrl-C.
"""
import argparse
import datetime
import json
import os
import shutil
import sys
import time
from dataclasses import asdict

from bench import machine, report, scenarios, state_store
from bench.limits import raise_fd_limit
from bench.procs import Supervisor
from bench.scale import pick
from bench.servers import (BENCH_DIR, litellm_available, start_litellm, start_mock,
                           start_portkey, start_switchyard)


def parse(argv):
    parser = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="every scenario at a tiny scale (well under a minute)")
    parser.add_argument("--soak", type=int, metavar="N",
                        help="soak request count (default 2000 quick, 200000 full)")
    parser.add_argument("--only", metavar="A,B", help="comma-separated scenarios: "
                        + ",".join(scenarios.ORDER))
    parser.add_argument("--no-litellm", action="store_true", help="skip the LiteLLM proxy")
    parser.add_argument("--no-portkey", action="store_true",
                        help="skip Portkey's gateway (else installed from npm on first use)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes per proxy (default 1)")
    parser.add_argument("--out", help="directory for results (default: bench/ for a full "
                                      "run, bench/out/quick/ for --quick)")
    args = parser.parse_args(argv)
    args.only = args.only.split(",") if args.only else list(scenarios.ORDER)
    unknown = set(args.only) - set(scenarios.ORDER)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


class Proxies:
    """Starts the proxies of a run and restarts one for a fresh worker."""

    def __init__(self, supervisor, mock, workdir, workers):
        self.launch = {
            "switchyard": lambda: start_switchyard(supervisor, mock.port, workdir, workers),
            "litellm": lambda: start_litellm(supervisor, mock.port, workdir, workers),
            "portkey": lambda: start_portkey(supervisor, workdir),
        }
        self.supervisor = supervisor
        self.running = {}

    def start(self, name, notes):
        try:
            self.running[name] = self.launch[name]()
        except RuntimeError as exc:     # PeerUnavailable included
            notes.append(f"{name} did not start, so it is absent from every table: "
                         f"{str(exc).strip().splitlines()[-1]}")

    def restart(self, name):
        self.supervisor.stop(self.running.pop(name))
        self.running[name] = self.launch[name]()
        return self.running[name]


def run_scenarios(args, scale, workdir, notes):
    results = {}
    with Supervisor(workdir) as supervisor:
        mock = start_mock(supervisor)
        proxies = Proxies(supervisor, mock, workdir, args.workers)
        proxies.start("switchyard", notes)
        if args.no_litellm or not litellm_available():
            notes.append("LiteLLM skipped (--no-litellm, or bench/.venv-litellm missing).")
        else:
            proxies.start("litellm", notes)
        if args.no_portkey:
            notes.append("Portkey skipped (--no-portkey).")
        else:
            proxies.start("portkey", notes)
        ctx = scenarios.Context(scale, mock, proxies.running, proxies.restart)
        for name in args.only:
            started = time.monotonic()
            try:
                results[name] = scenarios.load(name).run(ctx)
            except (RuntimeError, OSError) as exc:
                results[name] = {"failed": str(exc)}
            print(f"bench: {name} done in {time.monotonic() - started:.1f}s", flush=True)
    return results


def _failed_requests(name, data):
    """How many Switchyard requests of one scenario's results failed."""
    if name == "capacity":
        return sum(lv["count"] - lv["completed"] for lv in data.get("levels", []))
    if name == "soak":
        return data.get("errors", 0)
    if name == "agent":
        cases = [*data["answers"].values()] + [c for size in data["sizes"].values()
                                               for c in size.values()]
        return sum(c["switchyard"]["errors"] for c in cases if "switchyard" in c)
    if name == "fast_streams":
        phases = [p for c in data["cases"].values() if "switchyard" in c
                  for p in c["switchyard"].values()]
        return sum(p["streams"] - p["complete"] + p["lost"] for p in phases)
    groups = dict(data.get("cases") or data.get("levels") or {})
    for extra in ("after_idle", "unpinned"):
        if data.get(extra):
            groups[extra] = data[extra]
    rows = [group["switchyard"] for group in groups.values() if "switchyard" in group]
    if name == "streaming":
        return sum(row["streams"] - row["complete"] + row.get("ttft_incomplete", 0)
                   for row in rows)
    return sum(row["errors"] for row in rows)


def switchyard_failures(results):
    """One line per scenario where Switchyard failed."""
    failures = []
    for name, data in results.items():
        if "failed" in data:
            failures.append(f"{name}: {data['failed']}")
        elif "skipped" not in data and (bad := _failed_requests(name, data)):
            failures.append(f"{name}: {bad} failed Switchyard requests")
    return failures


def write(results, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    chart_name = None
    try:
        from bench import chart
        chart.draw(results, os.path.join(out_dir, "results.png"))
        chart_name = "results.png"
    except ImportError:
        results["notes"].append("No chart: matplotlib is not installed here.")
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    path = os.path.join(out_dir, "RESULTS.md")
    kept = ""
    if os.path.exists(path):        # bench/state_store.py's rows are not this run's
        with open(path) as f:
            kept = state_store.section(f.read())
    with open(path, "w") as f:
        f.write(report.render(results, chart_name) + ("\n" + kept if kept else ""))


KEEP_RUN_DIRS = 3


def prune_run_dirs(out_root):
    """Keep the newest few run directories: a full run leaves ~200 MB of
    access log and usage database behind."""
    runs = sorted(d for d in os.listdir(out_root) if d.startswith("run-"))
    for old in runs[:-KEEP_RUN_DIRS]:
        shutil.rmtree(os.path.join(out_root, old), ignore_errors=True)


def measure(args, command):
    """Run the scenarios; returns the results dict and the run's log directory."""
    scale = pick(args.quick, args.soak)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir = os.path.join(BENCH_DIR, "out", f"run-{stamp}")
    os.makedirs(workdir)
    prune_run_dirs(os.path.dirname(workdir))
    notes = []
    started, cpu_before = time.monotonic(), machine.cpu_snapshot()
    meta = dict(machine.describe(), scale=scale.name, workers=args.workers, command=command,
                started=datetime.datetime.now().isoformat(timespec="seconds"))
    found = run_scenarios(args, scale, workdir, notes)
    wall = time.monotonic() - started
    meta.update(duration_s=wall,
                other_cores=machine.other_cores(cpu_before, machine.cpu_snapshot(), wall))
    return {"meta": meta, "scale": asdict(scale), "notes": notes, "scenarios": found}, workdir


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    raise_fd_limit()
    try:
        results, workdir = measure(args, " ".join(["bench/run.sh", *argv]))
    except KeyboardInterrupt:
        print("bench: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    out_dir = args.out or (os.path.join(BENCH_DIR, "out", "quick") if args.quick else BENCH_DIR)
    write(results, out_dir)
    print(f"bench: results in {out_dir}/RESULTS.md (logs: {workdir})")
    failures = switchyard_failures(results["scenarios"])
    failures += [n for n in results["notes"] if n.startswith("switchyard did not start")]
    for line in failures:
        print(f"bench: FAILED {line}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
